"""Excel imports: every row checked and each problem reported with its row and column, in
Chinese; nothing written unless every row is valid (or the user imports the valid ones after
reading the report); the same file twice changes nothing; hostile files get a message."""

import io
import re
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from reports.excel import imports
from reports.models import ImportBatch
from teams.models import Holiday, Membership, Role, User
from teams.services import generate_liaison_days
from visits.models import Household, HouseholdTag

TAGS = "重点标签（多个用、分隔）"
HOUSEHOLD_HEADER = ["镇街", "村（社区）", "户主姓名", "地址", "联系电话", "身份证号", "家庭人口", TAGS, "登记日期"]
ROSTER_HEADER = ["姓名", "手机号码", "镇街", "村（社区）", "角色", "任职开始日期"]


def xlsx(header, rows, *, title=None, blank_rows=0, merge=None):
    book = Workbook()
    ws = book.active
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    if blank_rows:
        # Rows "used" (formatted) but empty, as a sheet dragged down to the bottom leaves them.
        for number in range(ws.max_row + 1, ws.max_row + 1 + blank_rows):
            ws.row_dimensions[number].height = 15
            ws.cell(number, 1).number_format = "@"
    if merge:
        ws.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, user, kind, content, name="data.xlsx"):
    client.force_login(user)
    return client.post(f"/reports/imports/{kind}/", {"file": io.BytesIO(content) and _named(content, name)})


def _named(content, name):
    f = io.BytesIO(content)
    f.name = name
    return f


def households(world, n=3):
    return [["罗阳街道", "西区社区", f"户主{i}", f"建设路{i}号", f"1391234{i:04d}", "", 3, "", "2026-01-05"]
            for i in range(n)]


@pytest.fixture
def tags(db):
    """The tag a migration seeds (a committed test's flush may have removed it)."""
    HouseholdTag.objects.get_or_create(code="dibao", defaults={"name": "低保", "priority": 1})


def test_the_template_has_chinese_headers_and_an_example_row(world, client):
    client.force_login(world.admin)
    response = client.get("/reports/imports/households/template/")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in ws[2]] == [
        "镇街*", "村（社区）*", "户主姓名*", "地址*", "联系电话", "身份证号", "家庭人口", TAGS, "登记日期"]
    assert ws["C3"].value == "王秀英"


def test_households_import_and_the_same_file_again_changes_nothing(world, client, tags):
    rows = households(world) + [["罗阳街道", "西区社区", "王秀英", "建设路12号", "13912345678", "441322195001010025", 2,
                                 "低保", "2025-03-01"]]
    content = xlsx(HOUSEHOLD_HEADER, rows)
    response = upload(client, world.town_office, "households", content)
    assert response.status_code == 200, re.findall(r"<td>.*?</td>", response.content.decode())
    assert "新增 4 条" in response.content.decode()
    home = Household.objects.get(id_number="441322195001010025")
    assert (home.village, home.members_count, home.registered_on) == (world.village_a, 2, date(2025, 3, 1))
    assert [t.name for t in home.tags.all()] == ["低保"]
    before = list(Household.objects.order_by("pk").values())
    response = upload(client, world.town_office, "households", content)
    assert "新增 0 条，更新 0 条，4 条与文件一致未变" in response.content.decode()
    assert list(Household.objects.order_by("pk").values()) == before


def test_a_file_with_bad_rows_writes_nothing_and_reports_each_in_chinese(world, client, tags):
    rows = households(world, 2) + [
        ["罗阳街道", "西区社区", "", "建设路9号", "12345", "441322195001010026", 1, "", ""],  # no name, bad phone, ID
        ["罗阳街道", "不存在村", "张三", "一巷", "", "", "x", "五保户", "明天"],
        ["龙溪街道", "龙溪村", "李四", "二巷", "", "", 1, "", ""],  # another town's village
    ]
    response = upload(client, world.town_office, "households", xlsx(HOUSEHOLD_HEADER, rows))
    assert response.status_code == 400
    page = response.content.decode()
    assert Household.objects.count() == 0
    report = imports.check(world.town_office, "households", xlsx(HOUSEHOLD_HEADER, rows))
    found = {(p.row, p.column) for p in report.problems}
    assert {(4, "户主姓名"), (4, "联系电话"), (4, "身份证号"), (5, "村（社区）"), (5, "家庭人口"), (5, TAGS),
            (5, "登记日期"), (6, "村（社区）")} <= found
    assert "必填" in page and "身份证" in page and "不存在村" in page
    # After reading the report, the user imports the valid rows only.
    batch = ImportBatch.objects.get()
    response = client.post(f"/reports/imports/batches/{batch.pk}/")
    assert response.status_code == 200
    assert set(Household.objects.values_list("head_name", flat=True)) == {"户主0", "户主1"}
    assert client.post(f"/reports/imports/batches/{batch.pk}/").status_code == 404  # once


