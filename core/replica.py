"""Which reads may go to the read replica: none, unless the code running says it may show data a
few seconds old (`with replica.reading():`). A request that only reads says so (liaison's
ReadReplicaMiddleware); a Celery task does not, so its reads stay on the primary. The router
(liaison/replica.py) still keeps on the primary whatever runs in a transaction, and every read
while the replica lags or does not answer; without DATABASE_REPLICA_URL nothing reads it."""

import contextvars
from contextlib import contextmanager

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
