"""Which reads may go to the read replica: none, unless the code running says it may show data a
few seconds old (`with replica.reading():`). A request that only reads says so (liaison's
ReadReplicaMiddleware); a Celery task does not, so its reads stay on the primary. The router
(liaison/replica.py) still keeps on the primary whatever runs in a transaction, and every read
while the replica lags or does not answer; without DATABASE_REPLICA_URL nothing reads it."""

import contextvars
from contextlib import contextmanager

from django.db import router

_reading = contextvars.ContextVar("replica_reading", default=False)


@contextmanager
def reading():
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def allowed():
    return _reading.get()


@contextmanager
def reading_after(instance):
    """Reads from the replica if it already holds `instance`, a row written after everything the
    reads must see (an export's job, asked for after its requester's changes); else from the
    primary. A Celery task so reads what its request wrote without knowing who wrote."""
    model = type(instance)
    with reading():
        alias = router.db_for_read(model)
        holds = model._base_manager.using(alias).filter(pk=instance.pk).exists()
    if holds:
        with reading():
            yield
    else:
        yield