def test_duplicate_id_numbers_in_the_file_or_in_another_village(world, client):
    Household.objects.create(village=world.village_c, head_name="刘德华", address="一组",
                             id_number="441322195001010025")
    rows = [["罗阳街道", "西区社区", "王一", "一巷", "", "11010519491231002X", 1, "", ""],
            ["罗阳街道", "西区社区", "王二", "二巷", "", "11010519491231002X", 1, "", ""],
            ["罗阳街道", "西区社区", "王三", "三巷", "", "441322195001010025", 1, "", ""]]
    report = imports.check(world.admin, "households", xlsx(HOUSEHOLD_HEADER, rows))
    messages = {(p.row, p.message) for p in report.problems}
    assert (3, "与第 2 行的身份证号重复。") in messages
    assert (4, "该身份证号已登记在其他村（社区）的户籍中。") in messages


def test_a_roster_import_creates_accounts_and_memberships_once(world, client):
    rows = [["赵敏", "13700000001", "罗阳街道", "西区社区", "律师", "2026-01-05"],
            ["李丽芳", "13800000002", "罗阳街道", "东区社区", "镇街干部", "2026-01-05"]]
    content = xlsx(ROSTER_HEADER, rows)
    response = upload(client, world.town_office, "roster", content)
    assert response.status_code == 200, response.content.decode()[:2000]
    zhao = User.objects.get(phone="13700000001")
    assert not zhao.has_usable_password() and zhao.name == "赵敏"
    assert Membership.objects.get(user=zhao).role == Role.LAWYER
    assert Membership.objects.get(user=world.cadre, team=world.team_b).role == Role.TOWN_CADRE
    count = Membership.objects.count()
    upload(client, world.town_office, "roster", content)
    assert Membership.objects.count() == count and User.objects.filter(phone="13700000001").count() == 1


def test_a_roster_row_outside_the_town_or_with_an_unknown_role_is_reported(world):
    rows = [["赵敏", "1370000000", "龙溪街道", "龙溪村", "队长", ""]]
    report = imports.check(world.town_office, "roster", xlsx(ROSTER_HEADER, rows))
    assert {p.column for p in report.problems} == {"手机号码", "村（社区）", "角色"}


def test_the_holiday_calendar_is_the_administrators(world, client):
    content = xlsx(["日期", "类型", "名称"], [
        ["2026-10-01", "法定节假日", "国庆节"], ["2026-10-10", "调休上班日", "国庆节调休"]])
    client.force_login(world.town_office)
    assert client.post("/reports/imports/holidays/", {"file": _named(content, "h.xlsx")}).status_code == 404
    assert upload(client, world.admin, "holidays", content).status_code == 200
    assert Holiday.objects.get(date=date(2026, 10, 1)).name == "国庆节"
    assert Holiday.objects.get(date=date(2026, 10, 10)).kind == "workday"


def test_an_imported_holiday_cancels_the_coming_liaison_days_on_it(world, client, liaison_tuesday):
    generate_liaison_days(weeks=2)
    content = xlsx(["日期", "类型", "名称"], [["2026-12-01", "法定节假日", "防台风停工"]])
    assert upload(client, world.admin, "holidays", content).status_code == 200
    day = world.team_a.liaison_days.get(date=date(2026, 12, 1))
    assert (day.status, day.change_reason) == ("cancelled", "法定节假日：防台风停工")


def test_only_the_town_office_and_administrators_import(world, client):
    for user in (world.cadre, world.org_department, world.department):
        client.force_login(user)
        assert client.get("/reports/imports/").status_code == 403
    # A team's leader imports the team's assignments (定点联系) only.
    assert imports.kinds_for(world.leader) == ["assignments"]


