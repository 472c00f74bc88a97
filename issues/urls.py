from django.urls import path, register_converter

from issues import views


class TrackingCodeConverter:
    """A tracking code as typed (letters, digits, the display dashes): anything else is a 404."""

    regex = "[0-9A-Za-z-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TrackingCodeConverter, "tracking_code")

urlpatterns = [
    path("", views.ledger, name="issue-list"),
    path("new/", views.register, name="issue-register"),
    path("town/", views.town_queue, name="issue-town-queue"),
    path("town/escalated/", views.town_escalated, name="issue-town-escalated"),
    path("department/", views.department_queue, name="issue-department-queue"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("<tracking_code:code>/", views.detail, name="issue-detail"),
    path("<tracking_code:code>/receipt/", views.receipt, name="issue-receipt"),
    path("<tracking_code:code>/photos/<int:pk>/", views.photo, name="issue-photo"),
    path("<tracking_code:code>/<slug:name>/", views.act, name="issue-action"),
]
