"""Admin for the administrative tree, rosters and liaison days. Every list goes through the
scope module, and writes through the services, so the admin refuses what the pages refuse.

Over 400 lines because it is one admin class per table of the teams app, each short; they
share `ScopedAdmin` and the forms that call the services' rules, which a split would scatter."""

import json

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.web import add_service_error
from teams import changes, scope, services
from teams.models import (
    Attendance,
    AttendanceChange,
    County,
    Department,
    Holiday,
    LiaisonDay,
    Membership,
    Position,
    Schedule,
    Team,
    Town,
    User,
    Village,
)


class EstimatedPaginator(Paginator):
    """The admin's pages of a long list: counted exactly up to EXACT_UP_TO rows, beyond that the
    PostgreSQL planner's estimate of the list's rows (`estimated`, which admin/pagination.html
    says), so that opening a county's households, visits or attendance rows does not first count
    600,000 rows. An estimate a little over the truth makes the last page number an empty page,
    which the admin answers with its "?e=1" notice; the filters and search reach every row."""

    EXACT_UP_TO = 10_000

    @cached_property
    def count(self):
        rows = self.object_list.order_by()
        exact = rows[: self.EXACT_UP_TO + 1].count()
        self.estimated = exact > self.EXACT_UP_TO and connections[rows.db].vendor == "postgresql"
        if not self.estimated:
            return exact
        plan = json.loads(rows.explain(format="json"))
        return max(int(plan[0]["Plan"]["Plan Rows"]), exact)


