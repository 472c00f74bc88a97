"""A town is a 镇 or a 街道 (Town.Kind): the dashboards, the inspection and assessment pages name
one town by its own kind, and towns in general 镇街, never 镇 for a 街道."""

import re

import pytest
from django.urls import reverse

from reports.models import Unit
from teams.models import Position, Town

from .test_assessment_pages import published  # noqa: F401  (the hand-computed quarter: q3 in conftest.py)


def bare_zhen(body, *towns):
    """The words 镇 on the page that are neither 镇街 nor part of a town's name."""
    for town in towns:
        body = body.replace(town.name, "")
    return re.findall(r".{0,12}镇(?!街).{0,12}", body)


def tag_after(body, name):
    """The tag beside a unit's name in a heading or a list."""
    return re.search(re.escape(name) + r'</a>\s*<span class="tag">([^<]*)</span>|' + re.escape(name)
                     + r' <span class="tag">([^<]*)</span>', body).group(1, 2)


@pytest.fixture
def a_town_and_a_subdistrict(q3):
    """罗阳街道 is a 街道; town 2 becomes 石湾镇, a 镇, and the town office keeps both."""
    Town.objects.filter(pk=q3.town2.pk).update(name="石湾镇", kind=Town.Kind.TOWN)
    q3.town2.refresh_from_db()
    Position.objects.create(user=q3.town_office, kind=Position.Kind.TOWN_OFFICE, town=q3.town2)
    assert q3.town1.kind == Town.Kind.SUBDISTRICT
    return q3


def test_the_dashboards_name_each_town_by_its_kind(a_town_and_a_subdistrict, as_user):
    w = a_town_and_a_subdistrict
    client = as_user(w.town_office)
    body = client.get(reverse("dashboards")).content.decode()
    assert [t for t in tag_after(body, "罗阳街道") if t] == ["街道"]
    assert [t for t in tag_after(body, "石湾镇") if t] == ["镇"]

    body = client.get(reverse("dashboard", args=[Unit.TOWN, w.town1.pk])).content.decode()
    assert '<h1>罗阳街道 <span class="tag">街道</span></h1>' in body
    assert not bare_zhen(body, w.town1, w.town2)
    body = client.get(reverse("dashboard", args=[Unit.TOWN, w.town2.pk])).content.decode()
    assert '<h1>石湾镇 <span class="tag">镇</span></h1>' in body


def test_the_inspection_and_assessment_pages_name_the_town_by_its_kind(a_town_and_a_subdistrict, published,  # noqa: F811
                                                                       as_user):
    w = a_town_and_a_subdistrict
    client = as_user(w.org_department)
    body = client.get(reverse("inspection-detail", args=[w.inspection.pk])).content.decode()
    assert "<dt>街道</dt><dd>罗阳街道</dd>" in body
    assert not bare_zhen(body, w.town1, w.town2)

    body = client.get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, w.town1.pk])).content.decode()
    assert '<span class="tag">街道</span>' in body
    assert not bare_zhen(body, w.town1, w.town2)
    for name in ("assessment-detail", "assessment-print"):
        body = client.get(reverse(name, args=[published.pk])).content.decode()
        assert not bare_zhen(body, w.town1, w.town2), name
    body = client.get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, w.town2.pk])).content.decode()
    assert '石湾镇 <span class="tag">镇</span>' in body
