"""/api/v1/categories/ and /api/v1/issues/: list, filters, detail, register and every action,
with the contract's status codes and pinned query counts."""

import pytest

from issues.models import Issue
from issues.tests.conftest import reload

ISSUES = "/api/v1/issues/"


def payload(w, category, **extra):
    data = {
        "title": "自来水浑浊", "description": "二巷自来水发黄已三天。", "category": category.code,
        "source": "phone", "village": w.village_a.pk, "reporter_name": "张国强", "reporter_phone": "13987654321",
    }
    data.update(extra)
    return data


def test_categories(world, api_as, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = api_as(world.cadre).get("/api/v1/categories/")
    names = [c["name"] for c in response.json()]
    assert names[:5] == ["党群工作", "社会治理", "城建规划", "民生文化", "经济发展"]
    assert {"土地纠纷", "山林纠纷", "婚姻家庭纠纷", "拆迁纠纷", "邻里纠纷"} <= set(names)


def test_register_and_read_back(world, api_as, category, monday_before):
    api = api_as(world.cadre)
    response = api.post(ISSUES, payload(world, category), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["level"], body["status"], body["first_responder"], body["category"]) == (
        "village", "open", world.cadre.pk, "livelihood"
    )
    assert body["handler"] == "西区社区驻点团队" and body["satisfaction"] is None
    assert [e["kind"] for e in body["timeline"]] == ["registered"]
    assert body["actions"] == ["progress", "escalate", "resolve", "explain", "handover"]
    code = Issue.objects.get().code
    assert api.get(f"{ISSUES}{code}/").json()["code"] == body["code"]
    assert api.get(f"{ISSUES}{body['code'].lower()}/").status_code == 200


@pytest.mark.parametrize("field,value", [("received_at", "2026-11-17T09:00:00+08:00"), ("title", "")])
def test_register_bad_input_is_400_and_writes_nothing(world, api_as, category, monday_before, field, value):
    response = api_as(world.cadre).post(ISSUES, payload(world, category, **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Issue.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("received_at", "1900-01-01T09:00:00+08:00", "受理时间不能早于一年前。"),
    ("received_at", "2025-11-15T09:00:00+08:00", "受理时间不能早于一年前。"),
    # Beyond what a datetime holds once made aware or moved to UTC: was an OverflowError, a 500.
    ("received_at", "0001-01-01T00:00:00", "受理时间不能早于一年前。"),
    ("received_at", "0001-01-01T05:00:00+14:00", "受理时间不能早于一年前。"),
    ("received_at", "9999-12-31T23:59:59-10:00", "受理时间不能晚于现在。"),
    ("reporter_phone", "无电话", "请填写11位手机号码"),
    ("reporter_phone", "1391234", "请填写11位手机号码"),
])
def test_register_refuses_old_dates_and_malformed_phones(world, api_as, category, monday_before, field, value, message):
    response = api_as(world.cadre).post(
        ISSUES, payload(world, category, **{field: value}), format="json", HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400 and message in response.json()[field][0]
    assert not Issue.objects.exists()


@pytest.mark.parametrize("phone,stored", [("139 1234 5678", "13912345678"), ("(0769)22123456", "076922123456"),
                                          ("0769-22123456", "0769-22123456")])
def test_register_accepts_mobiles_and_landlines_and_a_year_back(world, api_as, category, monday_before, phone, stored):
    response = api_as(world.cadre).post(
        ISSUES, payload(world, category, reporter_phone=phone, received_at="2025-11-17T09:00:00+08:00"), format="json",
    )
    assert response.status_code == 201, response.json()
    assert Issue.objects.get().reporter_phone == stored


def test_register_future_message_is_in_chinese(world, api_as, category, monday_before):
    response = api_as(world.cadre).post(
        ISSUES, payload(world, category, received_at="2026-11-17T09:00:00+08:00"), format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.json()["received_at"] == ["受理时间不能晚于现在。"]


@pytest.mark.parametrize("persona", ["other_cadre", "department", "org_department"])
def test_register_outside_scope_is_403(world, api_as, category, monday_before, persona):
    response = api_as(getattr(world, persona)).post(ISSUES, payload(world, category), format="json")
    assert response.status_code == 403
    assert not Issue.objects.exists()


def test_list_filters_and_query_count(world, api_as, register, monday_before, django_assert_max_num_queries):
    for n in range(12):
        register(world, title=f"问题{n}")
    register(world, by=world.other_cadre, village=world.village_c)
    api = api_as(world.town_office)
    # scope (memberships, positions), count, page, the page's current steps
    with django_assert_max_num_queries(6):
        response = api.get(ISSUES, {"town": world.town1.pk, "status": "open", "level": "village"})
    assert response.json()["count"] == 12
    assert api.get(ISSUES, {"town": world.town2.pk}).json()["count"] == 0
    assert api.get(ISSUES, {"overdue": "true"}).json()["count"] == 0
    assert api.get(ISSUES, {"received_after": "2026-11-16", "received_before": "2026-11-16"}).json()["count"] == 12
    assert api.get(ISSUES, {"category": "livelihood"}).json()["count"] == 12
    assert api_as(world.admin).get(ISSUES).json()["count"] == 13


def test_detail_query_count(world, at_county, api_as, django_assert_max_num_queries):
    # scope x2, issue, steps, events, photos
    with django_assert_max_num_queries(7):
        body = api_as(world.cadre).get(f"{ISSUES}{at_county.code}/").json()
    assert [s["level"] for s in body["steps"]] == ["village", "town", "county"]
    assert body["handler"] == "信访局"


def test_every_action_over_the_api(world, api_as, register, monday_before):
    issue = register(world)
    url = f"{ISSUES}{issue.code}/"
    cadre, town, dept = api_as(world.cadre), api_as(world.town_office), api_as(world.department)
    assert cadre.post(url + "progress/", {"note": "已联系供电所"}).status_code == 200
    assert cadre.post(url + "escalate/", {"reason": "需镇街协调"}).status_code == 200
    assert town.post(url + "escalate/", {"reason": "吹哨报到"}).status_code == 400
    assert town.post(url + "escalate/", {"reason": "吹哨报到", "department": world.dept1.pk}).status_code == 200
    assert dept.post(url + "resolve/", {"result": ""}).status_code == 400
    assert dept.post(url + "resolve/", {"result": "已修复"}).status_code == 200
    assert cadre.post(url + "feedback/", {"note": "电话告知"}).status_code == 200
    assert cadre.post(url + "rate/", {"satisfaction": "satisfied"}).status_code == 200
    second = cadre.post(url + "rate/", {"satisfaction": "satisfied"})
    assert second.status_code == 409 and second.json()["detail"]
    body = cadre.get(url).json()
    assert [e["kind"] for e in body["timeline"]] == [
        "registered", "progress", "escalated_town", "escalated_county", "resolved", "feedback", "rated",
    ]
    assert body["status"] == "closed" and body["satisfaction"] == "satisfied"
    assert body["timeline"][-1]["satisfaction"] == "satisfied" and body["timeline"][-1]["internal_note"] == ""


def test_explain_and_rate_open_issue(world, api_as, register, monday_before):
    issue = register(world)
    url = f"{ISSUES}{issue.code}/"
    api = api_as(world.cadre)
    assert api.post(url + "rate/", {"satisfaction": "satisfied"}).status_code == 409
    assert api.post(url + "explain/", {"explanation": ""}).status_code == 400
    assert api.post(url + "explain/", {"explanation": "属规划范围"}).status_code == 200
    assert reload(issue).status == "explained"


def test_unknown_code_and_outsiders_get_404(world, api_as, register, monday_before):
    issue = register(world)
    assert api_as(world.other_cadre).get(f"{ISSUES}{issue.code}/").status_code == 404
    assert api_as(world.other_cadre).post(f"{ISSUES}{issue.code}/resolve/", {"result": "x"}).status_code == 404
    assert api_as(world.cadre).get(f"{ISSUES}2345678923/").status_code == 404


@pytest.mark.parametrize("path", [f"{ISSUES}2345678923/", f"{ISSUES}2345678923/progress/"])
def test_an_unknown_code_is_answered_in_chinese(world, api_as, path):
    api = api_as(world.cadre)
    response = api.post(path, {}, format="json") if "progress" in path else api.get(path)
    assert response.status_code == 404 and response.json() == {"detail": "未找到。"}
    assert api_as(None).get(ISSUES).status_code in (401, 403)


def test_seeing_is_not_acting(world, api_as, register, monday_before):
    issue = register(world)
    response = api_as(world.org_department).post(f"{ISSUES}{issue.code}/resolve/", {"result": "好了"})
    assert response.status_code == 403
    assert reload(issue).status == "open"
