"""A staff account with partial admin rights gets no more through the admin than its position
gives it: every change form, inline included, answers to the scope module, and only a superuser
grants positions."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms import MultiWidget

from conftest import TODAY
from issues import services as issue_services
from issues.models import Category
from teams import scope
from teams import services as team_services
from teams.models import Position
from visits import services as visit_services
from visits.models import Household, Visit

APPS = ("teams", "visits", "issues")


@pytest.fixture
def staff_town_office(world, client, liaison_tuesday):
    """The town office as staff with every permission of the liaison apps, but not superuser."""
    world.town_office.is_staff = True
    world.town_office.save()
    world.town_office.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=APPS))
    client.force_login(world.town_office)
    return client


def form_data(response):
    """What the browser would post back from an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += formset.forms
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or field.disabled:
                continue
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):
                for suffix, part in zip(field.widget.widgets_names, field.widget.decompress(value), strict=True):
                    data[key + suffix] = str(part)
            else:
                data[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_a_staff_user_cannot_make_themselves_an_administrator(world, staff_town_office):
    url = f"/admin/teams/user/{world.town_office.pk}/change/"
    data = form_data(staff_town_office.get(url))
    data.update({
        "positions-TOTAL_FORMS": "2", "positions-1-kind": "admin", "positions-1-is_active": "on",
        "positions-1-user": str(world.town_office.pk),
    })
    assert staff_town_office.post(url, data).status_code == 302
    assert not Position.objects.filter(user=world.town_office, kind=Position.Kind.ADMIN).exists()
    own = Position.objects.get(user=world.town_office)
    response = staff_town_office.post(
        f"/admin/teams/position/{own.pk}/change/", {"user": world.town_office.pk, "kind": "admin", "is_active": "on"}
    )
    assert response.status_code == 403
    assert staff_town_office.post("/admin/teams/position/add/", {
        "user": world.town_office.pk, "kind": "admin", "is_active": "on",
    }).status_code == 403
    own.refresh_from_db()
    assert own.kind == Position.Kind.TOWN_OFFICE
    world.town_office.refresh_from_db()
    assert not scope.scope_for(world.town_office).is_admin


def register(by, village):
    return issue_services.register(
        by=by, village=village, category=Category.objects.get(code="livelihood"), title="路灯不亮",
        description="三巷路灯坏了", source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )


@pytest.fixture
def everything(world, staff_town_office):
    """One of every kind of record, in the town office's town and outside it."""
    team_services.generate_liaison_days(weeks=1)
    for village in (world.village_a, world.village_c, world.other_village):
        Household.objects.create(village=village, head_name="王秀英", address="一组1号")
    visit_services.log_visit(by=world.cadre, kind=Visit.Kind.RECEPTION, date=TODAY, village=world.village_a)
    visit_services.log_visit(by=world.other_cadre, kind=Visit.Kind.RECEPTION, date=TODAY,
                             village=world.village_c)
    register(world.cadre, world.village_a)
    issue = register(world.other_cadre, world.village_c)
    issue_services.add_progress(issue=issue, by=world.other_cadre, note="已上门")


def test_every_change_form_answers_to_the_scope(world, staff_town_office, everything):
    user = world.town_office
    cells = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        opts = model._meta
        for obj in model._default_manager.all():
            response = staff_town_office.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
            cells += 1
            where = f"{opts.model_name} {obj.pk} {obj}"
            if not scope.visible(user, model).filter(pk=obj.pk).exists() and model is not Category:
                assert response.status_code == 302, where
                continue
            assert response.status_code == 200, where
            editable = b'name="_save"' in response.content
            may_change = model_admin.has_change_permission(response.wsgi_request, obj)
            assert editable == may_change, where
            if may_change:
                assert scope.can_change(user, obj), where
    assert cells > 50


def test_an_out_of_scope_change_posted_anyway_changes_nothing(world, staff_town_office):
    response = staff_town_office.post(f"/admin/teams/team/{world.team_c.pk}/change/", {
        "name": "改了别镇的团队", "is_active": "on",
        "schedule-TOTAL_FORMS": 0, "schedule-INITIAL_FORMS": 0,
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
    })
    assert response.status_code in (302, 403)
    world.team_c.refresh_from_db()
    assert world.team_c.name == "龙溪村驻点团队"
    household = Household.objects.create(village=world.other_village, head_name="李四", address="二组2号")
    response = staff_town_office.post(f"/admin/visits/household/{household.pk}/change/", {
        "village": world.village_a.pk, "head_name": "改名", "address": "二组2号", "members_count": 1,
    })
    household.refresh_from_db()
    assert household.head_name == "李四"


def test_a_schedule_on_the_team_page_changes_only_for_a_team_of_ones_own(world, staff_town_office):
    inline = admin.site._registry[type(world.team_a)].get_inline_instances
    request = staff_town_office.get(f"/admin/teams/team/{world.team_a.pk}/change/").wsgi_request
    own = {type(i).__name__: i.has_change_permission(request, world.team_a) for i in inline(request, world.team_a)}
    other = {type(i).__name__: i.has_change_permission(request, world.team_c) for i in inline(request, world.team_c)}
    assert own == {"ScheduleInline": True, "MembershipInline": True}
    assert other == {"ScheduleInline": False, "MembershipInline": False}
