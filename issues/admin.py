"""Admin for the ledger: categories are edited here; issues, steps and the timeline are
read-only, because every change goes through a service that writes the timeline. A resident's
name, phone and household follow the pages' rule (`scope.sees_personal_data`)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from issues.models import LEDGER_ORDER, Category, Event, Issue, Notification, Step
from issues.scope import searches_reporters, sees_personal_data
from teams.admin import ScopedAdmin
from teams.scope import scope_for


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
    # Shown to those who do not see the resident: masked, and no household.
    MASKED = {"reporter_name": "masked_reporter_name", "reporter_phone": "masked_reporter_phone", "household": None}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def view_on_site(self, issue):
        # Its page, where each change goes through the ledger's services.
        return reverse("issue-detail", args=[issue.code])

    @admin.display(description=_("reporter's name"))
    def masked_reporter_name(self, issue):
        return issue.masked_reporter_name

    @admin.display(description=_("reporter's phone"))
    def masked_reporter_phone(self, issue):
        return issue.masked_reporter_phone

    def _sees_personal_data(self, request, obj):
        return obj is not None and sees_personal_data(scope_for(request.user), obj)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._sees_personal_data(request, obj):
            return fields
        # The masked fields, listed last as read-only ones, take the places of the real ones.
        shown = [self.MASKED.get(name, name) for name in fields if name not in self.MASKED.values()]
        return [name for name in shown if name]

    def get_readonly_fields(self, request, obj=None):
        if self._sees_personal_data(request, obj):
            return self.readonly_fields
        return [*self.readonly_fields, "masked_reporter_name", "masked_reporter_phone"]

    def get_search_fields(self, request):
        # Finding the issues a name reported tells who reported them: only for administrators.
        if searches_reporters(request.user):
            return self.search_fields
        return [name for name in self.search_fields if name != "reporter_name"]


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    list_display = ["user", "issue", "kind", "created_at", "read_at"]
    list_select_related = ["user", "issue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
