"""No export carries a formula (issue 20, item 5). Every text field of the data (people's names and
user names, county, town, village, team, department and category names, the issues' and visits'
texts, households, phones, the rounds' titles…: every CharField and TextField of the project's
models, found by walking them, so a new field is covered too) is given a value a spreadsheet
would evaluate; then every export kind of the registry (`sheets.KINDS`) and every import
template (`imports.KINDS`) is written and opened: no cell is a formula, in openpyxl's reading or
in the sheet's XML, and each text that starts like a formula is a text cell with the quote
prefix, shown as it was written."""

import io
import re
import zipfile
from itertools import count

import pytest
from django.apps import apps
from django.db import models
from openpyxl import load_workbook

from liaison.tests.conftest import populate
from reports.excel import exports, imports, sheets
from reports.figures import services
from reports.models import ExportJob
from reports.oversight import assessments
from teams.models import Attendance, User

from .assessment_world import build_quarter

HOSTILE = ('=HYPERLINK("http://x","y{n}")', "+1+{n}", "-2+{n}", "@SUM(1,{n})", "=1+{n}", "\t=1+{n}",
           "\r=2+{n}", "＝1+{n}")
# How a text starts that Excel would evaluate when typed in, or that a spreadsheet reads as a formula.
FORMULA = re.compile(r"^[=+\-@\t\r＝＋－＠]")
APPS = ("teams", "visits", "issues", "reports")
# Fields a value must keep its form in to be read at all (a tracking code, a period key, a kind,
# the login name and password), and audit trails the database keeps as they were written.
KEPT = {"code", "password", "period", "kind", "language", "username", "email", "first_name", "last_name"}
APPEND_ONLY = {"issues.event", "teams.attendancechange", "teams.attendance", "reports.assessmentevent"}

CHECKED = {"workbooks": 0, "cells": 0, "text cells": 0, "formula-like cells": 0}


def hostile_everywhere():
    """Every free text field of every row: one of HOSTILE, numbered (unique names stay unique).
    Returns the fields changed, as model.field."""
    numbers = count(1)
    changed = []
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.label_lower in APPEND_ONLY:
                continue
            fields = [f for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))
                      and not f.choices and f.name not in KEPT]
            if not fields:
                continue
            for pk in model.objects.values_list("pk", flat=True):
                values = {}
                for field in fields:
                    n = next(numbers)
                    values[field.name] = HOSTILE[n % len(HOSTILE)].format(n=n)[:field.max_length or None]
                model.objects.filter(pk=pk).update(**values)
            changed += [f"{model._meta.label}.{f.name}" for f in fields]
    return changed


@pytest.fixture
def hostile(world, liaison_tuesday, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = populate(world)
    build_quarter(w)
    assert Attendance.objects.filter(liaison_day__date__month=11).exists()  # the attendance sheet's rows
    w.round = assessments.create_round(by=w.org_department, county=w.county, period="quarter:2026-Q3")
    w.changed = hostile_everywhere()
    # A person without a name is named by the user name.
    User.objects.filter(pk=w.cadre.pk).update(name="", username="=HYPERLINK(\"http://x\",\"cadre\")")
    services.refresh_in_process(w.county)
    return w


# Each kind of the registry, with the filters of the pages it starts from: a kind added to
# `sheets.KINDS` fails here until it is given its filters (and so is checked).
FILTERS = {
    "issues": [("admin", lambda w: {}), ("org_department", lambda w: {})],
    "visits": [("admin", lambda w: {})],
    "attendance": [("leader", lambda w: {"team": w.team_a.pk, "month": "2026-11"}),
                   ("admin", lambda w: {"town": w.town1.pk, "month": "2026-11"}),
                   ("admin", lambda w: {"month": "2026-11"})],
    "dashboard": [("org_department", lambda w: {"unit": "county", "id": w.county.pk, "period": "month:2026-11"}),
                  ("org_department", lambda w: {"unit": "town", "id": w.town1.pk, "period": "month:2026-11"})],
    "assessment": [("org_department", lambda w: {"round": w.round.pk})],
    "assignments": [("leader", lambda w: {}), ("admin", lambda w: {"town": w.town1.pk})],
}


def assert_no_formula(content, name):
    """No <f> in any sheet's XML, no cell typed formula, and every text starting like one a text
    cell with the quote prefix. Returns the formula-like cells."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets, name
        for sheet in sheets:
            xml = archive.read(sheet).decode()
            assert not re.search(r"<(?:\w+:)?f[\s>/]", xml), (name, sheet)
            assert 't="str"' not in xml, (name, sheet)  # a formula's cached result
    found = []
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                CHECKED["cells"] += 1
                assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    CHECKED["text cells"] += 1
                    assert cell.data_type == "s", (name, cell.coordinate, cell.value)
                    if FORMULA.match(cell.value):
                        assert cell.quotePrefix, (name, cell.coordinate, cell.value)
                        found.append(cell.value)
    CHECKED["workbooks"] += 1
    CHECKED["formula-like cells"] += len(found)
    return found


def test_every_text_field_of_the_data_is_hostile(hostile):
    """The fixture reaches the texts the exports write: names of people and places, issue texts."""
    for field in ("teams.User.name", "teams.Town.name", "teams.Village.name", "teams.Team.name",
                  "teams.County.name", "teams.Department.name", "issues.Category.name", "issues.Issue.title",
                  "issues.Issue.reporter_name", "issues.Issue.result", "visits.Household.head_name",
                  "visits.Visit.notes", "reports.AssessmentResult.name", "reports.AssessmentRound.title"):
        assert field in hostile.changed


@pytest.mark.parametrize("kind", list(sheets.KINDS))
def test_no_export_carries_a_formula(hostile, client, kind):
    for persona, data in FILTERS[kind]:
        client.force_login(getattr(hostile, persona))
        response = client.post(f"/reports/exports/{kind}/", data(hostile))
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == exports.XLSX
        content = b"".join(response.streaming_content)
        # The hostile texts reached the file, shown as they were written.
        assert assert_no_formula(content, kind), (kind, persona)
        ws = load_workbook(io.BytesIO(content)).worksheets[0]
        if persona != "admin":  # the title starts with the user's place, the unit's or the round's name
            assert FORMULA.match(ws["A1"].value), (kind, ws["A1"].value)
        headers = [c.value for c in ws[2]]
        named = {"issues": "首问责任人", "visits": "记录人", "attendance": "姓名", "dashboard": "单位",
                 "assessment": "单位", "assignments": "户主姓名"}[kind]
        column = headers.index(named)
        names = [row[column] for row in ws.iter_rows(min_row=3, values_only=True) if row[column]]
        assert names and any(FORMULA.match(name) for name in names), (kind, named, names)
    print(kind, CHECKED)


@pytest.mark.parametrize("kind", list(imports.KINDS))
def test_no_import_template_carries_a_formula(hostile, kind):
    content = imports.template(kind, hostile.admin)
    assert_no_formula(content, f"template {kind}")
    print(kind, CHECKED)


def test_the_worker_writes_the_same_safe_file(hostile):
    """The path of a large export (a job the worker writes) goes through the same writer."""
    job = ExportJob.objects.create(user=hostile.org_department, kind="issues", filters={}, total=0)
    exports.run(job.pk)
    job.refresh_from_db()
    assert job.status == job.Status.DONE
    with job.file.open("rb") as f:
        assert assert_no_formula(f.read(), "issues job")
    print("worker", CHECKED)
