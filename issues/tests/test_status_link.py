"""The status page behind a signed link: where a lookup leads (so Back and reload work), what the
receipt's QR code opens, for as long as the issue exists, with the public fields only."""

import re

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from issues import public, public_views, services
from issues.models import Issue
from issues.tests.conftest import at

pytestmark = pytest.mark.usefixtures("fresh_public_counters")


@pytest.fixture
def resolved(world, register, monday_before):
    issue = register(world, description="西区三巷路灯坏了两周，王秀英家门口最暗。")
    services.add_progress(issue=issue, by=world.cadre, note="已联系供电所", internal_note="供电所下周才有空")
    services.resolve(issue=issue, by=world.cadre, result="已更换路灯两盏。")
    return issue


def status_link(issue):
    return reverse("public-status", args=[public.status_token(issue.code)])


def test_a_lookup_leads_to_the_status_pages_own_address_which_reloads(world, resolved, client):
    found = client.post("/public/lookup/", {"code": resolved.code, "phone_last4": "5678"})
    assert found.status_code == 302 and found["Location"] == status_link(resolved)
    first, again = client.get(found["Location"]), client.get(found["Location"])
    assert first.status_code == again.status_code == 200
    assert "已更换路灯两盏。" in first.content.decode() and "已更换路灯两盏。" in again.content.decode()
    assert "no-store" in first["Cache-Control"]  # a reload asks again: the status may have moved on


def test_a_link_not_signed_here_opens_nothing(world, resolved, client):
    token = public.status_token(resolved.code)
    other = signing.Signer(salt="somewhere.else").sign(resolved.code)
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), other, resolved.code,
                   public.rating_token(resolved.code)):
        assert client.get(f"/public/status/{forged}/").status_code == 404, forged


def test_the_link_lasts_as_long_as_the_issue(world, resolved, client):
    link = status_link(resolved)
    with time_machine.travel(at(2029, 1, 1, 9, 0), tick=False):
        assert client.get(link).status_code == 200


def test_the_link_shows_only_the_public_fields(world, resolved, client):
    body = client.get(status_link(resolved)).content.decode()
    assert "已联系供电所" in body
    assert '<meta name="robots" content="noindex">' in body  # a link on a receipt, not for search engines
    for private in ("王秀英", "13912345678", "路灯不亮", "王秀英家门口最暗", "供电所下周才有空"):
        assert private not in body, private


def test_the_receipt_carries_the_qr_code_of_the_status_link(world, resolved, as_user):
    page = as_user(world.cadre).get(reverse("issue-receipt", args=[resolved.code]))
    html = page.content.decode()
    link = page.context["status_url"]
    assert link == "http://testserver" + status_link(resolved) and f'href="{link}"' in html
    drawn = re.search(r'class="receipt-qr"><svg.*? d="([^"]+)"', html, re.S).group(1)
    assert drawn == re.search(r' d="([^"]+)"', str(public_views.qr_svg(link))).group(1)


def test_rating_from_the_link_comes_back_to_it_with_the_thanks(world, resolved, client):
    link = status_link(resolved)
    token = re.search(r'name="token" value="([^"]+)"', client.get(link).content.decode()).group(1)
    rated = client.post("/public/rate/", {"token": token, "satisfaction": "satisfied"})
    assert rated.status_code == 302 and rated["Location"] == link
    body = client.get(link).content.decode()
    assert "感谢您的评价" in body and 'name="satisfaction"' not in body
    assert Issue.objects.get(pk=resolved.pk).satisfaction == "satisfied"
