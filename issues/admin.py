"""Admin for the ledger: categories are edited here; issues, steps and the timeline are
read-only, because every change goes through a service that writes the timeline."""

from django.contrib import admin

from issues.models import LEDGER_ORDER, Category, Event, Issue, Notification, Step
from teams.admin import ScopedAdmin


@admin.register(Category)
class CategoryAdmin(ScopedAdmin):
    list_display = ["name", "code", "group", "position"]
    list_filter = ["group"]
    ordering = ["position"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepInline(ReadOnlyInline):
    model = Step
    fields = ["level", "team", "town", "department", "opened_at", "due_at", "ended_at", "outcome", "on_time"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["at", "actor", "kind", "public_note", "internal_note", "satisfaction"]
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(ScopedAdmin):
    list_display = ["code", "title", "village", "level", "status", "due_at", "first_responder"]
    list_filter = ["status", "level", "category", "source"]
    search_fields = ["code", "title", "reporter_name"]
    list_select_related = ["village", "first_responder"]
    # The ledger's order, which an index serves.
    ordering = LEDGER_ORDER
    date_hierarchy = "received_at"
    inlines = [StepInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    list_display = ["user", "issue", "kind", "created_at", "read_at"]
    list_select_related = ["user", "issue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
