"""The suite runs in parallel (pytest-xdist, `make test`): a worker's cache, Celery broker and
result backend, and the processes its tests start, all use its own Redis database, and its files
go to its own MEDIA_ROOT (conftest.own_redis_and_media)."""

import os

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage

from liaison.celery import app


def test_everything_that_uses_redis_uses_the_workers_database():
    url = settings.REDIS_URL
    assert os.environ["REDIS_URL"] == url
    assert app.conf.broker_url == app.conf.result_backend == url
    assert cache._cache._servers == [url]
    assert default_storage.location == os.environ["MEDIA_ROOT"] == str(settings.MEDIA_ROOT)
