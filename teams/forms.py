"""The liaison day's forms. Free text is bounded by the services (`services.CHANGE_REASON` …),
which give the refusal; `maxlength` only keeps the browser from taking more."""

from django import forms
from django.utils.translation import gettext_lazy as _

from teams import attendance, services
from teams.models import Attendance


def _line(bound):
    return forms.TextInput(attrs={"maxlength": bound.chars})


class RescheduleForm(forms.Form):
    new_date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), widget=_line(services.CHANGE_REASON))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=_line(services.CHANGE_REASON))


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for leave"), widget=_line(attendance.LEAVE_REASON),
        error_messages={"required": _("Give the reason for your leave.")},
    )


MARKS = [(value, label) for value, label in Attendance.Status.choices if value != Attendance.Status.PENDING]


class SheetForm(forms.Form):
    """The leader's attendance sheet: a status (`status-<member id>`) and a note
    (`note-<member id>`) for each row. A row sent without a status is left as it is."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"status-{row.member_id}"] = forms.ChoiceField(
                choices=MARKS, required=False,
                error_messages={"invalid_choice": _("Choose present, absent or leave.")},
            )
            self.fields[f"note-{row.member_id}"] = forms.CharField(
                required=False, validators=[attendance.ATTENDANCE_NOTE]
            )
            # The status the leader saw: a row someone else marked since is not overwritten.
            self.fields[f"seen-{row.member_id}"] = forms.ChoiceField(
                choices=Attendance.Status.choices, required=False
            )
            # The row's version the leader saw: a note someone else changed since is not overwritten either.
            self.fields[f"seen_at-{row.member_id}"] = forms.DateTimeField(required=False)

    def entries(self):
        """What to hand to `attendance.record_attendance`; a note not sent stays as it was."""
        entries = []
        for row in self.rows:
            status, note = f"status-{row.member_id}", f"note-{row.member_id}"
            if self.cleaned_data[status]:
                entries.append({
                    "member": row.member_id, "status": self.cleaned_data[status],
                    "note": self.cleaned_data[note] if note in self.data else row.note,
                    "seen": self.cleaned_data[f"seen-{row.member_id}"] or None,
                    "seen_at": self.cleaned_data[f"seen_at-{row.member_id}"],
                })
        return entries

    def show_as_typed(self):
        """Each row as the leader sent it, with its errors, to show the sheet again."""
        for row in self.rows:
            status, note = f"status-{row.member_id}", f"note-{row.member_id}"
            row.seen = self.data.get(f"seen-{row.member_id}", row.status)
            row.seen_at = self.data.get(f"seen_at-{row.member_id}", row.updated_at.isoformat())
            row.status = self.data.get(status, row.status)
            row.note = self.data.get(note, row.note)
            row.errors = [*self.errors.get(status, []), *self.errors.get(note, [])]
