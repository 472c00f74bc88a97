"""Races measured from outside the process: HTTP against a running server (gunicorn in
production mode), on the demo data (`seed_demo`), as the audit of issue 20 measured them.

    BASE=http://127.0.0.1:8000 .venv/bin/python benchmarks/races.py

1. Attendance: ROUNDS times, N requests (one connection each; half released together by a
   barrier, half as soon as the first answer is back) POST the same row of the demo team's most
   recent open sheet as its leader, each with its own note: without a version, then with
   `seen_at` read before. Every 200 answer but the one whose note the row keeps was overwritten:
   a lost update (without a version, a request that reached the server after another committed
   overwrites it knowingly as far as the server can tell; it is still counted).
2. Issue actions: ROUNDS times, on a new issue, N escalations without `step` by the leader
   and the cadre (both may escalate from the village): half at once, half as soon as the first
   answer is back (people who loaded the page before the winner acted); then N resolves by
   the same two. Only one escalation can win; every other answer should be 409, and a 403
   ("you may not") to someone who was allowed on the issue they loaded is a 403-instead-of-409.

Prints, per scenario: requests, answers by status, lost updates, 403-instead-of-409.
Options (environment): BASE, N (20), ROUNDS (3), PASSWORD (liaison-demo)."""

import os
import sys
import threading
from collections import Counter
from datetime import date

import requests

BASE = os.environ.get("BASE", "http://127.0.0.1:8000").rstrip("/")
N = int(os.environ.get("N", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
PASSWORD = os.environ.get("PASSWORD", "liaison-demo")


def token(username):
    answer = requests.post(f"{BASE}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Token {answer.json()['token']}"}


def get(headers, path, **params):
    answer = requests.get(f"{BASE}{path}", headers=headers, params=params, timeout=30)
    answer.raise_for_status()
    return answer.json()


def at_once(calls, then=()):
    """POST each (headers, path, body) on its own connection, released together; `then` as soon
    as the first answer is back. Returns (status, json) in the order given."""
    answers = [None] * (len(calls) + len(then))
    barrier = threading.Barrier(len(calls))
    first = threading.Event()

    def worker(i, headers, path, body, wait):
        with requests.Session() as session:
            session.get(f"{BASE}/api/v1/me/", headers=headers, timeout=30)  # the connection is open
            wait()
            answer = session.post(f"{BASE}{path}", headers=headers, json=body, timeout=60)
            first.set()
            try:
                answers[i] = (answer.status_code, answer.json())
            except ValueError:
                answers[i] = (answer.status_code, answer.text[:200])

    threads = [threading.Thread(target=worker, args=(i, *c, barrier.wait)) for i, c in enumerate(calls)]
    threads += [
        threading.Thread(target=worker, args=(len(calls) + i, *c, lambda: first.wait(60))) for i, c in enumerate(then)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def attendance(leader, cadre_id, team_id):
    days = get(leader, "/api/v1/liaison-days/", team=team_id, date_before=date.today().isoformat())["results"]
    for day in days:
        probe = requests.post(f"{BASE}/api/v1/liaison-days/{day['id']}/attendance/", headers=leader, timeout=30,
                              json=[{"member": cadre_id, "status": "present", "note": "probe"}])
        if probe.status_code == 200:
            break
    else:
        sys.exit("No open attendance sheet of the leader's team with the cadre's row.")
    path = f"/api/v1/liaison-days/{day['id']}/attendance/"

    def row():
        return next(a for a in get(leader, f"/api/v1/liaison-days/{day['id']}/")["attendance"]
                    if a["member"] == cadre_id)

    for versioned in (False, True):
        requests_sent, codes, lost = 0, Counter(), 0
        for r in range(ROUNDS):
            seen = {"seen_at": row()["updated_at"]} if versioned else {}
            notes = [f"race {versioned:d} {r}-{i}" for i in range(N)]
            calls = [(leader, path, [{"member": cadre_id, "status": ("present", "absent")[i % 2], "note": notes[i],
                                      **seen}]) for i in range(N)]
            # Half at once, half as soon as the first answer is back (they read the sheet before it).
            answers = at_once(calls[: N // 2], calls[N // 2:])
            requests_sent += N
            codes.update(status for status, _ in answers)
            final = row()["note"]
            lost += sum(1 for i, (status, _) in enumerate(answers) if status == 200 and notes[i] != final)
        print(f"attendance {'with seen_at' if versioned else 'without a version'}, day {day['date']}: "
              f"{requests_sent} requests, {dict(sorted(codes.items()))}, lost updates {lost}")


def issue_actions(leader, cadre, village_id, category):
    requests_sent, codes, forbidden = 0, Counter(), 0
    for r in range(ROUNDS):
        answer = requests.post(f"{BASE}/api/v1/issues/", headers=cadre, timeout=30, json={
            "title": f"竞态测量 {r}", "description": "测量并发操作", "category": category, "source": "reception",
            "village": village_id, "reporter_name": "王秀英", "reporter_phone": "13912345678",
        })
        answer.raise_for_status()
        code = answer.json()["code"]
        people = [leader, cadre]
        escalate = [(people[i % 2], f"/api/v1/issues/{code}/escalate/", {"reason": f"需镇街协调 {i}"})
                    for i in range(N)]
        answers = at_once(escalate[: N // 2], escalate[N // 2:])
        answers += at_once([(people[i % 2], f"/api/v1/issues/{code}/resolve/", {"result": "已修好"})
                            for i in range(N)])
        requests_sent += 2 * N
        codes.update(status for status, _ in answers)
        forbidden += sum(1 for status, _ in answers if status == 403)
    print(f"issue actions: {requests_sent} requests, {dict(sorted(codes.items()))}, "
          f"403-instead-of-409 {forbidden}")


def main():
    leader, cadre = token("leader"), token("cadre")
    me = get(cadre, "/api/v1/me/")
    team_id = next(p["team"] for p in me["positions"] if p["kind"] == "member")
    village_id = get(cadre, f"/api/v1/teams/{team_id}/")["village"]
    category = get(cadre, "/api/v1/categories/")[0]["code"]
    attendance(leader, me["id"], team_id)
    issue_actions(leader, cadre, village_id, category)


if __name__ == "__main__":
    main()
