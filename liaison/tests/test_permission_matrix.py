"""Who may open what: every named route of the URL configuration × every persona outside team
A's village × GET and POST, against the status expected. The routes come from the URL
resolver and their parameters are filled with team A's objects, so a new page cannot be added
without saying here what each persona gets: an unknown route, or a parameter the matrix cannot
fill, fails the test.

A POST sends what the page or the API would take from someone allowed (`bodies`), so that only
the scope check stands between an outsider and the change; after every POST nothing of anyone
else's has changed. The admin's routes follow rules (`admin_expected`): non-staff are sent to
the admin's login; the staff member sees only the models their permissions name, and only the
objects the scope module lets them see.

Personas: a visitor; a cadre of the other town (team C); the county's 信访局; the organization
department (reads the whole county, changes nothing); a town office of the other town with
staff status and a few admin permissions."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver, reverse
from knox.models import AuthToken

from issues import public
from issues import services as issue_services
from issues.models import Category, Event, Issue, Notification
from issues.tests.conftest import forget_public_counters
from liaison import health
from reports.excel import exports
from reports.figures import services as report_services
from reports.models import ImportBatch
from reports.oversight import assessments, inspections
from teams import scope
from teams.models import Attendance, AttendanceChange, Holiday, LiaisonDay, Membership, Position, User
from visits.models import Assignment, Household, HouseholdTag, Visit

PERSONAS = ["anonymous", "other_cadre", "department", "org_department", "staff"]

# What each persona gets, in the order of PERSONAS: GET, then POST. `login`: sent to the login
# page; `302`: sent elsewhere (a refusal shown as a message, or the page for the user's own).
EXPECTED = {
    "home":                           ("302   200   200   200   200", "302   200   200   200   200"),
    "login":                          ("200   302   302   302   302", "200   302   302   302   302"),
    "logout":                         ("405   405   405   405   405", "login login login login login"),
    "set_language":                   ("302   302   302   302   302", "302   302   302   302   302"),
    "schema":                         ("200   200   200   200   200", "405   405   405   405   405"),
    "api-docs":                       ("200   200   200   200   200", "405   405   405   405   405"),
    # For the load balancer (a worker's heartbeat written by the world) and Prometheus (no token set).
    "healthz":                        ("200   200   200   200   200", "405   405   405   405   405"),
    "metrics":                        ("404   404   404   404   404", "405   405   405   405   405"),
    # The residents' pages.
    "public-index":                   ("200   200   200   200   200", "405   405   405   405   405"),
    "public-lookup":                  ("200   200   200   200   200", "200   200   200   200   200"),
    "public-rate":                    ("405   405   405   405   405", "400   400   400   400   400"),
    "public-status":                  ("200   200   200   200   200", "405   405   405   405   405"),
    "public-statistics":              ("200   200   200   200   200", "405   405   405   405   405"),
    "public-village":                 ("200   200   200   200   200", "405   405   405   405   405"),
    "public-village-card":            ("200   200   200   200   200", "405   405   405   405   405"),
    # Teams and liaison days.
    "team-detail":                    ("login 404   404   200   404", "login 404   404   200   404"),
    "liaison-days":                   ("login 200   200   200   200", "login 200   200   200   200"),
    "liaison-day":                    ("login 404   404   200   404", "login 404   404   404   404"),
    "liaison-check-in":               ("login 405   405   405   405", "login 404   404   404   404"),
    "liaison-day-leave":              ("login 405   405   405   405", "login 404   404   403   404"),
    "liaison-day-reschedule":         ("login 405   405   405   405", "login 404   404   302   404"),
    "liaison-day-cancel":             ("login 405   405   405   405", "login 404   404   302   404"),
    # Visits and households.
    "visit-new":                      ("login 200   302   302   302", "login 200   302   302   302"),
    "visit-detail":                   ("login 404   404   200   404", "login 404   404   404   404"),
    "visit-diary":                    ("login 200   200   200   200", "login 200   200   200   200"),
    "coverage":                       ("login 302   200   200   302", "login 405   405   405   405"),
    "village-coverage":               ("login 404   404   200   404", "login 404   404   200   404"),
    "household-search":               ("login 200   200   200   200", "login 200   200   200   200"),
    "household-list":                 ("login 404   404   200   404", "login 404   404   200   404"),
    "household-new":                  ("login 404   404   403   404", "login 404   404   403   404"),
    "household-detail":               ("login 404   404   200   404", "login 404   404   200   404"),
    "household-edit":                 ("login 404   404   403   404", "login 404   404   403   404"),
    "household-move-out":             ("login 405   405   405   405", "login 404   404   403   404"),
    # 定点联系: a member's own households; the unassigned of the villages one assigns (the other
    # town's office has its own); team A's assignments to its leader, town office, administrators.
    "my-households":                  ("login 200   403   403   403", "login 405   405   405   405"),
    "unassigned-households":          ("login 403   403   403   200", "login 405   405   405   405"),
    "village-assignments":            ("login 404   404   403   404", "login 405   405   405   405"),
    "assignment-change":              ("login 405   405   405   405", "login 404   404   403   404"),
    # The coverage planner: one's own plan (a page for anyone logged in), a liaison day's plan for whoever sees the day.
    "visit-plan":                     ("login 200   200   200   200", "login 405   405   405   405"),
    "visit-plan-day":                 ("login 404   404   200   404", "login 405   405   405   405"),
    # The ledger.
    "issue-list":                     ("login 200   200   200   200", "login 200   200   200   200"),
    "issue-register":                 ("login 200   403   403   200", "login 200   403   403   200"),
    "issue-town-queue":               ("login 403   403   403   200", "login 403   403   403   200"),
    "issue-town-escalated":           ("login 403   403   403   200", "login 403   403   403   200"),
    "issue-department-queue":         ("login 403   200   403   403", "login 403   200   403   403"),
    "issue-detail":                   ("login 404   404   200   404", "login 404   404   200   404"),
    "issue-receipt":                  ("login 404   404   200   404", "login 404   404   200   404"),
    "issue-photo":                    ("login 404   404   200   404", "login 404   404   200   404"),
    "issue-action":                   ("login 405   405   405   405", "login 404   404   403   404"),
    "notification-list":              ("login 200   200   200   200", "login 200   200   200   200"),
    "notifications-read":             ("login 405   405   405   405", "login 302   302   302   302"),
    "notification-open":              ("login 405   405   405   405", "login 404   404   404   404"),
    # The API. A change the organization department may not make is refused after its body is
    # read: 403, or 400 where the body names someone it cannot act for.
    "api:api-root":                   ("401   200   200   200   200", "401   405   405   405   405"),
    "api:api-token":                  ("405   405   405   405   405", "400   400   400   400   400"),
    "api:api-me":                     ("401   200   200   200   200", "401   405   405   405   405"),
    "api:api-public-issue-status":    ("405   405   405   405   405", "404   404   404   404   404"),
    "api:town-list":                  ("401   200   200   200   200", "401   405   405   405   405"),
    "api:town-detail":                ("401   200   200   200   200", "401   405   405   405   405"),
    "api:village-list":               ("401   200   200   200   200", "401   405   405   405   405"),
    "api:village-detail":             ("401   200   200   200   200", "401   405   405   405   405"),
    "api:department-list":            ("401   200   200   200   200", "401   405   405   405   405"),
    "api:department-detail":          ("401   200   200   200   200", "401   405   405   405   405"),
    "api:team-list":                  ("401   200   200   200   200", "401   405   405   405   405"),
    "api:team-detail":                ("401   404   404   200   404", "401   405   405   405   405"),
    "api:api-household-list":         ("401   200   200   200   200", "401   403   403   403   403"),
    "api:api-household-detail":       ("401   404   404   200   404", "401   405   405   405   405"),
    "api:api-liaison-day-list":       ("401   200   200   200   200", "401   405   405   405   405"),
    "api:api-liaison-day-detail":     ("401   404   404   200   404", "401   405   405   405   405"),
    "api:api-liaison-day-attendance": ("401   405   405   405   405", "401   404   404   403   404"),
    "api:api-visit-list":             ("401   200   200   200   200", "401   403   403   403   403"),
    "api:api-visit-detail":           ("401   404   404   200   404", "401   405   405   405   405"),
    "api:category-list":              ("401   200   200   200   200", "401   405   405   405   405"),
    "api:category-detail":            ("401   200   200   200   200", "401   405   405   405   405"),
    "api:issue-list":                 ("401   200   200   200   200", "401   403   403   403   403"),
    "api:issue-detail":               ("401   404   404   200   404", "401   405   405   405   405"),
    "api:issue-progress":             ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-escalate":             ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-resolve":              ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-explain":              ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-feedback":             ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-rate":                 ("401   405   405   405   405", "401   404   404   403   404"),
    "api:issue-handover":             ("401   405   405   405   405", "401   404   404   400   404"),
    # Team A's figures, computed for the assessment round: the organization department only.
    "api:api-metrics":                ("401   404   404   200   404", "401   405   405   405   405"),
    # The raw facts behind the figures: lists of what each sees, team A's records to those who see them.
    "api:membership-list":            ("401   200   200   200   200", "401   405   405   405   405"),
    "api:membership-detail":          ("401   404   404   200   404", "401   405   405   405   405"),
    "api:step-list":                  ("401   200   200   200   200", "401   405   405   405   405"),
    "api:step-detail":                ("401   404   404   200   404", "401   405   405   405   405"),
    "api:rating-list":                ("401   200   200   200   200", "401   405   405   405   405"),
    "api:rating-detail":              ("401   404   404   200   404", "401   405   405   405   405"),
    # 定点联系: each sees the assignments of what they oversee (their own, as a member); only the
    # team's leader, its town office and administrators change them, and the households, team and
    # people named are unknown to those outside the village.
    "api:assignment-list":            ("401   200   200   200   200", "401   400   400   403   400"),
    "api:assignment-unassigned":      ("401   200   200   200   200", "401   405   405   405   405"),
    "api:assignment-reassign":        ("401   405   405   405   405", "401   400   400   403   400"),
    "api:assignment-unassign":        ("401   405   405   405   405", "401   400   400   403   400"),
    "api:assignment-distribute":      ("401   405   405   405   405", "401   400   400   403   400"),
    # The dashboards: each is sent to their own; team A's figures and records to the county's
    # organization department only; only it refreshes the county.
    "dashboards":                     ("login 302   302   302   302", "login 405   405   405   405"),
    "assignment-health":              ("login 404   404   200   404", "login 405   405   405   405"),
    "dashboard":                      ("login 404   404   200   404", "login 405   405   405   405"),
    "dashboard-records":              ("login 404   404   200   404", "login 405   405   405   405"),
    "dashboard-refresh":              ("login 405   405   405   405", "login 404   404   302   404"),
    "dashboard-refresh-status":       ("login 404   404   200   404", "login 405   405   405   405"),
    # Inspections and assessment rounds: the organization department records and manages them;
    # the other town's office sees neither team A's inspection nor a draft round; a list shows
    # each their own (none). The POSTs by the organization department: an inspection recorded,
    # the draft round refused publication (nothing to score) and shown its page again.
    "inspection-list":                ("login 200   200   200   200", "login 405   405   405   405"),
    "inspection-new":                 ("login 403   403   200   403", "login 403   403   302   403"),
    "inspection-detail":              ("login 404   404   200   404", "login 405   405   405   405"),
    "inspection-edit":                ("login 404   404   200   404", "login 404   404   302   404"),
    "inspection-delete":              ("login 405   405   405   405", "login 404   404   302   404"),
    "criticism-notices":              ("login 200   200   200   200", "login 405   405   405   405"),
    "assessment-list":                ("login 200   200   200   200", "login 405   405   405   405"),
    "assessment-new":                 ("login 405   405   405   405", "login 403   403   302   403"),
    "assessment-detail":              ("login 404   404   200   404", "login 405   405   405   405"),
    "assessment-print":               ("login 404   404   200   404", "login 405   405   405   405"),
    "assessment-unit":                ("login 404   404   200   404", "login 405   405   405   405"),
    "assessment-action":              ("login 405   405   405   405", "login 404   404   302   404"),
    "api:inspection-list":            ("401   200   200   200   200", "401   403   403   201   403"),
    "api:inspection-detail":          ("401   404   404   200   404", "401   405   405   405   405"),
    "api:assessment-list":            ("401   200   200   200   200", "401   405   405   405   405"),
    "api:assessment-detail":          ("401   404   404   200   404", "401   405   405   405   405"),
    # Excel: anyone exports what they see (a small export is the download itself); a job and its
    # file are the requester's only (team A's cadre's here); the town office and administrators import.
    "export-start":                   ("login 405   405   405   405", "login 200   200   200   200"),
    "export-detail":                  ("login 404   404   404   404", "login 405   405   405   405"),
    "export-status":                  ("login 404   404   404   404", "login 405   405   405   405"),
    "export-download":                ("login 404   404   404   404", "login 405   405   405   405"),
    "imports":                        ("login 403   403   403   200", "login 405   405   405   405"),
    "import-template":                ("login 403   403   403   200", "login 405   405   405   405"),
    "import-upload":                  ("login 405   405   405   405", "login 403   403   403   302"),
    "import-valid-rows":              ("login 405   405   405   405", "login 404   404   404   404"),
    "api:export-list":                ("401   200   200   200   200", "401   201   201   201   201"),
    "api:export-detail":              ("401   404   404   404   404", "401   405   405   405   405"),
    "api:export-download":            ("401   404   404   404   404", "401   405   405   405   405"),
}
# Query strings of routes that read one.
QUERIES = {"api:api-metrics": lambda w: f"?unit=team:{w.team_a.pk}&period=month:2026-11"}

# The staff member's admin rights: a few models, partly read-only.
STAFF_PERMISSIONS = ["view_team", "change_team", "view_membership", "view_household", "change_household", "view_issue"]


def routes():
    """(name, parameter names) of every named route of the URL configuration."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, ":".join(filter(None, [namespace, pattern.namespace])) or None)
            elif pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, tuple(sorted(pattern.pattern.regex.groupindex))

    return sorted(set(walk(get_resolver().url_patterns)))


