from functools import cached_property

from issues import notifications


class _Notices:
    """The header's latest unread notices and their count, read (in one query) only when shown."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def _read(self):
        return notifications.unread(self.user)

    @property
    def latest(self):
        return self._read[0]

    @property
    def unread(self):
        return self._read[1]


def notices(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notices": _Notices(user)}
