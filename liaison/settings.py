"""One settings module, read from the environment (see README: Environment).

Nothing set: SQLite and in-process Celery tasks, so `make run` needs no service.
DATABASE_URL → PostgreSQL; REDIS_URL → Celery broker, result backend and cache;
LIAISON_PRODUCTION=1 → DEBUG off, SECRET_KEY and ALLOWED_HOSTS required, secure cookies.
"""

import math
import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from liaison import env

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env.flag("LIAISON_PRODUCTION")
DEBUG = env.flag("DJANGO_DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY: production needs a random secret of at least 50 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    if "ALLOWED_HOSTS" not in os.environ:
        raise ImproperlyConfigured("ALLOWED_HOSTS: production needs the site's host names, separated by commas.")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret-liaison-demo-key-0123456789abcdef")
ALLOWED_HOSTS = env.hosts("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = [f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS if h != "*"]

INSTALLED_APPS = [
    "liaison.apps.LiaisonAdminConfig",  # django.contrib.admin, as this product (liaison/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens, one per device, kept only as a digest (core/auth.py)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "liaison",
    "core",
    "teams",
    "visits",
    "issues",
    "reports",
]

MIDDLEWARE = [
    "liaison.metrics.RequestLatency",  # first: it times the whole answer
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body (the CSRF check reads a form's): see core/request_size.py.
    "core.request_size.RequestSizeLimit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "liaison.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "liaison.middleware.ReadReplicaMiddleware",  # only with DATABASE_REPLICA_URL
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

if PRODUCTION:
    # Static files from `collectstatic`, served by the app itself behind the proxy.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liaison.context_processors.site",
                "issues.context_processors.notices",
            ],
        },
    },
]

DATABASES = {
    "default": env.database(
        "DATABASE_URL",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"},
    )
}
# Seconds a connection is kept for the next request. A kept connection is one per server
# thread: 0 (closed after each request) suits a threaded server such as runserver's, 60
# gunicorn's sync workers, which production runs: opening a connection per request cost the
# public lookup 2.5× its throughput. A kept connection is checked before a request reuses it
# (CONN_HEALTH_CHECKS, liaison/env.py), so a restarted database costs no failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 binds parameters on the server, and a kept connection prepares a statement it has
    # run five times (psycopg's default), so PostgreSQL plans the public lookup's once rather than
    # on every lookup: planning its joins cost several times running them. Prepared statements
    # live in their connection, so a pooler in between must keep one per client (PgBouncer's
    # session mode).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "teams.User"

