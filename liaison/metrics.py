"""Prometheus metrics (prometheus-client): each request's latency by route, counted as it is
served, and the state of the work, read when /metrics is scraped — Celery queues' lengths in
Redis, the figures' lag, issues overdue now.

Under gunicorn each worker process counts its own requests: with PROMETHEUS_MULTIPROC_DIR set
(an empty directory, emptied before gunicorn starts), the workers write their counts there and
any one of them answers the scrape with the sum of all (README: Production)."""

import hmac
import os
import time

import redis
from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from issues.models import Issue
from liaison.celery import app
from reports.models import PendingChange, Refresh

REQUEST_SECONDS = Histogram(
    "liaison_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern, not the path) and method.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestLatency:
    """Middleware, first in the chain: the whole answer is timed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The pattern keeps the label set bounded: /public/status/<signed>/ is one route.
        route = match.route if match else "(unmatched)"
        REQUEST_SECONDS.labels(route, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


def queue_names():
    """The Celery queues the workers read: those configured, else Celery's default one."""
    queues = app.conf.task_queues
    return sorted({queue.name for queue in queues} if queues else {app.conf.task_default_queue})


class WorkState:
    """Read at each scrape, a few indexed queries and one LLEN per queue."""

    def collect(self):
        now = timezone.now()
        lengths = GaugeMetricFamily(
            "liaison_celery_queue_length", "Tasks waiting in each Celery queue (Redis).", labels=["queue"]
        )
        if settings.REDIS_URL:
            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL,
                socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
            )
            try:
                for name in queue_names():
                    lengths.add_metric([name], client.llen(name))
            except redis.RedisError:
                pass  # Redis down: no lengths, and /healthz says why
            finally:
                client.close()
        yield lengths

        pending = PendingChange.objects.aggregate(count=Count("pk"), oldest=Min("noted_at"))
        yield GaugeMetricFamily(
            "liaison_figures_pending_changes", "Changes the figures have not caught up with yet.",
            value=pending["count"],
        )
        yield GaugeMetricFamily(
            "liaison_figures_pending_oldest_seconds",
            "Age of the oldest change the figures have not caught up with (0: none waiting).",
            value=(now - pending["oldest"]).total_seconds() if pending["oldest"] else 0,
        )
        refreshed = GaugeMetricFamily(
            "liaison_figures_full_refresh_age_seconds",
            "Seconds since each county's last finished full refresh.", labels=["county"],
        )
        last = Refresh.objects.filter(status=Refresh.Status.DONE).values("county_id").annotate(at=Max("finished_at"))
        for row in last:
            refreshed.add_metric([str(row["county_id"])], (now - row["at"]).total_seconds())
        yield refreshed
        yield GaugeMetricFamily(
            "liaison_issues_overdue", "Open issues past their due time, whenever received.",
            value=Issue.objects.overdue(now).count(),
        )


def exposition():
    """The text Prometheus scrapes: the requests (every worker's, in multi-process mode) and the
    work's state."""
    work = CollectorRegistry(auto_describe=True)
    work.register(WorkState())
    requests = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
    return generate_latest(requests) + generate_latest(work)


def authorized(request):
    """A scraper sends `Authorization: Bearer <METRICS_TOKEN>`; without a token set, no one may."""
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
