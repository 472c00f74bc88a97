"""The metrics, each declared once (DESIGN.md: Metrics): its key and label, the rows it counts
and the numerator's condition among them, which units own it, what its records page says, and
its default weight in assessment rounds. The records pages, the dashboards and their export,
重点提示, the assessments, the API and the residents' statistics iterate over `METRICS`.

The set-based computation of the snapshots (`metrics.py`) counts the same rows with the same
conditions, grouped per team and day; the columns that keep a metric's numerator and
denominator (`Snapshot`, `AssessmentResult`, `AssessmentRound.weight_*`) are declared in the
models, and a test checks they match this registry."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Event, Issue, Step
from reports import periods as P
from reports.models import COUNTS, Unit
from teams.models import REQUIRED_ROLES, Attendance, LiaisonDay, Membership, counted, present
from visits.models import Household
from visits.selectors import visited_since


def aware(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def local_day(field):
    """The local date of a moment's field, as the figures cut periods (Asia/Shanghai)."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


# The rows each metric counts and its numerator's condition, shared by the snapshots'
# computation and the records behind a figure.


def attendance_rows(first, last, today):
    """Rows of required members (a membership required on that date, whatever happened to it
    later) on liaison days not cancelled between `first` and `last` and before `today`: a day is
    judged once it is over, so a morning's figures do not show everyone absent. Leave is out of
    the denominator and a row still pending counts as not present (PRESENT is the numerator)."""
    last = min(last, today - timedelta(days=1))
    required = Membership.objects.filter(
        team=OuterRef("liaison_day__team"), user=OuterRef("member"), role__in=REQUIRED_ROLES,
        start_date__lte=OuterRef("liaison_day__date"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("liaison_day__date")))
    return (
        Attendance.objects.filter(
            liaison_day__status=LiaisonDay.Status.SCHEDULED, liaison_day__date__range=(first, last)
        )
        .filter(counted(), Exists(required))
    )


PRESENT = present()


def judged_steps(start, horizon, now):
    """Steps due from `start` (up to `horizon`) that have ended, or whose due time has passed;
    a step that ends after `now` has not ended as of `now`. `on_time(now)` is the numerator."""
    return Step.objects.filter(due_at__gte=start, due_at__lt=horizon).filter(
        Q(ended_at__isnull=False, ended_at__lte=now) | Q(due_at__lt=now)
    )


def on_time(now):
    return Q(ended_at__isnull=False, ended_at__lte=now) & Q(ended_at__lte=F("due_at"))


RESOLVED = Q(status=Issue.Status.RESOLVED) | Q(status=Issue.Status.CLOSED, current_step__outcome=Step.Outcome.RESOLVED)
ANSWERED = Q(status=Issue.Status.CLOSED)
SATISFIED = Q(satisfaction__in=(Issue.Satisfaction.SATISFIED, Issue.Satisfaction.BASICALLY_SATISFIED))


def ratings(start, end):
    """Each rating at the time it was given, including one that reopened its issue."""
    return Event.objects.filter(kind=Event.Kind.RATED, at__gte=start, at__lt=end)


def active_households(last):
    """Households on the roll at the day `last`: registered by it, not moved out before it."""
    return Household.objects.filter(registered_on__lte=last).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gte=last))


class Window:
    """A period as its records are read at `now`: its days up to today [first, last], and the
    moments [start, end) of them that have passed."""

    def __init__(self, period, now):
        self.period, self.now = period, now
        self.today = timezone.localdate(now)
        self.first, self.last = period.start, min(period.end, self.today)
        self.start = aware(period.start)
        self.end = min(aware(self.last + timedelta(days=1)), now)
        # Steps due up to the period's end count in it, once ended or past due (`judged_steps`).
        self.horizon = aware(period.end + timedelta(days=1))


# The records behind each metric for a unit (`units.Kind`, its id), before the viewer's scope
# (`visible`, applied to the rows first), in the order the records pages list them.


def _attendance(w, kind, unit_id, visible):
    return visible(attendance_rows(w.first, w.last, w.today)).filter(
        kind.teams(unit_id, "liaison_day__team__")
    ).select_related("member", "liaison_day__team__village").order_by("liaison_day__date", "member__name")


def _timely(w, kind, unit_id, visible):
    return visible(judged_steps(w.start, w.horizon, w.now)).filter(kind.steps(unit_id)).select_related(
        "issue__village", "team", "town", "department").order_by("due_at")


def _issues_by(field):
    def rows(w, kind, unit_id, visible):
        return visible(Issue).filter(kind.issues(unit_id)).filter(
            **{f"{field}__gte": w.start, f"{field}__lt": w.end}
        ).select_related("village__town", "category", "current_step").order_by(field)
    return rows


def _satisfaction(w, kind, unit_id, visible):
    return visible(ratings(w.start, w.end)).filter(
        issue__in=Issue.objects.filter(kind.issues(unit_id))
    ).select_related("issue__village").order_by("at")


def _coverage(w, kind, unit_id, visible):
    return visible(active_households(w.last)).filter(kind.villages(unit_id)).select_related("village").order_by(
        "village_id", "address", "pk")


TEAMS_UP = (Unit.TEAM, Unit.TOWN, Unit.COUNTY)

# The periods coverage by member (定点联系) is kept for: quarters and years. A member's list is
# visited over the year (seed 000: every household at least once a year) and the assessments are
# of quarters and years; a week or a month says little of a few dozen households, and with ~7,100
# members, twelve times a county's teams, they would have the refresh write several times the
# rows it writes for the teams (DESIGN.md: Metrics).
MEMBER_KINDS = ("quarter", "year")


