"""Bad input never gets a 500: every write endpoint and every list filter, for every persona,
answered with garbage, answers 4xx and writes nothing."""

import pytest
from django.core.cache import cache

from issues import services as issue_services
from issues.models import Category, Event, Issue
from teams import services as team_services
from teams.models import Attendance, LiaisonDay
from visits.models import Household, Visit

GARBAGE = [
    {},
    [],
    "not json at all",
    {"kind": 12, "date": "2026-13-45", "village": "x", "households": "all", "cadres": [None], "notes": {"a": 1}},
    {"village": 999999999, "category": "nope", "source": "?", "received_at": "yesterday", "title": ["t"]},
    {"title": "x" * 5000, "description": None, "reporter_phone": 12345, "household": -1, "visit": 3.5},
    {"phone": "abc", "id_number": "123", "members_count": -5, "tags": ["ghost"], "head_name": ""},
    [{"member": "me", "status": "maybe"}, {"member": 999999999, "status": "present"}, 7],
    {"reason": "", "department": "everyone", "result": None, "explanation": [0], "note": [], "satisfaction": "wow"},
    {"code": "'; DROP TABLE issues_issue; --", "phone_last4": "abcd"},
]
FILTERS = {
    "town": "abc", "village": "-1", "county": "1e9", "team": "x", "status": "weird", "level": "moon",
    "overdue": "maybe", "category": "none", "tag": "??", "kind": "party", "date_after": "2026-02-30",
    "date_before": "later", "received_after": "x", "received_before": "y", "page": "last-but-one",
}


def _issue(world):
    return issue_services.register(
        by=world.cadre, village=world.village_a, category=Category.objects.get(code="livelihood"),
        title="路灯不亮", description="三巷路灯坏了", source=Issue.Source.RECEPTION,
        reporter_name="王秀英", reporter_phone="13912345678",
    )


def _counts():
    return (Household.objects.count(), Visit.objects.count(), Issue.objects.count(), Event.objects.count(),
            list(Attendance.objects.order_by("pk").values_list("status", flat=True)))


@pytest.mark.parametrize("persona", ["cadre", "leader", "other_cadre", "town_office", "department",
                                     "org_department", "admin", "anonymous"])
def test_garbage_gets_a_4xx_and_writes_nothing(world, api_as, persona):
    team_services.generate_liaison_days(weeks=1)
    issue = _issue(world)
    day = LiaisonDay.objects.filter(team=world.team_a).first()
    api = api_as(getattr(world, persona))
    paths = ["/api/v1/households/", "/api/v1/visits/", "/api/v1/issues/",
             f"/api/v1/liaison-days/{day.pk}/attendance/", "/api/v1/public/issue-status/"]
    paths += [f"/api/v1/issues/{issue.code}/{action}/" for action in
              ("progress", "escalate", "resolve", "explain", "feedback", "rate", "handover", "fly")]
    before = _counts()
    for path in paths:
        for payload in GARBAGE:
            cache.delete_many(cache.keys("*public-lookup*")) if hasattr(cache, "keys") else None
            response = api.post(path, payload, format="json")
            assert 400 <= response.status_code < 500, (path, payload, response.status_code, response.content[:300])
            body = response.json()
            assert body, (path, payload)
    assert _counts() == before


@pytest.mark.parametrize("persona", ["cadre", "town_office", "department", "org_department", "admin"])
def test_garbage_filters_never_500(world, api_as, persona):
    api = api_as(getattr(world, persona))
    for path in ("/api/v1/towns/", "/api/v1/villages/", "/api/v1/departments/", "/api/v1/teams/",
                 "/api/v1/households/", "/api/v1/liaison-days/", "/api/v1/visits/", "/api/v1/issues/",
                 "/api/v1/categories/"):
        for name, value in FILTERS.items():
            response = api.get(path, {name: value})
            assert response.status_code in (200, 400, 404), (path, name, value, response.status_code)


