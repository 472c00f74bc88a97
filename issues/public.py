"""The residents' read model: what the public pages and the public API may show.

Nothing here hands an Issue to a template or serializer. The status page gets a
`PublicStatus`, an explicit list of fields, so that a field added to the ledger later stays
internal until someone adds it here on purpose. Reporter name, phone, household, title and
description are never part of it, and the timeline carries each event's public note only,
never its internal note.

A lookup answers the same way, with the same work, whether the code does not exist or the
phone digits are wrong: both read the issue by code and compare the digits in constant time.
"""

import hmac
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import SimpleNamespace

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from issues import codes, public_store, ratelimit, services
from issues.models import Category, Event, Issue, Level, Step
from teams import selectors as team_selectors
from teams.models import Department, Membership, Role, Team, Town, User, Village, Weekday

RATING_TOKEN_MAX_AGE = 60 * 60
STATISTICS_CACHE_SECONDS = 5 * 60
RATEABLE = frozenset({Issue.Status.RESOLVED, Issue.Status.EXPLAINED, Issue.Status.CLOSED})
TYPO_MESSAGE = gettext_lazy(
    "This tracking code has a typo: please check it against your receipt (10 letters and digits)."
)
NOT_FOUND_MESSAGE = gettext_lazy(
    "No issue matches this tracking code and these phone digits. Please check both against your receipt."
)
_rating_signer = signing.TimestampSigner(salt="issues.public.rating")


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    event_kind: str
    note: str

    @property
    def kind(self):
        return str(_LABELS["event"][self.event_kind])


@dataclass(frozen=True)
class PublicStatus:
    """Facts only, no words: labels are translated when shown, so that one status (kept in
    `public_store`) serves every language."""

    code: str
    category: str
    town: str
    village: str
    village_id: int
    received_on: date
    status: str
    level: int
    handler_level: int | None
    handler_unit: str
    responsible_name: str
    role: str
    due_at: datetime | None
    is_overdue: bool
    result: str
    result_kind: str
    feedback_note: str
    feedback_at: datetime | None
    satisfaction: str
    rated_at: datetime | None
    timeline: tuple

    @property
    def display_code(self):
        return codes.display(self.code)

    @property
    def status_label(self):
        return str(_LABELS["status"][self.status])

    @property
    def level_label(self):
        return str(Level(self.level).label)

    @property
    def handler(self):
        if self.handler_level == Level.TOWN:
            return _("%(town)s liaison office") % {"town": self.handler_unit}
        return self.handler_unit

    @property
    def responsible_role(self):
        return str(_LABELS["role"][self.role]) if self.role else ""

    @property
    def satisfaction_label(self):
        return str(_LABELS["satisfaction"][self.satisfaction]) if self.satisfaction else ""

    @property
    def can_rate(self):
        return self.status in RATEABLE and not self.satisfaction

    def as_dict(self):
        """The public API's answer: the same fields as the page."""
        return {
            "code": self.code,
            "category": self.category,
            "town": self.town,
            "village": self.village,
            "received_on": self.received_on.isoformat(),
            "status": self.status,
            "status_label": self.status_label,
            "level_label": self.level_label,
            "handler": self.handler,
            "responsible_name": self.responsible_name,
            "responsible_role": self.responsible_role,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "is_overdue": self.is_overdue,
            "result": self.result,
            "result_kind": self.result_kind or None,
            "feedback_note": self.feedback_note,
            "feedback_at": self.feedback_at.isoformat() if self.feedback_at else None,
            "satisfaction": self.satisfaction or None,
            "satisfaction_label": self.satisfaction_label,
            "rated_at": self.rated_at.isoformat() if self.rated_at else None,
            "can_rate": self.can_rate,
            "timeline": [{"at": e.at.isoformat(), "kind": e.kind, "note": e.note} for e in self.timeline],
        }


def clean_code(raw):
    """The stored form of what the resident typed; a ValidationError if the check character
    shows a typo. No lookup is made for such a code."""
    code = codes.normalize(raw or "")
    if not codes.is_well_formed(code):
        raise ValidationError(TYPO_MESSAGE, code="typo")
    return code