def member_periods(period_list, today):
    """Those of `period_list` kept by member: months, quarters and years from the first of
    January, or from the start of the quarter before today's if that is earlier (in the first
    quarter, the year before's last quarter, the one an assessment round is then made of). The
    year's pace and the assessments need no more, and each month further back would make the
    refresh read another month of visits for ten times as many rows as the teams'."""
    first = min(date(today.year, 1, 1), P.start_of("quarter", P.start_of("quarter", today) - timedelta(days=1)))
    return [p for p in period_list if p.kind in MEMBER_KINDS and p.start >= first]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    num_label: str  # the verbose names of its numerator's and denominator's columns
    den_label: str
    counted_label: str  # its records page: what it counts, what falls short, and how
    short_label: str
    explanation: str
    rows: object  # (Window, units.Kind, unit id, visible) -> the rows it counts
    met: object  # Window -> the numerator's condition among them
    owners: tuple = TEAMS_UP  # the units it is kept and shown for
    weight: int | None = None  # its default weight in assessment rounds; None: not assessed
    weight_label: str = ""
    weight_place: int = 0  # where the rounds' pages, exports and results list it
    # 重点提示 names the teams below DASHBOARD_ALERT_PERCENT in it.
    alert: bool = False
    # What the residents' statistics say of it, in plain words; "" when they do not show it.
    public: str = ""
    # A county's records are counted from its snapshot while it is fresh; not a metric whose
    # rows change by the minute (a step falls due any moment).
    counted_live: bool = False

    def __str__(self):
        return self.key

    @property
    def template(self):
        return f"reports/_records_{self.key}.html"

    def owned_by(self, unit):
        return unit in self.owners

    def pair(self, row):
        """(numerator, denominator) of the row (a Snapshot or an AssessmentResult)."""
        return getattr(row, f"{self.key}_num"), getattr(row, f"{self.key}_den")

    def rate(self, row):
        """numerator / denominator, or None for 0/0."""
        num, den = self.pair(row)
        return num / den if den else None


# In the order the dashboards show them.
METRICS = (
    Metric(
        "attendance", _("Attendance rate"), _("present"), _("attendance rows"),
        _("Attendance rows counted"), _("Absent or not marked"),
        _("Required members on the liaison days held in the period, leave not counted; a row still not marked "
          "counts as absent."),
        rows=_attendance, met=lambda w: PRESENT, weight=25, weight_label=_("attendance weight"),
        weight_place=1, alert=True,
    ),
    Metric(
        "timely", _("Timely handling rate"), _("steps ended on time"), _("steps judged"),
        _("Steps judged"), _("Late or overdue"),
        _("Handling steps due in the period that have ended or whose deadline has passed; one ended after its "
          "deadline, or still open past it, is late."),
        rows=_timely, met=lambda w: on_time(w.now), owners=(*TEAMS_UP, Unit.DEPARTMENT), weight=25,
        weight_label=_("timely handling weight"), weight_place=2, alert=True, counted_live=True,
    ),
    Metric(
        "resolution", _("Resolution rate"), _("issues resolved"), _("issues received"),
        _("Issues received"), _("Not resolved"),
        _("Issues received in the period; those not resolved now (still being handled, explained, or reopened) "
          "fall short."),
        rows=_issues_by("received_at"), met=lambda w: RESOLVED,
        public=_("Of the issues residents raised this year, the share that has been solved. If 100 issues were "
                 "raised and 90 are solved, it is 90 in 100."),
    ),
    Metric(
        "feedback", _("Feedback rate"), _("issues answered"), _("issues with an answer"),
        _("Issues answered in the period"), _("No feedback yet"),
        _("Issues whose latest answer (solution or explanation) was given in the period; those whose result has "
          "not been reported back to the resident fall short."),
        rows=_issues_by("ended_at"), met=lambda w: ANSWERED, weight=15, weight_label=_("feedback weight"),
        weight_place=5,
        public=_("Of the issues that got an answer this year (solved, or the reason explained why not), the share "
                 "whose answer the team has already brought back to the resident who raised it."),
    ),
    Metric(
        "satisfaction", _("Satisfaction rate"), _("satisfied ratings"), _("ratings"),
        _("Ratings"), _("Dissatisfied"),
        _("Every rating residents gave in the period, including a dissatisfied one that reopened its issue."),
        rows=_satisfaction, met=lambda w: SATISFIED, weight=15, weight_label=_("satisfaction weight"), weight_place=4,
        public=_("Of the ratings residents gave this year, the share that said satisfied or basically satisfied."),
    ),
    Metric(
        "coverage", _("Visit coverage rate"), _("households visited"), _("households"),
        _("Households"), _("Not visited"),
        _("Households on the roll at the end of the period (today for the current one); those without a "
          "household visit in the period fall short."),
        rows=_coverage, met=lambda w: Q(visited_since(w.first, w.last)), weight=20,
        weight_label=_("visit coverage weight"), weight_place=3,
    ),
)
BY_KEY = {m.key: m for m in METRICS}
KEYS = tuple(BY_KEY)
# The assessed metrics, in the order the rounds' pages, exports and results list them.
WEIGHED = tuple(m.key for m in sorted((m for m in METRICS if m.weight is not None), key=lambda m: m.weight_place))
# Every figure a snapshot keeps: each metric's numerator and denominator, then the counts.
FIGURES = [f"{m.key}_{part}" for m in METRICS for part in ("num", "den")] + list(COUNTS)


def get(key):
    return BY_KEY[key]


def owned_by(unit):
    """The metrics kept for the unit, in the dashboards' order."""
    return [m for m in METRICS if m.owned_by(unit)]
