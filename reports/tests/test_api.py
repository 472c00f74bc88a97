"""GET /api/v1/metrics/: a unit's figures for a period, to those who see the unit."""

import pytest

from reports.figures import services

from .test_metrics import november  # noqa: F401  (the hand-counted November)


def test_the_county_month_as_the_organization_department_sees_it(world, november, api_as):  # noqa: F811
    response = api_as(world.org_department).get(
        "/api/v1/metrics/", {"unit": f"county:{world.county.pk}", "period": "month:2026-11"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["unit"] == f"county:{world.county.pk}" and data["period"] == "month:2026-11"
    assert data["metrics"]["attendance"] == {"numerator": 12, "denominator": 15, "rate": 0.8}
    assert data["metrics"]["timely"] == {"numerator": 3, "denominator": 5, "rate": 0.6}
    assert data["counts"]["issues_received"] == 6
    assert data["computed_at"] == "2026-11-25T04:00:00Z"  # 12:00 in Asia/Shanghai


def test_no_rate_for_nothing(world, november, api_as):  # noqa: F811
    data = api_as(world.other_cadre).get(
        "/api/v1/metrics/", {"unit": f"team:{world.team_c.pk}", "period": "week:2026-W48"}
    ).json()
    assert data["metrics"]["attendance"] == {"numerator": 0, "denominator": 0, "rate": None}


@pytest.mark.parametrize("persona, unit, status", [
    ("cadre", "team_a", 200), ("cadre", "team_c", 404), ("cadre", "town1", 404), ("town_office", "town1", 200),
    ("town_office", "team_b", 200), ("town_office", "town2", 404), ("town_office", "county", 404),
    ("department", "dept1", 200), ("department", "team_a", 404), ("org_department", "team_c", 200),
    ("org_department", "dept2", 200),
])
def test_each_sees_their_own_units(world, november, api_as, persona, unit, status):  # noqa: F811
    kind = {"team": "team", "town": "town", "county": "county", "dept": "department"}[unit.rstrip("_abc12")]
    response = api_as(getattr(world, persona)).get(
        "/api/v1/metrics/", {"unit": f"{kind}:{getattr(world, unit).pk}", "period": "month:2026-11"}
    )
    assert response.status_code == status


@pytest.mark.parametrize("params", [
    {"unit": "team", "period": "month:2026-11"}, {"unit": "village:1", "period": "month:2026-11"},
    {"unit": "team:0", "period": "month:2026-11"}, {"unit": "team:1", "period": "month:2026-13"},
    {"unit": "team:1", "period": "week:2025-W53"}, {"unit": "team:1"}, {},
])
def test_bad_units_and_periods_get_400(world, api_as, params):
    response = api_as(world.admin).get("/api/v1/metrics/", params)
    assert response.status_code == 400 and response.json()


def test_a_period_not_computed_gets_404(world, api_as):
    services.refresh_in_process(world.county)
    response = api_as(world.admin).get("/api/v1/metrics/", {"unit": f"county:{world.county.pk}", "period": "year:2019"})
    assert response.status_code == 404 and "计算" in response.json()["detail"]