def clean_phone_last4(raw):
    digits = (raw or "").strip()
    if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
        raise ValidationError(_("Enter the last four digits of the phone number you gave."), code="phone")
    return digits


def _phone_ending(phone):
    return "".join(c for c in phone if c.isdigit())[-4:]


# The lookup is the busiest public page. Its issue read is one hand-written query over three
# tables: with the category, village, town and handler joined in as well, PostgreSQL spends
# longer planning the query than running it. Those names come from `_reference_names`.
_ISSUE_SQL = """
SELECT i.id, i.code, i.reporter_phone, i.status, i.level, i.received_at, i.due_at, i.result,
       i.feedback_note, i.feedback_at, i.satisfaction, i.rated_at, i.category_id, i.village_id,
       s.outcome AS step_outcome, s.level AS step_level, s.team_id AS step_team_id,
       s.town_id AS step_town_id, s.department_id AS step_department_id,
       u.name AS responsible_name,
       (SELECT m.role FROM {membership} m INNER JOIN {team} t ON t.id = m.team_id
         WHERE t.village_id = i.village_id AND m.user_id = i.first_responder_id
           AND m.start_date <= %s AND (m.end_date IS NULL OR m.end_date >= %s)
         ORDER BY m.start_date LIMIT 1) AS responsible_role
FROM {issue} i
LEFT OUTER JOIN {step} s ON s.id = i.current_step_id
INNER JOIN {user} u ON u.id = i.first_responder_id
WHERE i.{column} = %s
"""
# Choice labels by code. Django's get_FOO_display() translates every label of the field to
# find one; these translate only the one shown.
_LABELS = {
    "status": dict(Issue.Status.choices),
    "satisfaction": dict(Issue.Satisfaction.choices),
    "event": dict(Event.Kind.choices),
    "role": dict(Role.choices),
}
REFERENCE_SECONDS = 5 * 60
_reference = {"loaded": 0.0}


