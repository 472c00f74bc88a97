from django.urls import path

from issues import views

urlpatterns = [
    path("", views.ledger, name="issue-list"),
    path("new/", views.register, name="issue-register"),
    path("town/", views.town_queue, name="issue-town-queue"),
    path("department/", views.department_queue, name="issue-department-queue"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("<str:code>/", views.detail, name="issue-detail"),
    path("<str:code>/receipt/", views.receipt, name="issue-receipt"),
    path("<str:code>/<slug:name>/", views.act, name="issue-action"),
]
