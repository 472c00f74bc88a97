"""The privacy proof: no resident's personal data on any public page or public API answer."""

import pytest
import redis
from django.conf import settings

from issues import ratelimit, services
from issues.tests.test_public_lookup import missing_code
from visits.models import Household

pytestmark = pytest.mark.usefixtures("fresh_public_counters")

MARKERS = {
    "reporter name": "司马标记甲",
    "reporter phone": "13700135791",
    "household head": "欧阳标记乙",
    "household phone": "13700246802",
    "ID number": "441900195701011234",
    "household address": "莞城标记巷七十七号",
    "title": "标记标题丙",
    "description": "标记描述丁",
    "internal note": "标记内部备注戊",
    "escalation internal note": "标记上报内部备注己",
}


def test_no_personal_data_on_any_public_page_or_api_answer(world, register, client, api_as):
    household = Household.objects.create(
        village=world.village_a, head_name=MARKERS["household head"], address=MARKERS["household address"],
        phone=MARKERS["household phone"], id_number=MARKERS["ID number"],
    )
    issue = register(
        world, household=household, reporter_name=MARKERS["reporter name"], reporter_phone=MARKERS["reporter phone"],
        title=MARKERS["title"], description=f"{MARKERS['description']}，{MARKERS['household address']}",
    )
    services.add_progress(issue=issue, by=world.cadre, note="已上门查看", internal_note=MARKERS["internal note"])
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调照明维修",
                      internal_note=MARKERS["escalation internal note"])
    services.resolve(issue=issue, by=world.town_office, result="已处理", internal_note=MARKERS["internal note"])
    last4 = MARKERS["reporter phone"][-4:]
    village = f"/public/villages/{world.village_a.pk}/"
    api = api_as(None)
    outputs = {
        "index": client.get("/public/"),
        "search": client.get("/public/", {"q": "西区"}),
        "lookup form": client.get("/public/lookup/"),
        "status page": client.post("/public/lookup/", {"code": issue.code, "phone_last4": last4}, follow=True),
        "wrong phone": client.post("/public/lookup/", {"code": issue.code, "phone_last4": "0000"}),
        "village notice": client.get(village),
        "contact card": client.get(village + "card/"),
        "statistics": client.get("/public/statistics/"),
        "api status": api.post("/api/v1/public/issue-status/", {"code": issue.code, "phone_last4": last4}),
        "api wrong phone": api.post("/api/v1/public/issue-status/", {"code": issue.code, "phone_last4": "0000"}),
        "api missing": api.post("/api/v1/public/issue-status/", {"code": missing_code(), "phone_last4": last4}),
    }
    token = outputs["status page"].content.decode().split('name="token" value="')[1].split('"')[0]
    outputs["after rating"] = client.post(
        "/public/rate/", {"token": token, "satisfaction": "dissatisfied"}, follow=True
    )
    outputs["reopened status"] = client.post(
        "/public/lookup/", {"code": issue.code, "phone_last4": last4}, follow=True
    )
    for i in range(ratelimit.PER_CODE[0]):
        client.post("/public/lookup/", {"code": issue.code, "phone_last4": f"{i:04d}"}, REMOTE_ADDR=f"10.0.0.{i}")
    outputs["rate limited"] = client.post("/public/lookup/", {"code": issue.code, "phone_last4": last4})
    outputs["api rate limited"] = api.post("/api/v1/public/issue-status/", {"code": issue.code, "phone_last4": last4})

    status_page = outputs["status page"].content.decode()
    assert outputs["status page"].status_code == 200
    assert "已上门查看" in status_page and "需镇街协调照明维修" in status_page
    assert outputs["rate limited"].status_code == outputs["api rate limited"].status_code == 429
    for page, response in outputs.items():
        text = response.content.decode() + "".join(f"{k}: {v}" for k, v in response.items())
        for what, marker in MARKERS.items():
            assert marker not in text, f"{what} appears on {page}"
    # What Redis holds for the public lookups (the failure counters) holds none of it either.
    client = redis.Redis.from_url(settings.REDIS_URL)
    kept = list(client.scan_iter(match="*public-lookup:*"))
    assert any(issue.code.encode() in key for key in kept)
    for key in kept:
        value = client.get(key) or b""
        for what, marker in MARKERS.items():
            assert marker.encode() not in key + value, f"{what} kept in Redis under {key}"
