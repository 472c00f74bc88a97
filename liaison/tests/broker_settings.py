"""The project's settings with every export written by a worker: the Redis-down tests start a
real server on these, so that an export shows what a large one does."""

from liaison.settings import *  # noqa: F403

EXPORT_INLINE_ROWS = 0
# The test's users are made with the suite's fast hasher (conftest.py).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
