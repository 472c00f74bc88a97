"""Export jobs: /api/v1/exports/ and the export page. A small export is answered done; a large
one is written by a real Celery worker whose progress the page follows; the file is served only
to the user who asked, until it expires."""

import io
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from issues.models import Category, Issue
from liaison.tests.conftest import populate
from liaison.tests.test_celery_worker import emptied, start_worker, stop
from reports.excel import exports
from reports.models import ExportJob


@pytest.fixture
def busy(world, liaison_tuesday, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return populate(world)


def test_the_api_answers_a_small_export_done_with_its_download(busy, api_as):
    api = api_as(busy.org_department)
    response = api.post("/api/v1/exports/", {"kind": "issues", "status": "open"}, format="json")
    assert response.status_code == 201, response.json()
    job = response.json()
    assert (job["status"], job["progress"], job["rows"]) == ("done", 100, 4)
    download = api.get(job["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert load_workbook(io.BytesIO(content)).active.max_row == 6
    assert len(CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()) == 6
    assert api.get(f"/api/v1/exports/{job['id']}/").json()["status"] == "done"
    assert [j["id"] for j in api.get("/api/v1/exports/").json()["results"]] == [job["id"]]
    # Nobody else's: not listed, not served.
    other = api_as(busy.admin)
    assert other.get(f"/api/v1/exports/{job['id']}/").status_code == 404
    assert other.get(f"/api/v1/exports/{job['id']}/download/").status_code == 404
    assert other.get("/api/v1/exports/").json()["count"] == 0


@pytest.mark.parametrize("body, field", [
    ({"kind": "assessment"}, "round"), ({"kind": "pictures"}, "kind"), ({}, "kind"),
    ({"kind": "issues", "received_after": "last week"}, "received_after"),
    ({"kind": "attendance", "month": "2026-13"}, "month"),
])
def test_the_api_refuses_what_it_cannot_export(busy, api_as, body, field):
    response = api_as(busy.cadre).post("/api/v1/exports/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert ExportJob.objects.count() == 0


def test_an_expired_file_is_gone(busy, client, api_as):
    job = exports.start(user=busy.cadre, kind="issues", data={}, small_now=True)
    path = job.file.path
    client.force_login(busy.cadre)
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/reports/exports/{job.pk}/download/")
    assert response.status_code == 410 and "已过期" in response.content.decode()
    assert api_as(busy.cadre).get(f"/api/v1/exports/{job.pk}/").json()["download"] is None
    assert exports.purge() == 1
    assert not ExportJob.objects.exists()
    import os

    assert not os.path.exists(path)


def test_the_expiry_is_the_configured_number_of_days(busy, settings):
    settings.EXPORT_KEEP_DAYS = 3
    job = exports.start(user=busy.cadre, kind="issues", data={}, small_now=True)
    assert job.expires_at - job.finished_at == timedelta(days=3)


@pytest.fixture
def queue():
    """The exports' queue, emptied first of what earlier runs left there."""
    return emptied("exports")


@pytest.mark.celery_worker
def test_a_large_export_is_written_by_the_worker_with_its_progress_on_the_page(tworld, client, settings, tmp_path,
                                                                               queue):
    """Past EXPORT_INLINE_ROWS the page starts a job; the worker notes the rows written as it goes
    and the page then offers the file."""
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_ROWS = 100
    category = Category.objects.create(code="export-test", name="民生", group=Category.Group.COMMITTEE)
    now = timezone.now()
    Issue.objects.bulk_create(
        Issue(code=f"T{i:09d}", title=f"问题{i}", description="描述", category=category, source="reception",
              village=tworld.village_a, reporter_name="王秀英", reporter_phone="13912345678",
              first_responder=tworld.cadre, received_at=now - timedelta(minutes=i))
        for i in range(3500)
    )
    client.force_login(tworld.org_department)
    response = client.post(f"/reports/exports/issues/?town={tworld.town1.pk}")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == f"/reports/exports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "等待处理程序" in page or "进行中" in page
    seen = set()
    worker = start_worker(queue, MEDIA_ROOT=str(tmp_path))
    try:
        def finished():
            state = client.get(f"/reports/exports/{job.pk}/status/").json()
            seen.add((state["status"], state["rows"], state["progress"]))
            return state["status"] == "done"

        deadline = time.monotonic() + 60
        while not finished():
            assert time.monotonic() < deadline, seen
            time.sleep(0.02)
    finally:
        output = stop(worker)
    state = client.get(f"/reports/exports/{job.pk}/status/").json()
    assert (state["rows"], state["total"], state["progress"]) == (3500, 3500, 100), output
    assert any(status == "running" and 0 < rows < 3500 and 0 < p < 100 for status, rows, p in seen), seen
    assert "下载文件" in client.get(f"/reports/exports/{job.pk}/").content.decode()
    response = client.get(state["download"])
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    assert sum(1 for _row in ws.iter_rows(min_row=3)) == 3500
    assert len(CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()) == 3502
    # The file is its requester's only.
    client.force_login(tworld.admin)
    assert client.get(state["download"]).status_code == 404
    assert client.get(f"/reports/exports/{job.pk}/status/").status_code == 404