def zip_bomb():
    """A .xlsx-looking archive whose sheet unpacks to a gigabyte of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"0" * (1024 * 1024)
            for _ in range(1024):
                sheet.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("empty", b"", "文件是空的"),
    ("text", "户主姓名,地址\n王秀英,一巷\n".encode(), "这不是 Excel 工作簿"),
    ("docx", None, "这不是 Excel 工作簿"),
    ("bomb", None, "解压后远大于"),
    ("blank rows", None, "表头下面没有填写任何数据行"),
    ("merged header", None, "表头缺少以下列"),
    ("big", None, "文件超过"),
])
def test_hostile_files_get_a_message(world, client, settings, name, content, message):
    if name == "docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", "<document/>")
        content = buffer.getvalue()
    elif name == "bomb":
        content = zip_bomb()
    elif name == "blank rows":
        content = xlsx(HOUSEHOLD_HEADER, [], blank_rows=100_000)
    elif name == "merged header":
        content = xlsx(HOUSEHOLD_HEADER, households(world), merge="A1:B1")
    elif name == "big":
        settings.IMPORT_MAX_BYTES = 1024
        content = xlsx(HOUSEHOLD_HEADER, households(world, 100))
    response = upload(client, world.admin, "households", content, name=f"{name}.xlsx")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Household.objects.count() == 0


def test_rows_past_the_limit_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(imports.FileRefused, match="超过 5 行"):
        imports.check(world.admin, "households", xlsx(HOUSEHOLD_HEADER, households(world, 6)))


def test_a_title_row_above_the_header_is_fine(world):
    report = imports.check(world.admin, "households", xlsx(HOUSEHOLD_HEADER, households(world), title="2026年住户"))
    assert not report.problems and len(report.rows) == 3


@pytest.mark.celery_worker
def test_a_process_killed_in_the_middle_of_an_import_leaves_nothing(tworld, tmp_path):
    """The households are inserted, the process is killed before the tags are: the transaction
    goes with it."""
    HouseholdTag.objects.get_or_create(code="dibao", defaults={"name": "低保", "priority": 1})
    import os
    import subprocess
    import sys

    import psycopg
    from django.conf import settings
    from django.db import connection

    from liaison.tests.test_celery_worker import database_url, wait_for

    path = tmp_path / "households.xlsx"
    path.write_bytes(xlsx(HOUSEHOLD_HEADER, [row[:7] + ["低保"] + row[8:] for row in households(tworld, 50)]))
    db = connection.settings_dict
    holder = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                              port=db["PORT"] or 5432)
    holder.cursor().execute("LOCK TABLE visits_household_tags IN ACCESS EXCLUSIVE MODE")
    script = (f"from reports.excel import imports; from teams.models import User; "
              f"imports.run(User.objects.get(username='admin'), 'households', open({str(path)!r}, 'rb').read())")
    process = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", script], cwd=settings.BASE_DIR,
                               env={**os.environ, "DATABASE_URL": database_url()},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def waits_on_the_tags():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND query LIKE %s", ['%"visits_household_tags"%'])
            return cursor.fetchone()[0] > 0

    try:
        wait_for(lambda: waits_on_the_tags() or process.poll() is not None, 60, "the import never reached the tags")
        assert process.poll() is None, process.stdout.read().decode()
        with connection.cursor() as cursor:
            # The households are written already (in its transaction, not committed).
            cursor.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                           "WHERE c.relname = 'visits_household' AND l.mode = 'RowExclusiveLock' "
                           "AND l.pid <> pg_backend_pid()")
            assert cursor.fetchone()[0] == 1
        process.kill()
        process.wait(timeout=10)
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: not waits_on_the_tags(), 30, "the killed import's session lingered")
    assert Household.objects.count() == 0
    assert imports.run(tworld.admin, "households", path.read_bytes()).created == 50


# Each template as downloaded imports: its example row is one the checks accept, in a world like the demo.


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    call_command("seed_demo", seed=7, stdout=io.StringIO())


@pytest.mark.parametrize("username, kinds", [("town", ["households", "roster", "assignments"]),
                                             ("admin", ["households", "roster", "holidays", "assignments"])])
def test_every_template_imports_as_it_is_downloaded(demo, client, username, kinds):
    user = User.objects.get(username=username)
    client.force_login(user)
    assert imports.kinds_for(user) == kinds
    for kind in kinds:
        template = b"".join(client.get(f"/reports/imports/{kind}/template/").streaming_content)
        response = client.post(f"/reports/imports/{kind}/", {"file": _named(template, f"{kind}.xlsx")})
        page = response.content.decode()
        assert response.status_code == 200, (kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[-600:])
        counts = re.search(r"新增 (\d+) 条，更新 (\d+) 条，(\d+) 条与文件一致未变", page)
        assert counts and sum(map(int, counts.groups())) == 1, kind
    example = imports.example_row("households", user)
    assert Household.objects.filter(village__town__name=example[0], village__name=example[1],
                                    head_name="王秀英").exists()
    roster = imports.example_row("roster", user)
    membership = Membership.objects.get(user__phone=roster[1], team__village__name=roster[3])
    assert membership.role == Role.TOWN_CADRE


def test_the_example_row_left_above_the_users_own_rows_is_not_imported(world, client):
    book = load_workbook(io.BytesIO(imports.template("households", world.town_office)))
    book.active.append(["罗阳街道", "西区社区", "李建新", "建设路8号", "13912340000", "", "2", "", "2026-01-05"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, world.town_office, "households", buffer.getvalue())
    assert response.status_code == 200
    assert list(Household.objects.values_list("head_name", flat=True)) == ["李建新"]
