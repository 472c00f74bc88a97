from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Connects the figures' receivers; registers the inspections' scope rules.
        from reports.figures import signals  # noqa: F401
        from reports.oversight import inspections  # noqa: F401
