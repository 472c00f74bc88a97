"""The residents' lookup under load, as production runs it: requests/s, p50 and p99 against the
targets, beside a trivial page in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench .venv/bin/python benchmarks/public_lookup.py

Prepares the database (migrations, `seed_demo --preset dongguan`: ~29,000 issues) and the static
files (`collectstatic`), then starts gunicorn exactly as the README's production section does —
`gunicorn liaison.wsgi --workers 2 --bind 127.0.0.1:PORT`, with `LIAISON_PRODUCTION=1`, a
`SECRET_KEY`, `ALLOWED_HOSTS` and nothing else set (CONN_MAX_AGE is production's default) — and
drives it with wrk as the HTTPS proxy would (`X-Forwarded-Proto: https`). Each round runs, for a
bounded time each, the trivial page (the lookup form, GET: the whole middleware stack and a
template, no database), then the three requests of a lookup over a random sample of issues, each a
real match: the form's POST (tracking code + phone digits: the limits checked, the phone read, a
redirect to the status page), the status page it leads to (the issue, its handler and timeline
read, the page rendered) and the API's POST (all of it, as JSON). Prints requests/s, p50 and p99
of each and its rate against the trivial page's in the same round, which the load of a shared
machine moves less than the rates; then the medians of the rounds. Targets: each lookup request
≥300 req/s and p99 ≤100 ms, no errors. Needs wrk (Debian: apt-get install wrk).

Options (environment): REDIS_URL (default redis://127.0.0.1:6379/4), BENCH_SECONDS (15 per round),
BENCH_ROUNDS (3), BENCH_CONNECTIONS (4), BENCH_PORT (a free one)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL=postgres://…/liaison_bench: the benchmark runs on PostgreSQL.")
WRK = shutil.which("wrk") or sys.exit("wrk is needed: apt-get install wrk")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "0")) or free_port()
BASE = f"http://127.0.0.1:{PORT}"
HTTPS_BASE = f"https://127.0.0.1:{PORT}"  # what the browser sees behind the proxy: the CSRF check's origin
SAMPLE = 5_000

# The README's production section, and only it: what it exports, then its gunicorn command line.
PRODUCTION_ENV = {
    "LIAISON_PRODUCTION": "1",
    "SECRET_KEY": "bench-only-" + "x7Qp2Lr9Vt4Wm8Ks3Nd6Hf1Jb5Gc0Ze" * 2,
    "ALLOWED_HOSTS": "127.0.0.1",
}
# This process signs the status pages' links (their tokens) as the server does.
os.environ["SECRET_KEY"] = PRODUCTION_ENV["SECRET_KEY"]

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from issues import public  # noqa: E402
from issues.models import Issue  # noqa: E402


def prepare():
    call_command("migrate", verbosity=0)
    call_command("seed_demo", preset="dongguan", verbosity=0)
    if Issue.objects.count() < 28_000:
        sys.exit("The ledger holds fewer than 28,000 issues: seed a fresh database with --preset dongguan.")
    rows = list(Issue.objects.order_by("?").values_list("code", "reporter_phone")[:SAMPLE])
    connection.close()
    return [(code, "".join(c for c in phone if c.isdigit())[-4:]) for code, phone in rows]


# Each request of a run: (method, path, body) cycled in order, with the proxy's and the form's headers.
LUA = '''
local requests = {%(requests)s}
local i = 0
request = function()
  i = i %% #requests + 1
  local r = requests[i]
  return wrk.format(r[1], r[2], {
    ["Content-Type"] = r[4],
    ["Cookie"] = "csrftoken=%(cookie)s",
    ["Referer"] = "%(base)s/public/lookup/",
    ["X-Forwarded-Proto"] = "https",
  }, r[3])
end
'''
TRIVIAL_LUA = '''
request = function()
  return wrk.format("GET", "/public/lookup/", {["X-Forwarded-Proto"] = "https"})
end
'''
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}  # the HTTPS proxy in front of gunicorn


def production_env():
    keep = ("PATH", "HOME", "DATABASE_URL", "REDIS_URL", "CACHE_KEY_PREFIX")
    return {**{k: v for k, v in os.environ.items() if k in keep}, **PRODUCTION_ENV, "LOG_LEVEL": "ERROR"}


def start_gunicorn():
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=production_env(), cwd=ROOT, check=True,
    )
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "liaison.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{PORT}"],
        env=production_env(), cwd=ROOT, start_new_session=True,
    )


def csrf_pair(server):
    """The CSRF cookie and a form token for it, from the lookup form, once gunicorn answers."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.request.Request(f"{BASE}/public/lookup/", headers=PROXY_HEADERS)
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("gunicorn exited")
        try:
            page = opener.open(form, timeout=1).read().decode()
            break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit("gunicorn did not start")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    # The cookie is Secure (production): the jar keeps it, a plain-HTTP client would not send it.
    return next(c.value for c in jar if c.name == "csrftoken"), token


