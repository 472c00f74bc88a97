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
import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues import codes, ratelimit, services
from issues.models import Event, Issue, Level
from teams import selectors as team_selectors
from teams.models import Membership, Role, Town, Village, Weekday

logger = logging.getLogger(__name__)

RATING_TOKEN_MAX_AGE = 60 * 60
RATEABLE = frozenset({Issue.Status.RESOLVED, Issue.Status.EXPLAINED, Issue.Status.CLOSED})
TYPO_MESSAGE = gettext_lazy(
    "This tracking code has a typo: please check it against your receipt (10 letters and digits)."
)
PHONE_LAST4_MESSAGE = gettext_lazy("Enter the last four digits of the phone number you gave.")
NOT_FOUND_MESSAGE = gettext_lazy(
    "No issue matches this tracking code and these phone digits. Please check both against your receipt."
)
_rating_signer = signing.TimestampSigner(salt="issues.public.rating")
# The receipt's QR code and the status page's address: the code, signed, for as long as the issue
# exists. Whoever holds the receipt holds the link, as they hold the code and the phone digits.
_status_signer = signing.Signer(salt="issues.public.status")


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str
    note: str


@dataclass(frozen=True)
class PublicStatus:
    code: str
    display_code: str
    category: str
    town: str
    village: str
    village_id: int
    received_on: date
    status: str
    status_label: str
    level_label: str
    handler: str
    responsible_name: str
    responsible_role: str
    due_at: datetime | None
    is_overdue: bool
    result: str
    result_kind: str
    feedback_note: str
    feedback_at: datetime | None
    satisfaction: str
    satisfaction_label: str
    rated_at: datetime | None
    timeline: tuple

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
        raise ValidationError(PHONE_LAST4_MESSAGE, code="phone")
    return digits


def _phone_ending(phone):
    return "".join(c for c in phone if c.isdigit())[-4:]


# The status's issue in one statement, written out rather than built by the ORM: building the
# query with its joins and the role's subquery cost more CPU than PostgreSQL spends planning and
# running it. Its names, current step and handler (the step's team, town or department) are
# joined in; the role is the first responder's in the village's team today (Membership.active_on).
_STATUS_SQL = """
SELECT i.id, i.code, i.village_id, i.received_at, i.status, i.level, i.due_at, i.result, i.feedback_note,
       i.feedback_at, i.satisfaction, i.rated_at, i.reporter_phone,
       c.name AS category_name, v.name AS village_name, t.name AS town_name, u.name AS responsible_name,
       s.level AS step_level, s.outcome AS step_outcome,
       COALESCE(st.name, sto.name, d.name) AS handler_name, sto.name AS step_town_name,
       (SELECT m.role FROM teams_membership m JOIN teams_team mt ON mt.id = m.team_id
         WHERE mt.village_id = i.village_id AND m.user_id = i.first_responder_id
           AND m.start_date <= %s AND (m.end_date IS NULL OR m.end_date >= %s)
         ORDER BY m.start_date LIMIT 1) AS responsible_role
FROM issues_issue i
JOIN issues_category c ON c.id = i.category_id
JOIN teams_village v ON v.id = i.village_id
JOIN teams_town t ON t.id = v.town_id
JOIN teams_user u ON u.id = i.first_responder_id
LEFT JOIN issues_step s ON s.id = i.current_step_id
LEFT JOIN teams_team st ON st.id = s.team_id
LEFT JOIN teams_town sto ON sto.id = s.town_id
LEFT JOIN teams_department d ON d.id = s.department_id
WHERE i.code = %s
"""


def _public_issue(code):
    """The issue by code with the names the status shows (`_STATUS_SQL`); None if there is none."""
    today = timezone.localdate()
    return next(iter(Issue.objects.raw(_STATUS_SQL, [today, today, code])), None)


def _handler(issue):
    if issue.step_level is None:
        return ""
    if issue.step_level == Level.TOWN:
        return _("%(town)s liaison office") % {"town": issue.step_town_name}
    return issue.handler_name


