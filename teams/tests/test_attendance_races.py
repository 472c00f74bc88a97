"""Many people (or one impatient client) edit the same attendance row at once, each request on
its own PostgreSQL connection: one change wins, every other is told 409, none is lost silently
— whether or not the client sent `seen`."""

import re
import threading
import time

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import LIAISON_TUESDAY, TODAY
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import Attendance, AttendanceChange, LiaisonDay

N = 20


@pytest.fixture
def tday(tworld):
    # The clock runs: a row's version (`updated_at`) changes with every write, as in production.
    with time_machine.travel(LIAISON_TUESDAY, tick=True):
        team_services.generate_liaison_days(weeks=3)
        yield LiaisonDay.objects.get(team=tworld.team_a, date=TODAY)


def waiting_for_a_lock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def post_at_once(day, user, bodies, late=()):
    """Each body POSTed by its own thread (own connection), released together; the `late` ones
    as soon as the first answer is back (they loaded the sheet before it, and send a moment later)."""
    answers = [None] * (len(bodies) + len(late))
    barrier = threading.Barrier(len(bodies))
    first = threading.Event()

    def worker(i, body, wait):
        try:
            api = APIClient()
            api.force_authenticate(user)
            wait()
            answers[i] = api.post(f"/api/v1/liaison-days/{day.pk}/attendance/", body, format="json")
            first.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, b, barrier.wait)) for i, b in enumerate(bodies)]
    threads += [threading.Thread(target=worker, args=(len(bodies) + i, b, lambda: first.wait(60)))
                for i, b in enumerate(late)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def post_all_at_once(day, user, bodies):
    """Each body POSTed by its own thread (own connection). The day's row is held locked while
    they arrive, so that every request has read the sheet before any of them commits: the worst
    interleaving, every time."""
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)

    def worker(i, body):
        try:
            api = APIClient()
            api.force_authenticate(user)
            barrier.wait()
            answers[i] = api.post(f"/api/v1/liaison-days/{day.pk}/attendance/", body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, b)) for i, b in enumerate(bodies)]
    with transaction.atomic():
        LiaisonDay.objects.select_for_update().get(pk=day.pk)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < len(bodies) and time.monotonic() < deadline:
            time.sleep(0.05)
    for t in threads:
        t.join(60)
    return answers


@pytest.mark.parametrize("with_seen", [False, True], ids=["without-seen", "with-seen"])
def test_twenty_edits_of_one_row_at_once_one_wins_the_others_409(tworld, tday, with_seen):
    cadre = tworld.cadre
    bodies = [
        [{"member": cadre.pk, "status": "present" if i % 2 else "absent", "note": f"第{i}次登记",
          **({"seen": "pending"} if with_seen else {})}]
        for i in range(N)
    ]
    answers = post_all_at_once(tday, tworld.leader, bodies)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (N - 1), codes
    for answer in answers:
        if answer.status_code == 409:
            assert "李丽芳" in answer.json()["detail"]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    row = Attendance.objects.get(liaison_day=tday, member=cadre)
    assert row.note == f"第{winner}次登记"
    # Nothing lost silently: the one change made is the one answered 200, logged once.
    assert list(AttendanceChange.objects.filter(attendance=row).values_list("from_status", "to_note")) == [
        ("pending", f"第{winner}次登记")
    ]


def test_the_same_check_in_twice_at_once_is_not_a_conflict(tworld, tday):
    body = [{"member": tworld.cadre.pk, "status": "present"}]
    answers = post_all_at_once(tday, tworld.cadre, [body, body])
    assert [a.status_code for a in answers] == [200, 200]
    assert AttendanceChange.objects.filter(attendance__member=tworld.cadre).count() == 1


def test_with_the_rows_version_even_late_edits_are_409(tworld, tday):
    """`seen_at` (the row's `updated_at`, as the day's rows give it) is the row's whole version:
    an edit sent after the winner committed, from a sheet loaded before, is a 409 too."""
    cadre = tworld.cadre
    api = APIClient()
    api.force_authenticate(tworld.leader)
    row = next(r for r in api.get(f"/api/v1/liaison-days/{tday.pk}/").json()["attendance"] if r["member"] == cadre.pk)
    bodies = [
        [{"member": cadre.pk, "status": "present", "note": f"第{i}次登记", "seen_at": row["updated_at"]}]
        for i in range(N)
    ]
    answers = post_at_once(tday, tworld.leader, bodies[: N // 2], late=bodies[N // 2:])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (N - 1), codes
    assert AttendanceChange.objects.filter(attendance__member=cadre).count() == 1


def test_a_versioned_save_sent_again_after_it_went_through_is_not_a_conflict(tworld, tday):
    """A phone that lost the answer sends the same save again, with the version it had: the row
    already is what it asks, so it is told so (200), not that someone else changed it."""
    api = APIClient()
    api.force_authenticate(tworld.leader)
    row = next(r for r in api.get(f"/api/v1/liaison-days/{tday.pk}/").json()["attendance"]
               if r["member"] == tworld.cadre.pk)
    body = [{"member": tworld.cadre.pk, "status": "leave", "note": "事假", "seen": row["status"],
             "seen_at": row["updated_at"]}]
    url = f"/api/v1/liaison-days/{tday.pk}/attendance/"
    assert api.post(url, body, format="json").status_code == 200
    assert api.post(url, body, format="json").status_code == 200
    assert AttendanceChange.objects.filter(attendance__member=tworld.cadre).count() == 1
    # A different save on the old version is still a conflict.
    assert api.post(url, [{**body[0], "note": "病假"}], format="json").status_code == 409


def test_the_sheet_does_not_overwrite_a_note_changed_meanwhile(tworld, tday, client):
    """The page sends the row's version: a note someone else wrote since is not overwritten by
    the (unchanged) note of the sheet the leader loaded."""
    cadre = tworld.cadre
    team_attendance.record_attendance(liaison_day=tday, by=tworld.leader,
                                    entries=[{"member": cadre.pk, "status": "present", "note": "准时"}])
    client.force_login(tworld.leader)
    url = reverse("liaison-day", args=[tday.pk])
    page = client.get(url).content.decode()
    version = re.search(rf'name="seen_at-{cadre.pk}" value="([^"]+)"', page)
    team_attendance.record_attendance(liaison_day=tday, by=tworld.admin,
                                     entries=[{"member": cadre.pk, "status": "present", "note": "迟到十分钟"}])
    sheet = {f"status-{cadre.pk}": "present", f"note-{cadre.pk}": "准时", f"seen-{cadre.pk}": "present"}
    if version:
        sheet[f"seen_at-{cadre.pk}"] = version.group(1)
    response = client.post(url, sheet, follow=True)
    assert "李丽芳的考勤刚刚被他人登记，请刷新考勤表查看后再试。" in response.content.decode()
    assert Attendance.objects.get(liaison_day=tday, member=cadre).note == "迟到十分钟"
    assert version, "the sheet carries each row's version"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-08:00", "yesterday"])
def test_a_version_no_clock_reaches_is_a_400(world, today_day, api_as, moment):
    body = [{"member": world.cadre.pk, "status": "present", "seen_at": moment}]
    response = api_as(world.leader).post(f"/api/v1/liaison-days/{today_day.pk}/attendance/", body, format="json")
    assert response.status_code == 400 and "seen_at" in response.json()[0]