REDIS_URL = env.redis_url("REDIS_URL")
# A Redis that is down or frozen must cost a request about a second, not hang it: every client
# (cache, broker, results) gives up connecting, and waiting for an answer, after these.
REDIS_CONNECT_TIMEOUT = env.seconds("REDIS_CONNECT_TIMEOUT", 1)
REDIS_SOCKET_TIMEOUT = env.seconds("REDIS_SOCKET_TIMEOUT", 1)
# A read replica (PostgreSQL streaming replication) for the pages and API that only read:
# liaison/replica.py routes them there while it is at most DATABASE_REPLICA_MAX_LAG seconds behind
# (checked every DATABASE_REPLICA_CHECK_SECONDS per process), else to the primary. A client that
# wrote reads the primary for REPLICA_OWN_WRITES_SECONDS: the bound, the check's age and a second
# to spare, so the replica has its write by then. Who wrote is kept in Redis, shared by every process.
DATABASE_REPLICA_MAX_LAG = env.seconds("DATABASE_REPLICA_MAX_LAG", 3)
DATABASE_REPLICA_CHECK_SECONDS = 1
REPLICA_OWN_WRITES_SECONDS = math.ceil(DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS + 1)
if os.environ.get("DATABASE_REPLICA_URL"):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not REDIS_URL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL: a read replica needs DATABASE_URL (its primary) and REDIS_URL "
            "(where every process notes who just wrote)."
        )
    DATABASES["replica"] = env.database("DATABASE_REPLICA_URL", None)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # A replica that went away costs a request at most this long to notice (libpq's least).
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    # Test databases: the replica alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["liaison.replica.Router"]

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "liaison"),
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis the demo runs every task in-process, so `make run` needs no worker.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
# Every task is idempotent (each must stay so), so a task whose worker dies is run again rather
# than lost. It is acknowledged once it has finished; if the process running it dies, it goes back
# on the queue at once; if the whole worker dies, Redis hands it out again once the visibility
# timeout has passed since it was handed out (exports and refreshes sooner: the sweeper, below).
# That timeout must outlast the longest task, or a slow run is started a second time: 5 minutes is
# a hundred times the longest, generating eight weeks of liaison days for Dongguan's 593 teams
# (about 3 s).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 5 * 60, minimum=1),
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# A request never waits on the broker after its commit (core/broker.py): what it could not
# publish, and what a dead worker left, is in the database, and the sweeper publishes it again
# every SWEEP_SECONDS. A refresh or an export whose work has not moved for JOB_STALL_SECONDS
# (no heartbeat: each town, each thousand rows) is published again: while it waits for a worker,
# until it has waited JOB_QUEUED_LIMIT (a refresh: services.STALE_REFRESH); once running, until
# its worker has died JOB_RETRIES times. Then it fails. The stall must outlast the longest step
# without a heartbeat (about 3 s at the Dongguan scale).
JOB_STALL_SECONDS = env.integer("JOB_STALL_SECONDS", 120, minimum=1)
# A full refresh of a county runs in this many tasks, each computing its share of the towns in one
# statement: as many as the worker processes that take figures work.
REFRESH_PARTS = env.integer("REFRESH_PARTS", 2, minimum=1)
JOB_RETRIES = 3
JOB_QUEUED_LIMIT = timedelta(minutes=30)
SWEEP_SECONDS = env.integer("SWEEP_SECONDS", 60, minimum=1)
# Celery's own bound on establishing a broker connection (4 s by default) on a frozen Redis.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_BEAT_SCHEDULE = {
    "generate-liaison-days": {
        "task": "teams.tasks.generate_liaison_days",
        "schedule": 24 * 60 * 60,
    },
    "sweep-issue-deadlines": {
        "task": "issues.tasks.sweep_deadlines",
        "schedule": 15 * 60,
    },
    "refresh-metrics": {
        "task": "reports.tasks.refresh_all",
        "schedule": crontab(hour=2, minute=30),
    },
    "sweep-unpublished-work": {
        "task": "reports.tasks.sweep",
        "schedule": SWEEP_SECONDS,
    },
}

# /healthz (liaison/health.py) fails a check past these: a worker's heartbeat (beaten every 30 s)
# older than HEALTH_WORKER_STALE_SECONDS; a change the figures have not caught up with older than
# HEALTH_PENDING_SECONDS (they follow within a minute); a replica further behind than
# HEALTH_REPLICA_LAG_SECONDS.
HEALTH_WORKER_STALE_SECONDS = env.integer("HEALTH_WORKER_STALE_SECONDS", 120, minimum=31)
HEALTH_PENDING_SECONDS = env.integer("HEALTH_PENDING_SECONDS", 300, minimum=1)
HEALTH_REPLICA_LAG_SECONDS = env.integer("HEALTH_REPLICA_LAG_SECONDS", 30, minimum=1)
# Prometheus scrapes /metrics with `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics is off.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Queues per kind of work (README: Production), so that a 557,000-row export or a night's sweep
# never holds up a figure: each is read by workers of its own, with their own concurrency, and its
# tasks have their own time limits. Every limit stays below CELERY_VISIBILITY_TIMEOUT's default, so
# a task past it is ended (its job failed, the refresh's chord failed) before Redis would hand it
# out again. The longest at the Dongguan scale take seconds (a town's refresh, eight weeks of
# liaison days) or tens of seconds (a county's whole visit ledger, 557,000 rows). A worker
# started without -Q (`make worker`) reads every queue.
WORK = {  # queue: (tasks, soft time limit, hard time limit), in seconds
    "figures": ([f"reports.tasks.{name}" for name in (
        "start_refresh", "refresh_towns", "finish_refresh", "fail_refresh", "apply_pending")]
        + ["visits.tasks.plan_town", "visits.tasks.plan_village"], 120, 150),
    "exports": (["reports.tasks.run_export"], 240, 270),
    "sweeps": (["reports.tasks.sweep", "reports.tasks.refresh_all", "reports.tasks.purge_files",
                "issues.tasks.sweep_deadlines", "teams.tasks.generate_liaison_days",
                "liaison.tasks.heartbeat", "visits.tasks.plan_all"], 120, 150),
}
# The rest (the messages to come) keep Celery's default queue, which older messages are on too.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = 120, 150
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in [*WORK, CELERY_TASK_DEFAULT_QUEUE]]
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, (tasks, _soft, _hard) in WORK.items() for task in tasks}
CELERY_TASK_ANNOTATIONS = {task: {"soft_time_limit": soft, "time_limit": hard}
                           for tasks, soft, hard in WORK.values() for task in tasks}