ROUTES = routes()


@pytest.fixture
def matrix_world(busy_world):
    w = busy_world
    w.staff = User.objects.create_user(username="clerk", password="-", name="周文静", is_staff=True)
    Position.objects.create(user=w.staff, kind=Position.Kind.TOWN_OFFICE, town=w.town2)
    w.staff.user_permissions.set(Permission.objects.filter(codename__in=STAFF_PERMISSIONS))
    Group.objects.create(name="镇街驻点办")
    AuthToken.objects.create(user=w.cadre)
    rated = issue_services.register(
        by=w.cadre, village=w.village_a, category=w.issue_a.category, title="路灯不亮", description="三巷路灯",
        source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )
    issue_services.resolve(issue=rated, by=w.cadre, result="已修复")
    w.rating_a = issue_services.rate(issue=rated, satisfaction="satisfied")
    w.inspection_a = inspections.record(
        by=w.org_department, team=w.team_a, date=w.day_a.date, inspectors="县委组织部督查组", findings="台账未及时更新",
        deduction=1, ledger_up_to_date=False, criticism="通报批评", criticised=[w.cadre],
    )
    w.inspection_b = inspections.record(by=w.org_department, team=w.team_a, date=w.day_a.date, inspectors="督查组")
    report_services.refresh_in_process(w.county)
    w.round_a = assessments.create_round(by=w.org_department, county=w.county, period="quarter:2026-Q3")
    w.export_a = exports.start(user=w.cadre, kind="issues", data={}, small_now=True)
    w.batch_a = ImportBatch.objects.create(user=w.town_office, kind="households", name="住户.xlsx", content=b"PK")
    health.beat()
    return w