@pytest.mark.parametrize("persona", ["cadre", "town_office", "department", "org_department", "admin"])
def test_garbage_query_strings_on_pages_never_500(world, as_user, persona):
    client = as_user(getattr(world, persona))
    for path in ("/", "/issues/", "/visits/diary/", "/visits/coverage/", "/public/",
                 f"/visits/villages/{world.village_a.pk}/households/"):
        for name, value in FILTERS.items():
            response = client.get(path, {name: value, "q": "%' OR 1=1 --"})
            assert response.status_code in (200, 302, 400, 403, 404), (path, name, value, response.status_code)


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "１２", "-1", "0"])
def test_odd_numbers_in_the_public_query_string_never_500(world, client, value):
    for name in ("town", "page", "village"):
        assert client.get("/public/", {name: value}).status_code in (200, 400, 404), (name, value)


# Every request body is bounded (core/request_size.py): DRF reads JSON straight from the stream,
# where Django's own bound does not apply, so a 30 MB description used to be stored.
def _write_paths(world, issue, day):
    return ["/api/v1/households/", "/api/v1/visits/", "/api/v1/issues/", f"/api/v1/liaison-days/{day.pk}/attendance/",
            "/api/v1/public/issue-status/", "/api/v1/auth/token/"] + [
        f"/api/v1/issues/{issue.code}/{action}/"
        for action in ("progress", "escalate", "resolve", "explain", "feedback", "rate", "handover")
    ]