def _rows(sql, params):
    """Plain rows with named columns: building model instances would cost a first lookup more
    than the query itself. SQLite (`make run`) returns naive datetimes: they are made aware in
    the connection's time zone, as the ORM does."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return [SimpleNamespace(**{name: _aware(value) for name, value in zip(names, row, strict=True)}) for row in rows]


def _aware(value):
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, connection.timezone)
    return value


def _issue_for_public(column, value):
    tables = {m.__name__.lower(): m._meta.db_table for m in (Issue, Step, Membership, Team, User)}
    today = timezone.localdate()
    rows = _rows(_ISSUE_SQL.format(column=column, **tables), [today, today, value])
    return rows[0] if rows else None


def _reference_names(issue):
    """Names of the issue's category, village, town and handler, from a copy of these small
    tables that each process keeps for a few minutes (and reloads when it meets a new row)."""
    ids = (
        ("categories", issue.category_id), ("villages", issue.village_id), ("teams", issue.step_team_id),
        ("towns", issue.step_town_id), ("departments", issue.step_department_id),
    )
    stale = time.monotonic() - _reference["loaded"] > REFERENCE_SECONDS
    if stale or any(key is not None and key not in _reference[table] for table, key in ids):
        _reference.update(
            categories=dict(Category.objects.values_list("pk", "name")),
            villages={pk: (name, town) for pk, name, town in Village.objects.values_list("pk", "name", "town_id")},
            towns=dict(Town.objects.values_list("pk", "name")),
            teams=dict(Team.objects.values_list("pk", "name")),
            departments=dict(Department.objects.values_list("pk", "name")),
            loaded=time.monotonic(),
        )
    return _reference


def _handler_unit(issue, names):
    if issue.step_level == Level.VILLAGE:
        return names["teams"][issue.step_team_id]
    if issue.step_level == Level.TOWN:
        return names["towns"][issue.step_town_id]
    if issue.step_level == Level.COUNTY:
        return names["departments"][issue.step_department_id]
    return ""


def _public_status(issue, events, now):
    names = _reference_names(issue)
    village, town_id = names["villages"][issue.village_id]
    is_open = issue.status == Issue.Status.OPEN
    return PublicStatus(
        code=issue.code,
        category=names["categories"][issue.category_id],
        town=names["towns"][town_id],
        village=village,
        village_id=issue.village_id,
        received_on=timezone.localdate(issue.received_at),
        status=issue.status,
        level=issue.level,
        handler_level=issue.step_level,
        handler_unit=_handler_unit(issue, names),
        # Officials are named publicly; an account without a name shows its role only, never its login.
        responsible_name=issue.responsible_name,
        role=issue.responsible_role or "",
        due_at=issue.due_at if is_open else None,
        is_overdue=Issue(status=issue.status, due_at=issue.due_at).is_overdue(now),
        result="" if is_open else issue.result,
        result_kind="" if is_open else issue.step_outcome or "",
        feedback_note=issue.feedback_note,
        feedback_at=issue.feedback_at,
        satisfaction=issue.satisfaction,
        rated_at=issue.rated_at,
        timeline=tuple(PublicEvent(at=e.at, event_kind=e.kind, note=e.public_note) for e in events),
    )


_TIMELINE_SQL = "SELECT id, at, kind, public_note FROM {event} WHERE issue_id = %s ORDER BY at, id"


def _timeline(issue_id):
    return _rows(_TIMELINE_SQL.format(event=Event._meta.db_table), [issue_id])


def _found(issue):
    events = _timeline(issue.id)
    return public_store.Found(
        code=issue.code,
        version=max((event.id for event in events), default=0),
        status=_public_status(issue, events, timezone.now()),
    )


def status_for(issue_id):
    """The public status of an issue the caller has already matched (after a rating)."""
    return _found(_issue_for_public("id", issue_id)).status


def lookup(*, code, phone_last4):
    """A `Found` from the database when `code` (already cleaned) and the phone's last four
    digits match an issue, else None — the same None for a missing issue and for wrong digits."""
    issue = _issue_for_public("code", code)
    expected = _phone_ending(issue.reporter_phone) if issue is not None else "----"
    matches = hmac.compare_digest(expected.encode(), phone_last4.encode())
    if issue is None or not matches:
        return None
    return _found(issue)


def guarded_lookup(*, code, phone_last4, address, render=None):
    """The lookup behind the failed-lookup limits: (Found, None) on a match, (None, None) for
    the neutral answer (counted as a failure), (None, Blocked) past a limit (no lookup made).

    With `render` (status → the status page in the current language) the Found carries the
    page, else the status. A match is answered from `public_store` when it has kept one, else
    from the database, and then kept there."""
    language = get_language() if render else None
    found = public_store.probe(address=address, code=code, phone_last4=phone_last4, language=language)
    if found is not None:
        return found, None
    attempt, block = ratelimit.begin(address=address, code=code)
    if block is not None:
        return None, block
    found = lookup(code=code, phone_last4=phone_last4)
    if found is None:
        ratelimit.failed(attempt)
        return None, None
    ratelimit.succeeded(attempt)
    if render:
        found = replace(found, page=render(found.status))
    public_store.keep(found, phone_last4=phone_last4, language=language)
    return found, None


def rating_token(code):
    """Proof, for the rating form, that this visitor matched the code and phone digits."""
    return _rating_signer.sign(code)


def rate(*, token, satisfaction, comment=""):
    """The resident's rating, from the status page: checks the token, then the ledger's rule.
    Returns the new public status and a sentence saying what happens next."""
    try:
        code = _rating_signer.unsign(token, max_age=RATING_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(_("This page has expired. Please look up your issue again before rating it."))
    issue = Issue.objects.get(code=code)
    if satisfaction not in Issue.Satisfaction.values:
        raise ValidationError(_("Choose how satisfied you are with the answer."))
    try:
        services.rate(issue=issue, satisfaction=satisfaction, comment=comment.strip()[:300], by=None)
    except services.TransitionNotAllowed:
        raise ValidationError(_("This issue cannot be rated now: it has already been rated or is still being handled."))
    status = status_for(issue.pk)
    return status, next_step_message(status)


def next_step_message(status):
    if status.status == Issue.Status.OPEN:
        return _(
            "Thank you. Your issue has been reopened and is being handled again by %(handler)s; "
            "they will contact you with the new result."
        ) % {"handler": status.handler}
    if status.satisfaction == Issue.Satisfaction.DISSATISFIED:
        return _(
            "Thank you. Your dissatisfaction has been recorded; it counts in the team's assessment, "
            "and the first responder will get in touch with you."
        )
    return _("Thank you for your rating. It counts in the team's assessment.")


def town_statistics(year=None):
    """Per town, issues received this year, resolved (or closed after resolution), and answered
    (feedback given: 件件有回音). One grouped query, cached briefly."""
    year = year or timezone.localdate().year
    key = f"public-town-statistics:{year}"
    rows = cache.get(key)
    if rows is None:
        tz = timezone.get_current_timezone()
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        in_year = Q(villages__issues__received_at__gte=start, villages__issues__received_at__lt=end)
        resolved = Q(villages__issues__status=Issue.Status.RESOLVED) | Q(
            villages__issues__status=Issue.Status.CLOSED,
            villages__issues__current_step__outcome=Step.Outcome.RESOLVED,
        )
        rows = list(
            Town.objects.annotate(
                received=Count("villages__issues", filter=in_year),
                resolved=Count("villages__issues", filter=in_year & resolved),
                answered=Count("villages__issues", filter=in_year & Q(villages__issues__feedback_at__isnull=False)),
            )
            .filter(received__gt=0)
            .order_by("county__name", "name")
            .values("id", "name", "county__name", "received", "resolved", "answered")
        )
        cache.set(key, rows, STATISTICS_CACHE_SECONDS)
    return year, rows


def town_index():
    """Towns with the number of villages that have an active team: the index's first level."""
    return list(
        Town.objects.filter(villages__team__is_active=True)
        .annotate(village_count=Count("villages"))
        .select_related("county")
        .order_by("county__name", "name")
    )


