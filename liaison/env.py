"""Reading settings from the environment: every bad value stops start-up with a message
that names the variable and says what is wrong."""

import math
import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def flag(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off.")


def integer(name, default, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at most {maximum}.")
    return value


def seconds(name, default):
    """A duration in seconds, more than zero; decimals allowed (0.5)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number of seconds, such as 1 or 0.5.") from None
    if not math.isfinite(value) or value <= 0:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be a number of seconds more than 0.")
    return value


def database(name, default):
    """DATABASE_URL as postgres://user:password@host:port/name, or the SQLite default."""
    raw = os.environ.get(name)
    if not raw:
        return default
    url = urlparse(raw)
    if url.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"{name}={raw!r}: only PostgreSQL is supported, as postgres://user:password@host:port/dbname."
        )
    db_name = url.path.lstrip("/")
    if not db_name:
        raise ImproperlyConfigured(f"{name}={raw!r}: the URL names no database (…/dbname).")
    try:
        port = url.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: the port is not a number.") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(db_name),
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": url.hostname or "",
        "PORT": str(port or ""),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": f"test_{unquote(db_name)}"},
    }


def redis_url(name):
    raw = os.environ.get(name)
    if not raw:
        return None
    url = urlparse(raw)
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected redis://host:port/db.")
    return raw


def hosts(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    values = [h.strip() for h in raw.split(",") if h.strip()]
    if not values:
        raise ImproperlyConfigured(f"{name} is set but empty: list the host names, separated by commas.")
    return values