def check_lookup(pair, cookie, token):
    """One real lookup through the server must show the status page, not the neutral answer."""
    code, last4 = pair
    request = urllib.request.Request(
        f"{BASE}/public/lookup/",
        data=f"csrfmiddlewaretoken={token}&code={code}&phone_last4={last4}".encode(),
        headers={"Cookie": f"csrftoken={cookie}", "Referer": f"{HTTPS_BASE}/public/lookup/", **PROXY_HEADERS},
    )
    if 'class="timeline"' not in urllib.request.urlopen(request).read().decode():
        sys.exit("the lookup did not reach the status page")


def wrk(script, seconds):
    """(requests/s, p50 and p99 in ms, non-2xx responses) of one wrk run."""
    command = [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s", "-s", str(script)]
    output = subprocess.run(
        command + [f"{BASE}/public/lookup/"], capture_output=True, text=True, timeout=seconds + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def percentile(label):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, percentile(50), percentile(99), int(non_2xx.group(1)) if non_2xx else 0


def show(name, rps, p50, p99, errors):
    return f"{name:<26} {rps:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  non-2xx {errors}"


def lua_requests(pairs, token):
    """wrk's request lists: the form's POST, the status page it leads to, the API's POST."""
    def form(code, last4):
        return f'{{"POST", "/public/lookup/", "csrfmiddlewaretoken={token}&code={code}&phone_last4={last4}", "{FORM}"}}'

    def page(code, _last4):
        return f'{{"GET", "/public/status/{public.status_token(code)}/", nil, nil}}'

    def api(code, last4):
        body = json.dumps({"code": code, "phone_last4": last4}).replace('"', '\\"')
        return f'{{"POST", "/api/v1/public/issue-status/", "{body}", "application/json"}}'

    kinds = {"form": form, "page": page, "api": api}
    return {name: ",".join(kind(*pair) for pair in pairs) for name, kind in kinds.items()}


FORM = "application/x-www-form-urlencoded"
RUNS = (
    ("trivial", "trivial page (GET form)"),
    ("form", "lookup POST (form)"),
    ("page", "status page GET"),
    ("api", "lookup POST (API)"),
)


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    pairs = prepare()
    server = start_gunicorn()
    try:
        cookie, token = csrf_pair(server)
        check_lookup(pairs[0], cookie, token)
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {"trivial": Path(tmp) / "trivial.lua"}
            scripts["trivial"].write_text(TRIVIAL_LUA)
            for name, requests in lua_requests(pairs, token).items():
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(LUA % {"requests": requests, "cookie": cookie, "base": HTTPS_BASE})
            for name, _label in RUNS:  # warm-up: imports, connections, templates, prepared statements
                wrk(scripts[name], 2)
            rounds = [{name: wrk(scripts[name], SECONDS) for name, _label in RUNS} for _ in range(ROUNDS)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"issues in the ledger: {Issue.objects.count()}; lookups cycle over {len(pairs)} of them, each a match")
    print(f"gunicorn liaison.wsgi --workers 2, production settings as the README's (CONN_MAX_AGE "
          f"{settings_conn_max_age()} s by default), wrk {CONNECTIONS} connections, {SECONDS}s per run, loopback")
    driver = connection.Database
    print(f"driver {driver.__name__} {driver.__version__.split()[0]}, OPTIONS {connection.settings_dict['OPTIONS']}")
    for n, run in enumerate(rounds, 1):
        for name, label in RUNS:
            ratio = "" if name == "trivial" else f"  {run[name][0] / run['trivial'][0]:.2f}× the trivial page"
            print(f"round {n}: {show(label, *run[name])}{ratio}")
    # The machine is shared (two cores): medians of the rounds, and the ratio to the trivial page
    # measured in the same round, which load moves less than the rates.
    print(f"medians of {ROUNDS} rounds:")
    for name, label in RUNS:
        rps, p50, p99 = (median([run[name][i] for run in rounds]) for i in range(3))
        errors = sum(run[name][3] for run in rounds)
        ratio = median([run[name][0] / run["trivial"][0] for run in rounds])
        print(f"  {show(label, rps, p50, p99, errors)}" + ("" if name == "trivial" else f"  ratio {ratio:.2f}"))
    # A resident's lookup by the form is the POST and then the status page it leads to.
    both = median([1 / (1 / run["form"][0] + 1 / run["page"][0]) for run in rounds])
    print(f"  a whole lookup by the form (POST, then the status page): {both:.1f} lookups/s")
    ok = all(
        median([run[name][0] for run in rounds]) >= 300 and median([run[name][2] for run in rounds]) <= 100
        for name in ("form", "page", "api")
    ) and not any(run[name][3] for run in rounds for name in scripts)
    print("targets (each lookup request ≥300 req/s and p99 ≤100 ms, medians; no errors):", "met" if ok else "NOT met")
    return 0 if ok else 1


def settings_conn_max_age():
    """What production's settings give CONN_MAX_AGE, read in a process with the README's environment."""
    show = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", show],
        env=production_env(), cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