def village_index(*, query="", town_id=None):
    """Towns with their villages that have an active team, matching a village or town name,
    or in one town."""
    villages = Village.objects.filter(team__is_active=True).select_related("team__schedule")
    if query:
        villages = villages.filter(Q(name__contains=query) | Q(town__name__contains=query))
    if town_id is not None:
        villages = villages.filter(town_id=town_id)
    towns = (
        Town.objects.filter(villages__in=villages)
        .distinct()
        .select_related("county")
        .order_by("county__name", "name")
    )
    by_town = {}
    for village in villages.order_by("name"):
        by_town.setdefault(village.town_id, []).append(village)
    towns = list(towns)
    for town in towns:
        town.listed_villages = by_town.get(town.pk, [])
    return towns


@dataclass(frozen=True)
class PublicMember:
    name: str
    role: str
    phone: str
    is_leader: bool


@dataclass(frozen=True)
class VillageNotice:
    village: Village
    team_name: str
    members: tuple
    weekday_label: str
    every_weeks_label: str
    half_day_label: str
    place: str
    next_day: object


def village_notice(village_id):
    """The village's 公示: its team today, the fixed day, half-day and place, and the next
    liaison day; None if the village has no active team."""
    village = (
        Village.objects.filter(pk=village_id, team__is_active=True)
        .select_related("town__county", "team__schedule")
        .first()
    )
    if village is None:
        return None
    team = village.team
    memberships = (
        Membership.objects.active_on(timezone.localdate())
        .filter(team=team)
        .select_related("user")
        .only("role", "public_phone", "start_date", "user__name")
    )
    order = {role: i for i, role in enumerate(Role.values)}
    members = tuple(
        PublicMember(name=m.user.name, role=m.get_role_display(), phone=m.public_phone, is_leader=m.role == Role.LEADER)
        for m in sorted(memberships, key=lambda m: (order[m.role], m.start_date, m.pk))
    )
    schedule = getattr(team, "schedule", None)
    if schedule is None:
        weekday = every_weeks = half_day = place = ""
    else:
        weekday = Weekday(schedule.effective_weekday(village.town.county)).label
        every_weeks = schedule.get_every_weeks_display()
        half_day = schedule.get_half_day_display()
        place = schedule.place
    return VillageNotice(
        village=village,
        team_name=team.name,
        members=members,
        weekday_label=weekday,
        every_weeks_label=every_weeks,
        half_day_label=half_day,
        place=place,
        next_day=team_selectors.next_liaison_days([team.pk]).get(team.pk),
    )
