from django.contrib.admin import apps as admin_apps


class LiaisonAdminConfig(admin_apps.AdminConfig):
    default = False  # the admin's config, not the `liaison` app's
    default_site = "liaison.admin_site.LiaisonAdminSite"

