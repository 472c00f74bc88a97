"""The admin as this product: the platform's name in its header and title, and on its index
what an administrator keeps first — rosters and the calendar, households, the ledger's
categories — then accounts and sign-in records."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

APP_ORDER = ["teams", "visits", "issues", "reports", "auth", "knox", "axes"]
# Third-party apps whose names Django shows in English.
APP_NAMES = {"knox": _("API tokens"), "axes": _("Sign-in records")}


class LiaisonAdminSite(admin.AdminSite):
    site_header = settings.SITE_NAME
    site_title = settings.SITE_NAME
    index_title = _("Rosters, the holiday calendar, households and the ledger's categories")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
        rank = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: rank.get(app["app_label"], len(rank)))
