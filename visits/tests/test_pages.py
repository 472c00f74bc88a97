"""Visit, diary, household and coverage pages: scope per persona, constant query counts,
and a refused form that keeps what was typed."""

from datetime import timedelta

import pytest
from django.urls import reverse

from visits import services
from visits.models import Visit

from .conftest import TODAY

ALL = ["cadre", "leader", "other_cadre", "town_office", "department", "org_department", "admin"]
SEES_VILLAGE_A = {"cadre", "leader", "town_office", "org_department", "admin"}


def log(world, homes, *households, kind=Visit.Kind.HOUSEHOLD, days_ago=0, by=None):
    return services.log_visit(by=by or world.cadre, kind=kind, date=TODAY - timedelta(days=days_ago),
                              village=households[0].village if households else world.village_a,
                              households=list(households), notes="群众反映路灯不亮")


@pytest.mark.parametrize("persona", ALL)
def test_household_and_visit_pages_scope(world, homes, as_user, persona):
    visit = log(world, homes, homes.wang)
    client = as_user(getattr(world, persona))
    expected = 200 if persona in SEES_VILLAGE_A else 404
    assert client.get(reverse("household-detail", args=[homes.wang.pk])).status_code == expected
    assert client.get(reverse("household-list", args=[world.village_a.pk])).status_code == expected
    assert client.get(reverse("visit-detail", args=[visit.pk])).status_code == expected
    assert client.get(reverse("village-coverage", args=[world.village_a.pk])).status_code == expected
    assert client.get(reverse("visit-diary") + f"?team={world.team_a.pk}").status_code == expected


def test_anonymous_is_sent_to_log_in(world, homes, client):
    for url in (reverse("household-list", args=[world.village_a.pk]), reverse("visit-new"), reverse("liaison-days"),
                reverse("visit-diary")):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize("persona, full", [("cadre", True), ("admin", True), ("town_office", False),
                                          ("org_department", False)])
def test_full_phone_and_id_only_for_the_villages_team_and_admins(world, homes, as_user, persona, full):
    client = as_user(getattr(world, persona))
    detail = client.get(reverse("household-detail", args=[homes.wang.pk])).content.decode()
    assert ("13912345678" in detail) is full
    assert ("441322195001010025" in detail) is full
    assert "139****5678" in detail or full
    listing = client.get(reverse("household-list", args=[world.village_a.pk])).content.decode()
    assert "13912345678" not in listing and "139****5678" in listing


def test_household_list_query_count_is_constant(world, homes, as_user, django_assert_max_num_queries):
    for _ in range(3):
        log(world, homes, homes.wang, homes.zhang)
    client = as_user(world.cadre)
    url = reverse("household-list", args=[world.village_a.pk])
    # session, user, scope, village, count, tag filter, page (with its last visits), page's tags,
    # the base's notifications
    with django_assert_max_num_queries(9):
        page = client.get(url)
    assert page.context["page"].count == 4
    last = {h.head_name: h.last_visit for h in page.context["page"]}
    assert last == {"王秀英": TODAY, "张国强": TODAY, "陈桂兰": None, "李志明": None}


def test_household_list_filters_and_search(world, homes, as_user):
    log(world, homes, homes.wang)
    log(world, homes, homes.zhang, kind=Visit.Kind.CONSOLATION)
    client = as_user(world.cadre)
    url = reverse("household-list", args=[world.village_a.pk])

    def names(query):
        return [h.head_name for h in client.get(url, query).context["page"]]

    assert names({"not_visited": "true"}) == ["陈桂兰", "李志明", "张国强"]
    assert names({"q": "人民路"}) == ["陈桂兰", "李志明"]
    assert names({"q": "4321"}) == ["张国强"]
    assert names({"tag": "dibao"}) == ["王秀英"]


def test_diary_query_count_is_constant_and_filters(world, homes, as_user, django_assert_max_num_queries):
    for i in range(12):
        log(world, homes, homes.wang, homes.zhang, days_ago=i)
    services.log_visit(by=world.leader, kind=Visit.Kind.RECEPTION, date=TODAY, village=world.village_a)
    client = as_user(world.cadre)

    def listed(query):
        return len(client.get(reverse("visit-diary"), query).context["page"])

    # session, user, scope, the team with its cadres, count, page, cadres, households, the base's notifications
    with django_assert_max_num_queries(9):
        page = client.get(reverse("visit-diary"))
    assert len(page.context["page"]) == 13 and not page.context["page"].has_next
    choices = [label for _value, label in page.context["filters"].form.fields["cadre"].widget.choices]
    assert choices == ["全部干部", "张小燕", "李丽芳", "陈建华", "黄志明"]
    assert listed({"kind": "reception"}) == 1
    assert listed({"cadre": world.leader.pk}) == 1
    assert listed({"date_after": (TODAY - timedelta(days=2)).isoformat()}) == 4


