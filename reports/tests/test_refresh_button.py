"""Refresh now: the organization department (or an administrator) starts a full refresh of its
county from the dashboard and follows its progress; nobody else can."""

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.celery import app
from reports.figures import selectors, services
from reports.models import Refresh, Unit


@pytest.fixture
def in_process(monkeypatch):
    """Tasks run inside the request, as under `make run` (no Redis)."""
    # The configuration comes from Django's settings, under their CELERY_ names.
    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    assert app.conf.task_always_eager


def status(client, world):
    return client.get(reverse("dashboard-refresh-status", args=[world.county.pk])).json()


def test_the_organization_department_refreshes_its_county(world, as_user, in_process):
    client = as_user(world.org_department)
    assert status(client, world) == {"status": None, "progress": 0}
    response = client.post(reverse("dashboard-refresh", args=[world.county.pk]), {"period": "month:2026-11"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", args=[Unit.COUNTY, world.county.pk]) + "?period=month:2026-11"
    refresh = Refresh.objects.get(county=world.county)
    assert (refresh.status, refresh.requested_by, refresh.progress) == (Refresh.Status.DONE, world.org_department, 100)
    assert services.current(world.county.pk) == refresh
    data = status(client, world)
    assert (data["id"], data["status"], data["progress"], data["done"]) == (refresh.pk, "done", 100, True)
    page = client.get(response["Location"]).content.decode()
    assert "正在重新计算数据" in page and "数据更新于" in page


def test_a_refresh_under_way_is_not_started_twice_and_its_progress_shows(world, as_user):
    running = services.start_full_refresh(world.county, by=world.admin)
    Refresh.objects.filter(pk=running.pk).update(status=Refresh.Status.RUNNING, towns_done=1)
    client = as_user(world.org_department)
    response = client.post(reverse("dashboard-refresh", args=[world.county.pk]))
    assert response.status_code == 302 and Refresh.objects.count() == 1
    data = status(client, world)
    assert (data["status"], data["progress"], data["done"]) == ("running", 47, False)
    page = client.get(response["Location"]).content.decode()
    assert "数据正在计算中" in page and "data-running" in page and 'value="47"' in page


def test_a_refresh_that_lost_its_work_does_not_block_the_next(world):
    stuck = services.start_full_refresh(world.county)
    assert selectors.running_refresh(world.county.pk) == stuck
    later = timezone.now() + services.STALE_REFRESH
    assert selectors.running_refresh(world.county.pk, now=later) is None


@pytest.mark.parametrize("persona, status_code", [
    ("town_office", 404), ("cadre", 404), ("department", 404), ("anonymous", 302),
])
def test_nobody_else_may_refresh_or_watch(world, as_user, persona, status_code):
    client = as_user(getattr(world, persona))
    assert client.post(reverse("dashboard-refresh", args=[world.county.pk])).status_code == status_code
    assert client.get(reverse("dashboard-refresh-status", args=[world.county.pk])).status_code == status_code
    assert not Refresh.objects.exists()


def test_an_administrator_may_and_another_countys_department_may_not(world, as_user, in_process):
    assert as_user(world.admin).post(reverse("dashboard-refresh", args=[world.other_county.pk])).status_code == 302
    assert Refresh.objects.get().county == world.other_county
    assert as_user(world.org_department).post(
        reverse("dashboard-refresh", args=[world.other_county.pk])).status_code == 404


def test_the_button_asks_for_a_post(world, as_user):
    assert as_user(world.org_department).get(reverse("dashboard-refresh", args=[world.county.pk])).status_code == 405