# One heartbeat a queue, sent to that queue (the option outranks the route), so /healthz sees a
# queue that no worker reads.
CELERY_BEAT_SCHEDULE.update({
    f"worker-heartbeat-{queue}": {"task": "liaison.tasks.heartbeat", "schedule": 30, "args": [queue],
                                  "options": {"queue": queue}}
    for queue in [*WORK, CELERY_TASK_DEFAULT_QUEUE]
})

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Signing in (README: Environment). django-axes counts failed sign-ins in the database, so
# signing in never depends on Redis; its backend comes first and refuses a locked-out sign-in
# before any password is checked, on the login page, the admin's and the API's token.
INSTALLED_APPS.append("axes")
MIDDLEWARE += ["core.auth.IdleSessionMiddleware", "axes.middleware.AxesMiddleware"]  # axes last, as it requires
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # core.auth reads its attempts
AXES_FAILURE_LIMIT = env.integer("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# One account from one address: a town office signs in from one address behind its router, so
# locking an address would lock colleagues out, and locking an account from everywhere would let
# anyone lock a cadre out by typing the username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not prolong it, so that the message can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are what counts; a log of every sign-in would only grow
# A session ends after this long without a request (core.auth.IdleSessionMiddleware).
SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_MINUTES", 8 * 60, minimum=5) * 60
# An API token works this long after it is issued. Each sign-in through the API (a script, a
# phone) gets its own token: DELETE on the token endpoint revokes that one; a new password or a
# deactivated account revokes them all; signing out of the site revokes none (core/auth.py).
API_TOKEN_LIFETIME = timedelta(hours=env.integer("API_TOKEN_HOURS", 24, minimum=1))
API_TOKENS_PER_USER = env.integer("API_TOKENS_PER_USER", 20, minimum=1)
REST_KNOX = {"TOKEN_TTL": API_TOKEN_LIFETIME, "AUTH_HEADER_PREFIX": "Token"}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Our JSON parser answers 400 for a body nested too deeply to read (DRF's answers 500).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: DRF's browsable pages style themselves inline, which the Content-Security-Policy
    # refuses; /api/docs/ is where a person explores the API.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pages",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.web.ApiSchema",
    "EXCEPTION_HANDLER": "core.web.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison API",
    "DESCRIPTION": "驻点联系群众 — teams, liaison days, visits and the issue ledger.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from Swagger's online validator: it would send the schema's address abroad.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Separate request and response components, so that a request's schema says what the API
    # takes (no blank text where it wants some) and a response's what it gives.
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON, the API's format. Forms are read too (curl -d, the
    # tests' default), but cannot say what JSON does: a null, a list of objects.
    "PARSER_WHITELIST": ["core.parsers.JSONParser"],
    # Every text the API reads says it holds no NUL (core/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.texts_without_nul"],
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "issues.models.Issue.Status",
        "TimelineEventKindEnum": "issues.models.Event.Kind",
        "VisitKindEnum": "visits.models.Visit.Kind",
        "AttendanceStatusEnum": "teams.models.Attendance.Status",
    },
}

