"""The admin's API tokens: a staff member with every token permission sees whose token, when it
was issued and until when — never its key (not even kept) nor the start of it knox keeps; a token
can be revoked there, not issued or changed."""

from django.contrib.auth.models import Permission
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from conftest import PASSWORD


def test_staff_with_the_token_permissions_never_see_a_key(world, client):
    key = APIClient().post(
        "/api/v1/auth/token/", {"username": "cadre", "password": PASSWORD}, format="json"
    ).json()["token"]
    token = AuthToken.objects.get(user=world.cadre)
    staff = world.town_office
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="knox"))
    assert {p.codename for p in staff.user_permissions.all()} == {
        "add_authtoken", "change_authtoken", "delete_authtoken", "view_authtoken",
    }
    client.force_login(staff)
    changelist = client.get(reverse("admin:knox_authtoken_changelist"))
    change = client.get(reverse("admin:knox_authtoken_change", args=[token.pk]))
    delete = client.get(reverse("admin:knox_authtoken_delete", args=[token.pk]))
    for page in (changelist, change, delete):
        body = page.content.decode()
        assert page.status_code == 200
        assert key not in body and token.token_key not in body and key[:8] not in body
        assert world.cadre.username in body or str(world.cadre) in body
    # Nothing to issue a token with here (knox's own admin showed a new token's key on adding).
    assert client.get(reverse("admin:knox_authtoken_add")).status_code == 403
    # Revoking works, and the token no longer does.
    assert client.post(reverse("admin:knox_authtoken_delete", args=[token.pk]), {"post": "yes"}).status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401
