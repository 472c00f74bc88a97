"""API tokens in the admin: whose, when issued, until when. A token's key is never shown — it is
not even kept (django-rest-knox stores a SHA-512 digest, which names a token in the admin's
titles and log and cannot be turned back into its key) — nor the start of it that knox keeps to
find it; a token can be revoked (deleted), not issued or changed here: a script or a phone gets
its own with its user's password on the API (`POST /api/v1/auth/token/`)."""

from django.contrib import admin
from knox.models import AuthToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)  # knox's own shows the digest and, on adding, the key


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created", "expiry")
    list_filter = ("created", "expiry")
    search_fields = ("user__username", "user__name")
    fields = ("user", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