def admin_object(w, model):
    """The admin's object of each of our models: team A's where the model has one. Other apps'
    (groups, tokens, sign-in records) are shown the first there is."""
    if model._meta.app_label not in ("teams", "visits", "issues", "reports"):
        return model._default_manager.order_by("pk").first()
    return {
        "county": w.county, "town": w.town1, "village": w.village_a, "department": w.dept1, "user": w.cadre,
        "position": Position.objects.get(user=w.town_office), "team": w.team_a,
        "membership": Membership.objects.get(user=w.cadre, team=w.team_a), "schedule": w.team_a.schedule,
        "liaisonday": w.day_a, "attendance": Attendance.objects.filter(liaison_day=w.day_a).first(),
        "attendancechange": AttendanceChange.objects.first(), "holiday": Holiday.objects.first(),
        "householdtag": HouseholdTag.objects.first(), "household": w.home_a, "visit": w.visit_a,
        "category": Category.objects.first(), "issue": w.issue_a, "notification": w.notice,
        "assignment": Assignment.objects.first(),
    }[model._meta.model_name]


def admin_model(name):
    """The model of an admin route (`admin:teams_team_change`), or None for the site's own."""
    if name == "admin:auth_user_password_change":  # Django's UserAdmin names it so, whatever the model
        return User
    for model, model_admin in site._registry.items():
        if name.startswith(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_"):
            return model
    return None


def fill(w, name, parameter):
    """A value for each route parameter; a parameter nobody foresaw fails the test."""
    model = admin_model(name)
    if model is not None and parameter in ("object_id", "id"):
        obj = admin_object(w, model)
        return obj.pk if obj is not None else 0
    if name == "admin:view_on_site":
        return {"content_type_id": ContentType.objects.get_for_model(Household).pk, "object_id": w.home_a.pk}[parameter]
    if name == "admin:app_list":
        return {"app_label": "teams"}[parameter]
    pk = {
        "team-detail": w.team_a, "public-village": w.village_a, "public-village-card": w.village_a,
        "notification-open": w.notice, "issue-photo": w.photo_a, "visit-detail": w.visit_a,
        "village-coverage": w.village_a, "api:town-detail": w.town1, "api:village-detail": w.village_a,
        "api:department-detail": w.dept1, "api:team-detail": w.team_a, "api:api-household-detail": w.home_a,
        "api:api-visit-detail": w.visit_a, "liaison-day": w.day_a, "liaison-day-leave": w.day_a,
        "liaison-day-reschedule": w.day_a, "liaison-day-cancel": w.day_a, "api:api-liaison-day-detail": w.day_a,
        "api:api-liaison-day-attendance": w.day_a, "household-detail": w.home_a, "household-edit": w.home_a,
        "household-move-out": w.home_a, "api:membership-detail": Membership.objects.get(user=w.cadre),
        "api:step-detail": w.issue_a.current_step, "api:rating-detail": w.rating_a,
        "dashboard": w.team_a, "dashboard-records": w.team_a, "dashboard-refresh": w.county,
        "dashboard-refresh-status": w.county, "visit-plan-day": w.day_a,
        "inspection-detail": w.inspection_a, "inspection-edit": w.inspection_a, "inspection-delete": w.inspection_b,
        "api:inspection-detail": w.inspection_a, "assessment-detail": w.round_a, "assessment-print": w.round_a,
        "assessment-unit": w.round_a, "assessment-action": w.round_a, "api:assessment-detail": w.round_a,
        "export-detail": w.export_a, "export-status": w.export_a,
        "export-download": w.export_a, "api:export-detail": w.export_a, "api:export-download": w.export_a,
        "import-valid-rows": w.batch_a,
    }
    if name == "assessment-unit" and parameter in ("unit", "unit_id"):
        return {"unit": "team", "unit_id": w.team_a.pk}[parameter]
    if name == "assessment-action" and parameter == "action":
        return "publish"
    if parameter == "kind":
        return "issues" if name == "export-start" else "households"
    if parameter in ("unit", "metric"):
        return {"unit": "team", "metric": "attendance"}[parameter]
    if parameter == "pk":
        return pk[name].pk
    if name == "public-status":
        return {"token": public.status_token(w.issue_a.code)}[parameter]  # the receipt's QR code
    if name == "api:category-detail":
        return {"code": "livelihood"}[parameter]
    if name in ("api:issue-feedback", "api:issue-rate"):
        return {"code": w.issue_done.code}[parameter]  # its state allows them: only the scope refuses
    return {"code": w.issue_a.code, "name": "resolve", "village_pk": w.village_a.pk}[parameter]


def bodies(w):
    """What a POST sends: what the page's form or the API takes from someone allowed."""
    today, later = w.day_a.date.isoformat(), (w.day_a.date + timedelta(days=1)).isoformat()
    register = {"village": w.village_a.pk, "source": "reception", "title": "井盖缺失", "description": "三巷井盖缺失",
                "reporter_name": "王秀英", "reporter_phone": "13912345678"}
    household = {"head_name": "王秀英", "address": "西区社区建设路12号", "members_count": 1}
    return {
        "liaison-day-reschedule": {"new_date": later, "reason": "台风"}, "liaison-day-cancel": {"reason": "台风"},
        "liaison-day-leave": {"reason": "开会"}, "liaison-check-in": {"team": w.team_a.pk},
        "liaison-day": {f"status-{w.cadre.pk}": "present"}, "visit-detail": {"follow_up": "0"},
        "visit-new": {"kind": "household", "date": today, "village": w.village_a.pk, "cadres": [w.cadre.pk],
                      "save": "1"},
        "household-new": household, "household-edit": household, "household-move-out": {"moved_out_on": today},
        "assignment-change": {"action": "distribute", "members": [w.cadre.pk]},
        "issue-register": {**register, "category": w.issue_a.category_id}, "issue-action": {"result": "已修复"},
        "public-lookup": {"code": w.issue_a.code, "phone_last4": "0000"},
        "api:api-household-list": {"village": w.village_a.pk, **household},
        "api:api-visit-list": {"kind": "household", "date": today, "village": w.village_a.pk},
        "api:issue-list": {**register, "category": "livelihood"},
        "api:api-liaison-day-attendance": [{"member": w.cadre.pk, "status": "present"}],
        "api:issue-escalate": {"reason": "需要镇里协调"}, "api:issue-explain": {"explanation": "属规划范围"},
        "api:issue-feedback": {"note": "已电话告知"}, "api:issue-handover": {"to": w.leader.pk},
        "api:issue-progress": {"note": "已联系"}, "api:issue-rate": {"satisfaction": "satisfied"},
        "api:issue-resolve": {"result": "已修复"}, "api:api-token": {"username": "cadre", "password": "wrong"},
        "api:api-public-issue-status": {"code": w.issue_a.code, "phone_last4": "0000"},
        "inspection-new": {"team": w.team_a.pk, "date": today, "inspectors": "县委组织部督查组", "deduction": "0",
                           "team_present": "on"},
        "inspection-edit": {"inspectors": "县委组织部督查组", "deduction": "2", "findings": "日志缺记"},
        "assessment-new": {"period": "quarter:2026-Q2", **{f"weight_{m}": v for m, v in
                                                           assessments.DEFAULT_WEIGHTS.items()}},
        "api:inspection-list": {"team": w.team_a.pk, "date": today, "inspectors": "县委组织部督查组"},
        "api:export-list": {"kind": "issues"},
        "api:assignment-list": {"households": [w.home_a.pk], "member": w.cadre.pk},
        "api:assignment-unassign": {"households": [w.home_a.pk]},
        "api:assignment-reassign": {"team": w.team_a.pk, "from_member": w.cadre.pk, "to_member": w.leader.pk},
        "api:assignment-distribute": {"team": w.team_a.pk},
    }


def admin_expected(w, persona, name, method):
    """The admin's answers: non-staff go to its login page; the staff member gets a model's
    pages as far as their permissions go, and an object only if the scope module shows it them."""
    if persona != "staff":
        return {"admin:login": "200", "admin:logout": "302"}.get(name, "login")
    site_pages = {
        "admin:index": ("200", "200"), "admin:app_list": ("200", "200"), "admin:jsi18n": ("200", "405"),
        "admin:login": ("302", "200"), "admin:logout": ("405", "login"), "admin:autocomplete": ("403", "405"),
        "admin:password_change": ("200", "200"), "admin:password_change_done": ("200", "405"),
        "admin:view_on_site": ("404", "404"),
    }
    if name in site_pages:
        return site_pages[name][method == "post"]
    model = admin_model(name)
    page = name.rsplit("_", 1)[1]
    codename = model._meta.model_name
    may_view = w.staff.has_perm(f"{model._meta.app_label}.view_{codename}")
    may_change = w.staff.has_perm(f"{model._meta.app_label}.change_{codename}")
    obj = admin_object(w, model)
    shown = obj is not None and sees(w.staff, obj)
    allowed = may_change if method == "post" else may_view or may_change
    if page == "changelist":
        return "200" if may_view or may_change else "403"
    if page in ("add", "delete") or name.endswith("password_change"):
        return "403"  # no add or delete rights; nothing is ever deleted
    if page == "change":
        return "403" if not allowed else "200" if shown else "302"
    if page == "history":
        return "302" if not shown else "200" if may_view or may_change else "403"
    raise AssertionError(f"{name}: an admin page the matrix does not know")


def sees(user, obj):
    try:
        return scope.can_see(user, obj)
    except KeyError:  # a model outside the scope module (auth groups, tokens): the admin's own rules
        return True


def state(w, user):
    """Everything an outsider's POST could change, other than their own notifications."""
    return (
        list(LiaisonDay.objects.order_by("pk").values_list("pk", "date", "status", "change_reason")),
        list(Attendance.objects.order_by("pk").values_list("pk", "status", "note")),
        list(Household.objects.order_by("pk").values_list("pk", "head_name", "address", "is_active", "moved_out_on")),
        list(Visit.objects.order_by("pk").values_list("pk", "needs_follow_up")),
        list(Issue.objects.order_by("pk").values_list("pk", "status", "level", "first_responder", "result")),
        list(Assignment.objects.order_by("pk").values_list("pk", "end_date")),
        Event.objects.count(), Membership.objects.count(), User.objects.count(),
        list(Assignment.objects.order_by("pk").values_list("pk", "end_date")),
        list(Notification.objects.exclude(user=user).order_by("pk").values_list("pk", "read_at")),
    )


def answer(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith(("/accounts/login/", "/admin/login/")):
        return "login"
    return str(response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_answers_each_persona_as_expected(matrix_world, client, persona):
    w = matrix_world
    user = getattr(w, persona)
    before, posts = state(w, user), bodies(w)
    wrong, cells = [], 0
    for name, parameters in ROUTES:
        if not name.startswith("admin:") and name not in EXPECTED:
            wrong.append(f"{name}: no expectation; add the route to EXPECTED")
            continue
        try:
            url = reverse(name, kwargs={p: fill(w, name, p) for p in parameters}) + QUERIES.get(name, lambda w: "")(w)
        except KeyError as missing:
            wrong.append(f"{name}: no value for {', '.join(parameters)} ({missing}); add one to fill()")
            continue
        for method in ("get", "post"):
            client.logout()
            if user is not None:
                client.force_login(user)
            if method == "get":
                response = client.get(url)
            elif name.startswith("api:"):
                forget_public_counters()
                response = client.post(url, json.dumps(posts.get(name, {})), content_type="application/json")
            else:
                forget_public_counters()
                response = client.post(url, posts.get(name, {}))
            if name.startswith("admin:"):
                expected = admin_expected(w, persona, name, method)
            else:
                expected = EXPECTED[name][method == "post"].split()[PERSONAS.index(persona)]
            cells += 1
            if answer(response) != expected:
                wrong.append(f"{method.upper()} {url} ({name}): {answer(response)}, expected {expected}")
            if method == "post" and state(w, user) != before:
                wrong.append(f"POST {url} ({name}) changed what {persona} may not change")
                before = state(w, user)
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)
    assert cells == 2 * len(ROUTES)
