from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Connects the figures' receivers; registers the reports' scope rules.
        from reports import scope  # noqa: F401
        from reports.figures import signals  # noqa: F401