def _public_status(issue):
    is_open = issue.is_open
    return PublicStatus(
        code=issue.code,
        display_code=issue.display_code,
        category=issue.category_name,
        town=issue.town_name,
        village=issue.village_name,
        village_id=issue.village_id,
        received_on=timezone.localdate(issue.received_at),
        status=issue.status,
        status_label=issue.get_status_display(),
        level_label=issue.get_level_display(),
        handler=_handler(issue),
        # Officials are named publicly; an account without a name shows its role only, never its login.
        responsible_name=issue.responsible_name,
        responsible_role=str(Role(issue.responsible_role).label) if issue.responsible_role else "",
        due_at=issue.due_at if is_open else None,
        is_overdue=issue.is_overdue(timezone.now()),
        result="" if is_open else issue.result,
        result_kind="" if is_open or issue.step_level is None else issue.step_outcome,
        feedback_note=issue.feedback_note,
        feedback_at=issue.feedback_at,
        satisfaction=issue.satisfaction,
        satisfaction_label=issue.get_satisfaction_display(),
        rated_at=issue.rated_at,
        # Read only once the digits matched, so that a wrong phone costs what a missing code does.
        timeline=tuple(
            PublicEvent(at=at, kind=str(Event.Kind(kind).label), note=note)
            for at, kind, note in Event.objects.filter(issue=issue.pk).order_by("at", "pk").values_list(
                "at", "kind", "public_note"
            )
        ),
    )


def _matches(reporter_phone, phone_last4):
    """Whether the digits match, compared in constant time; a missing issue (None) compares too."""
    expected = _phone_ending(reporter_phone) if reporter_phone is not None else "----"
    return hmac.compare_digest(expected.encode(), phone_last4.encode()) and reporter_phone is not None


def lookup(*, code, phone_last4):
    """The public status when `code` (already cleaned) and the phone's last four digits match
    an issue, else None — the same None for a missing issue and for wrong digits."""
    issue = _public_issue(code)
    if not _matches(issue.reporter_phone if issue is not None else None, phone_last4):
        return None
    return _public_status(issue)


def match(*, code, phone_last4):
    """Whether `code` (already cleaned) and the digits match an issue: the form's lookup, which
    leads on to the status page and so reads no more than the phone."""
    phone = Issue.objects.filter(code=code).values_list("reporter_phone", flat=True).first()
    return _matches(phone, phone_last4)


def _guarded(find, *, code, phone_last4, address):
    block = ratelimit.blocked(address=address, code=code)
    if block is not None:
        return None, block
    found = find(code=code, phone_last4=phone_last4)
    if not found:
        ratelimit.record_failure(address=address, code=code)
    return found, None


def guarded_lookup(*, code, phone_last4, address):
    """The lookup behind the failed-lookup limits: (status, None) on a match, (None, None) for
    the neutral answer (counted as a failure), (None, Blocked) past a limit (no lookup made).
    Raises ratelimit.Unavailable when the limits cannot be counted."""
    return _guarded(lookup, code=code, phone_last4=phone_last4, address=address)


def guarded_match(*, code, phone_last4, address):
    """`match` behind the same limits as `guarded_lookup`: (True, None), (False, None) or
    (None, Blocked)."""
    return _guarded(match, code=code, phone_last4=phone_last4, address=address)


def status_token(code):
    """The token of the issue's public status link (its receipt's QR code)."""
    return _status_signer.sign(code)


def status_by_token(token):
    """The public status a signed link opens; None for a token that was not signed here, or an
    issue that no longer exists."""
    try:
        code = _status_signer.unsign(token)
    except signing.BadSignature:
        return None
    issue = _public_issue(code)
    return None if issue is None else _public_status(issue)


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
    status = _public_status(_public_issue(code))
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
    fixed_day: str
    next_day: object

    @property
    def fixed_schedule(self):
        """三固定 in one line for the printed card, "每星期二下午，村委会": never a date, which a
        card posted for months would outlive."""
        if not self.place:
            return ""
        return _("%(when)s, %(place)s") % {"when": self.fixed_day, "place": self.place}


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
        weekday = every_weeks = half_day = place = fixed_day = ""
    else:
        weekday = Weekday(schedule.effective_weekday(village.town.county)).label
        every_weeks = schedule.get_every_weeks_display()
        half_day = schedule.get_half_day_display()
        place = schedule.place
        every = _("Every %(weekday)s %(half_day)s") if schedule.every_weeks == 1 else _(
            "Every other %(weekday)s %(half_day)s"
        )
        fixed_day = every % {"weekday": weekday, "half_day": half_day}
    return VillageNotice(
        village=village,
        team_name=team.name,
        members=members,
        weekday_label=weekday,
        every_weeks_label=every_weeks,
        half_day_label=half_day,
        place=place,
        fixed_day=fixed_day,
        next_day=team_selectors.next_liaison_days([team.pk]).get(team.pk),
    )