def test_diary_pages(world, homes, as_user, monkeypatch):
    monkeypatch.setattr("visits.views.PAGE_SIZE", 5)
    for i in range(12):
        log(world, homes, homes.wang, days_ago=i)
    client = as_user(world.cadre)
    url = reverse("visit-diary")
    first = client.get(url, {"team": world.team_a.pk}).context["page"]
    second = client.get(f"{url}?{first.next_query}").context["page"]
    last = client.get(f"{url}?{second.next_query}").context["page"]
    assert (len(first), first.has_next, first.has_previous) == (5, True, False)
    assert (len(last), last.has_next, last.has_previous) == (2, False, True)
    assert first[0].date == TODAY and last.count == 12
    # The cursor keeps the page's filters, and every visit comes once, newest first.
    assert f"team={world.team_a.pk}" in second.next_query
    walked = [*first, *second, *last]
    dates = [v.date for v in walked]
    assert len({v.pk for v in walked}) == 12 and dates == sorted(dates, reverse=True)
    back = client.get(f"{url}?{last.previous_query}").context["page"]
    assert [v.pk for v in back] == [v.pk for v in second]
    # An old page number, or a cursor that is not one, shows the first page.
    for odd in ({"page": 3}, {"cursor": "nonsense"}):
        shown = client.get(url, {"team": world.team_a.pk, **odd}).context["page"]
        assert [v.pk for v in shown] == [v.pk for v in first]


def test_coverage_counts_household_visits_this_year(world, homes, as_user, django_assert_max_num_queries):
    log(world, homes, homes.wang, homes.zhang)
    log(world, homes, homes.li, kind=Visit.Kind.CONSOLATION)
    services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY.replace(year=2025, month=12, day=30),
                       village=world.village_a, households=[homes.chen])
    client = as_user(world.cadre)
    # session, user, scope (2), village, households, visited, list count, list page, its tags, the base's notifications
    with django_assert_max_num_queries(11):
        page = client.get(reverse("village-coverage", args=[world.village_a.pk]))
    assert (page.context["row"]["visited"], page.context["row"]["total"]) == (2, 4)
    # Not visited: 陈桂兰 (独居老人) before 李志明 (no tag).
    assert [h.head_name for h in page.context["page"]] == ["陈桂兰", "李志明"]
    # The overview of every village reads the figures: reports/tests/test_coverage.py.


def test_log_a_visit_through_the_form(world, homes, as_user):
    client = as_user(world.cadre)
    page = client.get(reverse("visit-new") + f"?village={world.village_a.pk}&household={homes.wang.pk}")
    assert "王秀英" in page.content.decode()
    response = client.post(reverse("visit-new"), {
        "kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk,
        "cadres": [world.cadre.pk, world.leader.pk], "households": [homes.wang.pk, homes.chen.pk],
        "notes": "反映巷道积水", "needs_follow_up": "on", "save": "1",
    })
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse("visit-detail", args=[visit.pk])
    assert visit.needs_follow_up and set(visit.households.all()) == {homes.wang, homes.chen}


def test_a_refused_form_keeps_what_was_typed(world, homes, as_user):
    client = as_user(world.cadre)
    response = client.post(reverse("visit-new"), {
        "kind": "household", "date": (TODAY + timedelta(days=3)).isoformat(), "village": world.village_a.pk,
        "cadres": [world.cadre.pk], "households": [homes.wang.pk, homes.zhang.pk], "notes": "反映巷道积水",
    })
    html = response.content.decode()
    assert response.status_code == 200 and not Visit.objects.exists()
    assert "走访日期不能晚于今天" in html
    assert "反映巷道积水" in html
    assert f'value="{homes.wang.pk}" checked' in html and f'value="{homes.zhang.pk}" checked' in html


def test_a_household_of_another_village_is_a_form_error(world, homes, as_user):
    response = as_user(world.admin).post(reverse("visit-new"), {
        "kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk,
        "cadres": [world.cadre.pk], "households": [homes.wang.pk, homes.east.pk],
    })
    assert "以下住户不属于西区社区：黄美玲（东区社区东堤路8号）" in response.content.decode()
    assert not Visit.objects.exists()
    refused = as_user(world.cadre).post(reverse("visit-new"), {
        "kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk, "households": [homes.east.pk],
    })
    assert refused.context["form"].errors["households"] and not Visit.objects.exists()