@pytest.mark.parametrize("persona", ["cadre", "anonymous"])
def test_a_body_past_the_bound_is_refused_unread_on_every_endpoint(world, api_as, liaison_tuesday, persona):
    team_services.generate_liaison_days(weeks=1)
    issue, day = _issue(world), LiaisonDay.objects.filter(team=world.team_a).first()
    api = api_as(getattr(world, persona))
    description = "长" * (2 * 1024 * 1024 // 3)  # 2 MB of UTF-8, past the default 1 MB
    before = _counts()
    for path in _write_paths(world, issue, day):
        response = api.post(path, {"title": "路灯", "description": description, "note": description}, format="json")
        assert response.status_code == 413, (path, response.status_code)
        assert response.json() == {"detail": "提交的内容太大：一次最多只能提交 1.0\xa0MB。"}, path
    assert _counts() == before


def test_a_page_past_the_bound_gets_a_page_that_says_so(world, as_user, liaison_tuesday, settings):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    issue = _issue(world)
    client = as_user(world.cadre)
    for path in ("/visits/new/", f"/issues/{issue.code}/progress/", "/public/lookup/", "/accounts/login/"):
        response = client.post(path, {"note": "x" * 70 * 1024, "notes": "y"})
        assert response.status_code == 413, path
        assert "提交的内容太大" in response.content.decode() and "64.0\xa0KB" in response.content.decode(), path
    assert not Event.objects.exclude(kind=Event.Kind.REGISTERED).exists() and not Visit.objects.exists()


def test_a_body_that_declares_no_length_is_cut_off_at_the_bound(world, settings):
    """A chunked body, as an ASGI server passes it on, has no Content-Length: reading stops at the bound."""
    import io

    from django.core.handlers.asgi import ASGIRequest
    from django.core.handlers.base import BaseHandler

    settings.REQUEST_MAX_BYTES = 64 * 1024
    body = b"code=ABCD-EFGH-JK&phone_last4=1234&filler=" + b"x" * (200 * 1024)
    scope = {"type": "http", "method": "POST", "path": "/public/lookup/", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded")]}
    request = ASGIRequest(scope, io.BytesIO(body))
    request._dont_enforce_csrf_checks = True
    handler = BaseHandler()
    handler.load_middleware()
    assert handler.get_response(request).status_code == 413


# Free text: every field a user types has a bound that fits its use, and the refusal names the
# field and the bound, in Chinese (not Django's "确保该变量…").
def _resolved(world):
    issue = _issue(world)
    issue_services.resolve(issue=issue, by=world.cadre, result="已修复")
    return issue


TOO_LONG = [
    # (what, path, payload with the long text, field in the answer, message)
    ("issue", "/api/v1/issues/", {"title": "字" * 121}, "title", "标题不能超过 120 个字。"),
    ("issue", "/api/v1/issues/", {"description": "字" * 2001}, "description", "问题描述不能超过 2000 个字。"),
    ("issue", "/api/v1/issues/", {"reporter_name": "字" * 41}, "reporter_name", "群众姓名不能超过 40 个字。"),
    ("open", "progress", {"note": "字" * 2001}, "note", "进展情况不能超过 2000 个字。"),
    ("open", "progress", {"note": "已联系", "internal_note": "字" * 2001}, "internal_note",
     "内部备注不能超过 2000 个字。"),
    ("open", "escalate", {"reason": "字" * 1001}, "reason", "上报理由不能超过 1000 个字。"),
    ("open", "resolve", {"result": "字" * 2001}, "result", "办理结果不能超过 2000 个字。"),
    ("open", "explain", {"explanation": "字" * 2001}, "explanation", "解释说明不能超过 2000 个字。"),
    ("open", "handover", {"reason": "字" * 501}, "reason", "移交理由不能超过 500 个字。"),
    ("resolved", "feedback", {"note": "字" * 1001}, "note", "回音情况不能超过 1000 个字。"),
    ("resolved", "rate", {"satisfaction": "satisfied", "comment": "字" * 301}, "comment",
     "评价意见不能超过 300 个字。"),
    ("visit", "/api/v1/visits/", {"notes": "字" * 2001}, "notes", "走访记录不能超过 2000 个字。"),
    ("household", "/api/v1/households/", {"head_name": "字" * 41}, "head_name", "户主姓名不能超过 40 个字。"),
    ("household", "/api/v1/households/", {"address": "字" * 121}, "address", "住址不能超过 120 个字。"),
    ("attendance", "attendance", {"note": "字" * 201}, "detail", "李丽芳：备注不能超过 200 个字。"),
]


def _request(world, what, path, payload):
    """The path and a valid body for `what`, with `payload` in it."""
    if what == "issue":
        category = Category.objects.get(code="livelihood")
        return path, {"title": "路灯不亮", "description": "三巷路灯坏了", "category": category.code,
                      "source": "phone", "village": world.village_a.pk, "reporter_name": "王秀英",
                      "reporter_phone": "13912345678", **payload}
    if what in ("open", "resolved"):
        issue = _issue(world) if what == "open" else _resolved(world)
        return f"/api/v1/issues/{issue.code}/{path}/", {"to": world.leader.pk, **payload}
    if what == "visit":
        return path, {"kind": "forum", "date": "2026-11-24", "village": world.village_a.pk, **payload}
    if what == "household":
        return path, {"village": world.village_a.pk, "head_name": "梁伯", "address": "新村7号", **payload}
    day = LiaisonDay.objects.get(team=world.team_a, date="2026-11-24")
    return f"/api/v1/liaison-days/{day.pk}/attendance/", [{"member": world.cadre.pk, "status": "leave", **payload}]


@pytest.mark.parametrize("what,path,payload,field,message", TOO_LONG, ids=[f"{t[0]}-{t[3]}" for t in TOO_LONG])
def test_text_past_its_bound_is_refused_with_a_message_naming_the_field(
    world, api_as, liaison_tuesday, what, path, payload, field, message
):
    team_services.generate_liaison_days(weeks=1)
    api = api_as(world.leader if what == "attendance" else world.cadre)
    path_and_body = _request(world, what, path, payload)
    before = _counts()
    response = api.post(*path_and_body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert message in response.json()[field]
    assert _counts() == before
    # One character less is taken.
    shorter = {k: v[:-1] if isinstance(v, str) and len(v) > 40 else v for k, v in payload.items()}
    response = api.post(*_request(world, what, path, shorter), format="json")
    assert response.status_code in (200, 201), response.content[:300]


@pytest.mark.parametrize("what,path,payload,field,message", TOO_LONG, ids=[f"{t[0]}-{t[3]}" for t in TOO_LONG])
def test_a_nul_character_in_any_text_is_a_400(world, api_as, liaison_tuesday, what, path, payload, field, message):
    team_services.generate_liaison_days(weeks=1)
    nul = {k: "前\x00后" if isinstance(v, str) and len(v) > 40 else v for k, v in payload.items()}
    path, body = _request(world, what, path, nul)
    before = _counts()
    response = api_as(world.leader if what == "attendance" else world.cadre).post(path, body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert _counts() == before
