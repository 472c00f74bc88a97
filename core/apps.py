from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform every app stands on (DESIGN.md's Apps): it imports no app."""

    name = "core"

    def ready(self):
        from core import auth  # noqa: F401  (connects the token revocations)
        from core.schema import text_is_a_string

        text_is_a_string()