def test_find_households_without_javascript_keeps_the_form(world, homes, as_user):
    client = as_user(world.cadre)
    response = client.post(reverse("visit-new"), {
        "kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk, "notes": "草稿",
        "households": [homes.wang.pk], "find_text": "建设路", "find": "1",
    })
    assert [h.head_name for h in response.context["found"]] == ["张国强"]
    assert "草稿" in response.content.decode() and "errorlist" not in response.content.decode()


def test_household_search_json_is_scoped_and_masked(world, homes, as_user):
    url = reverse("household-search")
    found = as_user(world.cadre).get(url, {"village": world.village_a.pk, "q": "5678"}).json()["results"]
    assert [(h["name"], h["phone"]) for h in found] == [("王秀英", "139****5678")]
    assert as_user(world.other_cadre).get(url, {"village": world.village_a.pk, "q": "王"}).json()["results"] == []


def test_visit_form_is_not_offered_outside_a_team(world, homes, as_user):
    assert as_user(world.town_office).get(reverse("visit-new")).status_code == 302


def test_follow_up_flag_and_issue_link(world, homes, as_user):
    visit = log(world, homes, homes.wang)
    client = as_user(world.cadre)
    client.post(reverse("visit-detail", args=[visit.pk]), {"follow_up": "1"})
    visit.refresh_from_db()
    page = client.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    try:
        register = reverse("issue-register")
    except Exception:
        register = None
    if register:
        assert f"{register}?visit={visit.pk}" in page
    else:
        assert visit.needs_follow_up
    outsider = as_user(world.town_office).post(reverse("visit-detail", args=[visit.pk]), {"follow_up": "0"})
    assert outsider.status_code == 404


def test_home_links_to_check_in_and_log_a_visit(world, as_user):
    html = as_user(world.cadre).get(reverse("home")).content.decode()
    assert reverse("liaison-days") in html and reverse("visit-new") in html


def test_households_are_called_zhuhu_not_nonghu(world, homes, as_user):
    """A 社区 has no farmers: the pages say 住户 throughout."""
    client = as_user(world.cadre)
    pages = [reverse("household-list", args=[world.village_a.pk]), reverse("visit-new"),
             reverse("village-coverage", args=[world.village_a.pk])]
    for url in pages:
        html = client.get(url).content.decode()
        assert "住户" in html and "农户" not in html, url


def test_the_visit_form_asks_for_the_village_first_then_offers_its_teams_cadres(
        world, homes, as_user, django_assert_max_num_queries):
    """An administrator logs visits for every team: the form asks for the village, then offers
    that village's team's members only, not the county's thousands of cadres."""
    client = as_user(world.admin)
    # session, user, scope x2, villages, notices
    with django_assert_max_num_queries(7):
        page = client.get(reverse("visit-new"))
    html = page.content.decode()
    assert page.templates[0].name == "visits/visit_village.html"
    assert "西区社区" in html and "龙溪村" in html and 'name="cadres"' not in html
    page = client.get(reverse("visit-new"), {"village": world.village_c.pk})
    offered = {user.pk for user in page.context["form"].fields["cadres"].queryset}
    assert offered == {world.other_leader.pk, world.other_cadre.pk}
    assert f'name="village" value="{world.village_c.pk}"' in page.content.decode()
    response = client.post(reverse("visit-new"), {
        "kind": "reception", "date": TODAY.isoformat(), "village": world.village_c.pk,
        "cadres": [world.other_cadre.pk], "save": "1",
    })
    visit = Visit.objects.get()
    assert response.status_code == 302 and visit.village == world.village_c
    assert list(visit.cadres.all()) == [world.other_cadre]


def test_a_cadre_of_one_team_gets_the_form_at_once_with_their_teams_members(world, homes, as_user):
    page = as_user(world.cadre).get(reverse("visit-new"))
    assert page.templates[0].name == "visits/visit_form.html"
    offered = {user.pk for user in page.context["form"].fields["cadres"].queryset}
    assert offered == {world.leader.pk, world.cadre.pk, world.lawyer.pk, world.volunteer.pk}
    # Another village's cadre cannot be sent along: the form offers this team's only.
    response = as_user(world.cadre).post(reverse("visit-new"), {
        "kind": "reception", "date": TODAY.isoformat(), "village": world.village_a.pk,
        "cadres": [world.other_cadre.pk], "save": "1",
    })
    assert response.context["form"].errors["cadres"] and not Visit.objects.exists()
