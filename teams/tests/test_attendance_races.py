"""Many people (or one impatient client) edit the same attendance row at once, each request on
its own PostgreSQL connection: one change wins, every other is told 409, none is lost silently
— whether or not the client sent `seen`."""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from conftest import TODAY
from teams import services as team_services
from teams.models import Attendance, AttendanceChange, LiaisonDay

N = 20


@pytest.fixture
def tday(tworld, now):
    team_services.generate_liaison_days(weeks=3)
    return LiaisonDay.objects.get(team=tworld.team_a, date=TODAY)


def waiting_for_a_lock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


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