# Content-Security-Policy on every response: scripts, styles, fonts and fetches from this site
# only (static files: nothing inline, no CDN), images also as data: URIs. A response that sets
# its own policy keeps it (an issue's photo: nothing at all).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# How many weeks ahead liaison days are generated, and how long after the day an
# attendance sheet may still be corrected.
LIAISON_DAYS_AHEAD_WEEKS = env.integer("LIAISON_DAYS_AHEAD_WEEKS", 8, minimum=1)
ATTENDANCE_EDIT_DAYS = env.integer("ATTENDANCE_EDIT_DAYS", 7, minimum=0)
# Working days each level has to handle an issue.
ISSUE_DUE_WORKING_DAYS = {
    "village": env.integer("ISSUE_DAYS_VILLAGE", 5, minimum=1),
    "town": env.integer("ISSUE_DAYS_TOWN", 10, minimum=1),
    "county": env.integer("ISSUE_DAYS_COUNTY", 20, minimum=1),
}

# 重点提示 on the dashboards: teams whose attendance or timely-handling rate is below this.
DASHBOARD_ALERT_PERCENT = env.integer("DASHBOARD_ALERT_PERCENT", 95, minimum=1, maximum=100)
# 定点联系: the households a member is expected to keep (seed 000: 300 and more each); the
# organization department's assignment health names members over it, those under this percent
# of it, and those whose share of households visited this year is under this percent of the
# share of the year gone.
ASSIGNMENT_LOAD = env.integer("ASSIGNMENT_LOAD", 300, minimum=1)
ASSIGNMENT_UNDER_PERCENT = env.integer("ASSIGNMENT_UNDER_PERCENT", 50, minimum=0, maximum=100)
ASSIGNMENT_PACE_PERCENT = env.integer("ASSIGNMENT_PACE_PERCENT", 50, minimum=0, maximum=100)
# The most points one inspection (督查) may deduct from its team.
INSPECTION_MAX_DEDUCTION = env.integer("INSPECTION_MAX_DEDUCTION", 10, minimum=1, maximum=100)

# What a request may send: any body at most REQUEST_MAX_BYTES (DRF's JSON included, see
# core/request_size.py); an issue's photos each at most PHOTO_MAX_BYTES, PHOTOS_PER_ISSUE of
# them, so the register page's body may be that much larger. A photo has at most PHOTO_MAX_PIXELS
# pixels, read from its header before anything is decoded (a few KB of PNG can claim 90 million).
REQUEST_MAX_BYTES = env.integer("REQUEST_MAX_KB", 1024, minimum=64) * 1024
PHOTO_MAX_BYTES = env.integer("PHOTO_MAX_MB", 10, minimum=1) * 1024 * 1024
PHOTOS_PER_ISSUE = env.integer("PHOTOS_PER_ISSUE", 9, minimum=0)
PHOTO_MAX_PIXELS = env.integer("PHOTO_MAX_MEGAPIXELS", 40, minimum=1, maximum=170) * 1_000_000
UPLOAD_MAX_BYTES = REQUEST_MAX_BYTES + PHOTOS_PER_ISSUE * PHOTO_MAX_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", True)
    # The load balancer and Prometheus ask gunicorn directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")},
}

SITE_NAME = _("Liaison")

# Excel exports and imports (reports/excel/exports.py, reports/excel/imports.py). An export of more rows than
# EXPORT_INLINE_ROWS is written by a worker; its file is kept EXPORT_KEEP_DAYS days, then deleted.
# An import reads one .xlsx of at most IMPORT_MAX_MB and IMPORT_MAX_ROWS filled rows.
EXPORT_INLINE_ROWS = env.integer("EXPORT_INLINE_ROWS", 5000, minimum=0)
EXPORT_KEEP_DAYS = env.integer("EXPORT_KEEP_DAYS", 7, minimum=1)
IMPORT_MAX_BYTES = env.integer("IMPORT_MAX_MB", 5, minimum=1) * 1024 * 1024
IMPORT_MAX_ROWS = env.integer("IMPORT_MAX_ROWS", 20000, minimum=1)
CELERY_BEAT_SCHEDULE["purge-exports"] = {"task": "reports.tasks.purge_files", "schedule": crontab(hour=3, minute=15)}
# The coverage planner's whole county, a task a town, before the day's work (visits/tasks.py).
CELERY_BEAT_SCHEDULE["plan-visits"] = {"task": "visits.tasks.plan_all", "schedule": crontab(hour=1, minute=30)}
