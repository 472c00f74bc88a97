from django.urls import path

from visits import views

urlpatterns = [
    path("new/", views.visit_new, name="visit-new"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
    path("diary/", views.diary, name="visit-diary"),
    path("plan/", views.plan, name="visit-plan"),
    path("plan/days/<int:pk>/", views.plan_day, name="visit-plan-day"),
    path("households/search/", views.household_search, name="household-search"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/moved-out/", views.household_move_out, name="household-move-out"),
    path("villages/<int:village_pk>/households/", views.household_list, name="household-list"),
    path("villages/<int:village_pk>/households/new/", views.household_new, name="household-new"),
    path("villages/<int:pk>/coverage/", views.village_coverage, name="village-coverage"),
    path("mine/", views.my_households, name="my-households"),
    path("unassigned/", views.unassigned_households, name="unassigned-households"),
    path("villages/<int:village_pk>/assignments/", views.village_assignments, name="village-assignments"),
    path("villages/<int:village_pk>/assignments/change/", views.assignment_change, name="assignment-change"),
]
