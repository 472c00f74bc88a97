from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class LiaisonAdminConfig(admin_apps.AdminConfig):
    default = False  # the admin's config, not the `liaison` app's
    default_site = "liaison.admin_site.LiaisonAdminSite"


class LiaisonConfig(AppConfig):
    name = "liaison"

    def ready(self):
        from liaison.schema import text_is_a_string

        text_is_a_string()