class ScopedAdmin(admin.ModelAdmin):
    """Shows and changes only what the scope module allows; nothing is ever deleted. A model
    kept by a service checks the service's rules in its form's `clean` (the same functions the
    service calls) and saves through the service in `save_model`, so the admin refuses what the
    pages refuse, with the form as typed.

    A filtered list counts its own rows only, not the whole table again, and a long one only up
    to EstimatedPaginator's limit (a county holds hundreds of thousands of households and visits)."""

    show_full_result_count = False
    paginator = EstimatedPaginator

    def get_queryset(self, request):
        return scope.visible(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or scope.can_change(request.user, obj)

    def has_add_permission(self, request):
        # Adding needs some part of the tree the user may change (a town office: its town's teams).
        return super().has_add_permission(request) and scope.changeable(request.user, self.model).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A team can only be picked among those the user may change (a town office: its town's).
        if db_field.related_model is Team:
            kwargs["queryset"] = scope.changeable(request.user, Team)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInline:
    """An inline's rows answer to the same rules as their own admin page: they change only where
    the parent may be changed, and nothing is deleted."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or scope.can_change(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or scope.can_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnly:
    """Positions decide what a user may see and change: only a superuser grants or changes them."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(County)
class CountyAdmin(ScopedAdmin):
    list_display = ["name", "liaison_weekday"]
    search_fields = ["name"]


@admin.register(Town)
class TownAdmin(ScopedAdmin):
    list_display = ["name", "kind", "county"]
    list_filter = ["county", "kind"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        # A town's history is its county's: its figures are added into the county's.
        return ["county"] if obj else []


@admin.register(Village)
class VillageAdmin(ScopedAdmin):
    list_display = ["name", "kind", "town"]
    list_filter = ["kind", "town__county", "town"]
    search_fields = ["name", "town__name"]
    list_select_related = ["town"]

    def save_model(self, request, obj, form, change):
        # A village moved to another town (区划调整) takes all its history with it: both towns'
        # figures change on every day kept.
        before = Village.objects.filter(pk=obj.pk).values_list("town_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if before is not None and before != obj.town_id:
            changes.changed(before, changes.EVER)
            changes.changed(obj.town_id, changes.EVER)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "county"]
    list_filter = ["county"]
    search_fields = ["name"]


class PositionInline(SuperuserOnly, ScopedInline, admin.TabularInline):
    model = Position
    extra = 0
    autocomplete_fields = ["town", "department", "county"]


class MembershipForm(forms.ModelForm):
    """A recorded membership keeps its person, team, role and start (history); only its end
    and published phone change, through `services.change_membership`."""

    class Meta:
        model = Membership
        fields = ["team", "user", "role", "start_date", "end_date", "public_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("team", "user", "role", "start_date"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        membership = self.instance
        user, role, start = data.get("user"), data.get("role"), data.get("start_date")
        if membership.pk is not None and "end_date" not in self.changed_data:
            return data
        if user is not None and role and start:
            try:
                # The rule `add_membership` and `change_membership` check again on the locked row.
                services.check_leader_limit(user=user, role=role, start_date=start, end_date=data.get("end_date"),
                                            exclude_pk=membership.pk)
            except ValidationError as error:
                add_service_error(self, error)
        return data


def save_membership(request, form):
    """A new membership through `add_membership`, a changed one through `change_membership`."""
    membership = form.instance
    if membership.pk is None:
        return services.add_membership(
            by=request.user, team=membership.team, user=membership.user, role=membership.role,
            start_date=membership.start_date, end_date=membership.end_date, public_phone=membership.public_phone,
        )
    return services.change_membership(
        by=request.user, membership=membership, end_date=membership.end_date, public_phone=membership.public_phone
    )


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "start_date", "end_date", "public_phone"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Administrators manage accounts; anyone else with admin access changes only their own,
    and never the superuser status or permissions."""

    fieldsets = BaseUserAdmin.fieldsets + ((_("Liaison"), {"fields": ("name", "phone")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Liaison"), {"fields": ("name", "phone")}),)
    list_display = ["username", "name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "name", "phone"]
    inlines = [PositionInline]

    def get_queryset(self, request):
        return scope.visible(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or scope.can_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in fieldsets]


class ScheduleInline(ScopedInline, admin.StackedInline):
    model = Schedule
    extra = 0


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["name", "village", "town", "is_active"]
    list_filter = ["is_active", "village__town__county", "village__town"]
    search_fields = ["name", "village__name", "village__town__name"]
    list_select_related = ["village__town"]
    autocomplete_fields = ["village"]
    inlines = [ScheduleInline, MembershipInline]

    @admin.display(description=_("town"), ordering="village__town__name")
    def town(self, team):
        return team.village.town

    def get_readonly_fields(self, request, obj=None):
        # A team stays with its village (一村一队); its history belongs there.
        return ["village"] if obj else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # The village's households, issues and visits count for a team from now on.
            changes.changed_in_village(obj.village_id, changes.EVER)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "village":
            kwargs["queryset"] = scope.team_villages(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Each changed row through the roster's services; the lists are what the admin's history reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed():
                continue
            row.instance.team = form.instance
            if row.instance.pk is None:
                formset.new_objects.append(save_membership(request, row))
            else:
                formset.changed_objects.append((save_membership(request, row), row.changed_data))


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "team", "role", "start_date", "end_date"]
    list_filter = ["role", "team__village__town"]
    search_fields = ["user__name", "user__username", "team__name"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]
    date_hierarchy = "start_date"
    form = MembershipForm

    def save_model(self, request, obj, form, change):
        obj.pk = save_membership(request, form).pk


@admin.register(Schedule)
class ScheduleAdmin(ScopedAdmin):
    list_display = ["team", "weekday", "every_weeks", "half_day", "place"]
    list_filter = ["every_weeks", "half_day", "weekday"]
    search_fields = ["team__name", "place"]
    list_select_related = ["team"]


class AttendanceInline(ScopedInline, admin.TabularInline):
    """Shown, not edited: the sheet is kept on the liaison-day page, where every change is logged."""

    model = Attendance
    extra = 0
    fields = ["member", "status", "note", "updated_by", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class LiaisonDayForm(forms.ModelForm):
    """A new date goes through `reschedule_liaison_day`, asked first whether it may; a reworded
    reason alone through `correct_change_reason`."""

    def clean(self):
        data = super().clean()
        if "date" in self.changed_data and data.get("date"):
            try:
                services.check_reschedule(self.instance, data["date"], data.get("change_reason"))
            except ValidationError as error:
                add_service_error(self, error)
        return data


@admin.register(LiaisonDay)
class LiaisonDayAdmin(ScopedAdmin):
    list_display = ["team", "date", "half_day", "place", "status", "change_reason"]
    list_filter = ["status", "half_day", "team__village__town"]
    search_fields = ["team__name", "place"]
    date_hierarchy = "date"
    list_select_related = ["team"]
    readonly_fields = ["team", "scheduled_date", "half_day", "place", "status"]
    fields = ["team", "scheduled_date", "date", "half_day", "place", "status", "change_reason"]
    inlines = [AttendanceInline]
    form = LiaisonDayForm

    def has_add_permission(self, request):
        # Liaison days are generated from schedules, never typed in.
        return False

    def save_model(self, request, obj, form, change):
        if "date" in form.changed_data:
            services.reschedule_liaison_day(
                liaison_day=obj, new_date=obj.date, reason=obj.change_reason, by=request.user
            )
        elif "change_reason" in form.changed_data:
            services.correct_change_reason(liaison_day=obj, reason=obj.change_reason, by=request.user)


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdmin):
    """Read-only: attendance changes go through the liaison-day page and its change log."""

    list_display = ["liaison_day", "member", "status", "note", "updated_at"]
    list_filter = ["status", "liaison_day__team__village__town"]
    search_fields = ["member__name", "liaison_day__team__name"]
    list_select_related = ["liaison_day__team", "member"]
    # The newest rows first, by the primary key's index: the model's order (day, member) would
    # sort a county's hundreds of thousands of rows by joined dates and names.
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def view_on_site(self, row):
        return reverse("liaison-day", args=[row.liaison_day_id])


@admin.register(AttendanceChange)
class AttendanceChangeAdmin(ScopedAdmin):
    list_display = ["attendance", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    search_fields = ["attendance__member__name", "changed_by__name"]
    list_select_related = ["attendance__liaison_day__team", "attendance__member", "changed_by"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HolidayRangeForm(forms.ModelForm):
    """Adding to the calendar: a holiday of several days and its make-up working days, in one step."""

    last_day = forms.DateField(
        label=_("last day"), required=False, widget=AdminDateWidget,
        help_text=_("Leave empty for a single day."),
    )
    workday_1 = forms.DateField(label=_("make-up working day"), required=False, widget=AdminDateWidget)
    workday_2 = forms.DateField(
        label=_("another make-up working day"), required=False, widget=AdminDateWidget,
        help_text=_("The weekend days worked in exchange for the holiday (调休), if any."),
    )

    class Meta:
        model = Holiday
        fields = ["name", "kind", "date"]
        labels = {"date": _("first day")}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            # The days `add_calendar_days` would add, or why it would add none.
            services.calendar_days(name=data["name"], kind=data["kind"], first_day=data["date"],
                                   last_day=data["last_day"], workdays=self.workdays())
        except ValidationError as error:
            add_service_error(self, error)
        return data

    def workdays(self):
        return [day for day in (self.cleaned_data["workday_1"], self.cleaned_data["workday_2"]) if day]


@admin.register(Holiday)
class HolidayAdmin(ScopedAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    add_fieldsets = [(None, {"fields": ["name", "kind", "date", "last_day", "workday_1", "workday_2"]})]

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_changeform_initial_data(self, request):
        return {"kind": Holiday.Kind.HOLIDAY, **super().get_changeform_initial_data(request)}

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = HolidayRangeForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        rows = services.add_calendar_days(
            by=request.user, name=data["name"], kind=data["kind"], first_day=data["date"],
            last_day=data["last_day"], workdays=form.workdays(),
        )
        obj.pk = rows[0].pk


@admin.register(Position)
class PositionAdmin(SuperuserOnly, ScopedAdmin):
    list_display = ["user", "kind", "town", "department", "county", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["user__name", "user__username"]
    list_select_related = ["user", "town", "department", "county"]
    autocomplete_fields = ["user", "town", "department", "county"]
