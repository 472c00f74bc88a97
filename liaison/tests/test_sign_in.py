"""Signing in is protected: failed sign-ins of one account from one address lock it out for a
while on the login page, the admin's and the API's token (with a Chinese message that says
when to try again); API tokens, one per device or script, expire, are revoked one by one with
DELETE and all together by a new password or deactivation, never by signing out of the site;
a session ends after a working day without a request."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from conftest import PASSWORD

# The defaults (README: Environment): LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES, API_TOKEN_HOURS.
LIMIT = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(hours=24)
LOGIN_PATHS = ["/accounts/login/", "/admin/login/"]


def sign_in(client, path, username, password, address="127.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def token_request(username, password, address="127.0.0.1"):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def signed_in_as(client):
    return client.get("/api/v1/me/").json().get("username")


def assert_locked_out(response, liaison_tuesday):
    assert response.status_code == 429
    until = timezone.localtime(liaison_tuesday + LOCKOUT)
    retry_after = int(response["Retry-After"])
    assert LOCKOUT.total_seconds() - 5 <= retry_after <= LOCKOUT.total_seconds()
    body = response.json()["detail"] if response["Content-Type"] == "application/json" else response.content.decode()
    assert "登录失败次数过多" in body and until.strftime("%H:%M") in body, body


@pytest.mark.parametrize("path", LOGIN_PATHS)
def test_failed_sign_ins_lock_the_account_out_from_that_address_for_a_while(world, client, path):
    username = "admin" if path.startswith("/admin/") else "cadre"
    world.leader.is_staff = True  # so that the admin lets the other account in
    world.leader.save()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(LIMIT - 1):
            assert sign_in(client, path, username, "wrong").status_code == 200
        assert_locked_out(sign_in(client, path, username, "wrong"), timezone.now())

        # Locked out: the right password is refused too, and trying again does not prolong it.
        traveller.shift(timedelta(minutes=5))
        assert sign_in(client, path, username, PASSWORD).status_code == 429
        assert signed_in_as(client) is None

        # The same account from another address, and another account from this one, still sign in.
        assert sign_in(client, path, username, PASSWORD, address="10.1.2.3").status_code == 302
        client.logout()
        assert sign_in(client, path, "leader", PASSWORD).status_code == 302
        client.logout()

        traveller.shift(LOCKOUT - timedelta(minutes=5) + timedelta(seconds=1))
        assert sign_in(client, path, username, PASSWORD).status_code == 302
        assert signed_in_as(client) == username


def test_the_lockout_page_is_the_login_form_in_chinese(world, client):
    for _ in range(LIMIT):
        response = sign_in(client, "/accounts/login/", "cadre", "wrong")
    body = response.content.decode()
    assert response.status_code == 429
    assert 'id="id_password"' in body and 'value="cadre"' in body
    assert "请在" in body and "后再试" in body


def test_failed_token_requests_lock_the_api_sign_in_out(world):
    for _ in range(LIMIT - 1):
        assert token_request("cadre", "wrong").status_code == 400
    response = token_request("cadre", "wrong")
    assert_locked_out(response, timezone.now())
    assert "登录失败次数过多" in response.json()["detail"]
    assert token_request("cadre", PASSWORD).status_code == 429
    assert token_request("cadre", PASSWORD, address="10.1.2.3").status_code == 200


def test_a_successful_sign_in_starts_the_count_again(world, client):
    for _ in range(LIMIT - 1):
        sign_in(client, "/accounts/login/", "cadre", "wrong")
    assert sign_in(client, "/accounts/login/", "cadre", PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert sign_in(client, "/accounts/login/", "cadre", "wrong").status_code == 200


def api_with(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_token_expires_and_a_new_one_is_issued_in_its_place(world):
    issued = token_request("cadre", PASSWORD).json()
    expires = timezone.now() + TOKEN_LIFETIME
    assert abs((timezone.datetime.fromisoformat(issued["expires_at"]) - expires).total_seconds()) < 60
    assert api_with(issued["token"]).get("/api/v1/me/").status_code == 200
    with time_machine.travel(expires + timedelta(minutes=1)):
        response = api_with(issued["token"]).get("/api/v1/me/")
        assert response.status_code == 401
        assert "过期" in response.json()["detail"]
        renewed = token_request("cadre", PASSWORD).json()["token"]
        assert renewed != issued["token"]
        assert api_with(renewed).get("/api/v1/me/").status_code == 200


def test_signing_out_of_the_site_leaves_the_scripts_tokens_working(world, client):
    """A browser's session and a script's token are separate: signing out ends the session only."""
    token = token_request("cadre", PASSWORD).json()["token"]
    sign_in(client, "/accounts/login/", "cadre", PASSWORD)
    assert signed_in_as(client) == "cadre"
    client.post("/accounts/logout/")
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert api_with(token).get("/api/v1/me/").status_code == 200


def test_each_sign_in_on_the_api_gets_its_own_token_and_delete_revokes_only_it(world):
    phone, script = (token_request("cadre", PASSWORD).json()["token"] for _ in range(2))
    assert phone != script
    assert api_with(phone).get("/api/v1/me/").status_code == 200
    assert api_with(script).get("/api/v1/me/").status_code == 200
    assert api_with(phone).delete("/api/v1/auth/token/").status_code == 204
    assert api_with(phone).get("/api/v1/me/").status_code == 401
    assert api_with(script).get("/api/v1/me/").status_code == 200
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401


def test_delete_with_a_session_says_there_is_no_token_to_revoke(world, client):
    token = token_request("cadre", PASSWORD).json()["token"]
    client.force_login(world.cadre)
    answer = client.delete("/api/v1/auth/token/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400 and "没有可撤销的令牌" in answer.json()["detail"]
    assert api_with(token).get("/api/v1/me/").status_code == 200


def test_only_a_digest_of_the_token_is_kept(world):
    from knox.models import AuthToken

    token = token_request("cadre", PASSWORD).json()["token"]
    assert len(token) == 64
    kept, = AuthToken.objects.filter(user=world.cadre).values_list("digest", "token_key")
    assert token not in kept and not any(token in value or value == token for value in kept)


def test_a_user_holds_a_bounded_number_of_tokens_the_oldest_make_way(world, settings):
    """A script that signs in on every run keeps working, and a password known to someone else
    cannot fill the slots and lock its owner out: a new token retires the oldest."""
    settings.API_TOKENS_PER_USER = 3
    tokens = []
    for _ in range(5):
        with time_machine.travel(timezone.now() + timedelta(seconds=len(tokens))):
            answer = token_request("cadre", PASSWORD)
        assert answer.status_code == 200
        tokens.append(answer.json()["token"])
    assert [api_with(token).get("/api/v1/me/").status_code for token in tokens] == [401, 401, 200, 200, 200]
    assert AuthToken.objects.filter(user=world.cadre).count() == 3


def test_a_new_password_revokes_every_token(world):
    tokens = [token_request("cadre", PASSWORD).json()["token"] for _ in range(2)]
    world.cadre.set_password("a-new-liaison-password")
    world.cadre.save()
    for token in tokens:
        assert api_with(token).get("/api/v1/me/").status_code == 401


def test_deactivation_revokes_the_token(world):
    from knox.models import AuthToken

    token = token_request("cadre", PASSWORD).json()["token"]
    assert api_with(token).get("/api/v1/me/").status_code == 200
    world.cadre.is_active = False
    world.cadre.save()
    assert not AuthToken.objects.filter(user=world.cadre).exists()
    assert api_with(token).get("/api/v1/me/").status_code == 401


def test_a_token_of_another_shape_is_refused_as_invalid(world):
    for header in ("Token \u00e9\u00e9", "Token " + "0" * 64, "Token zz"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get("/api/v1/me/")
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_other_saves_of_the_user_keep_the_token(world):
    token = token_request("cadre", PASSWORD).json()["token"]
    world.cadre.name = "李丽芳（改名）"
    world.cadre.save()
    assert api_with(token).get("/api/v1/me/").status_code == 200


def test_a_session_ends_after_a_working_day_without_a_request(world, client):
    idle = timedelta(hours=8)  # SESSION_IDLE_MINUTES's default
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "/accounts/login/", "cadre", PASSWORD)
        # Each request starts the idle period again: a day of use keeps the session.
        for _ in range(3):
            traveller.shift(idle - timedelta(minutes=1))
            assert client.get("/issues/").status_code == 200
        traveller.shift(idle + timedelta(minutes=1))
        response = client.get("/issues/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_token_issued_before_the_move_to_per_device_tokens_keeps_working(world, django_db_blocker):
    """teams/migrations/0007 carries DRF's tokens (one per user, key in clear) over to knox's table
    under the same key, until the same expiry, and deletes DRF's rows."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    key = "0123456789abcdef0123456789abcdef01234567"  # DRF's keys: 40 hex characters
    issued = timezone.now() - timedelta(hours=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, issued, world.cadre.pk])
    with connection.schema_editor(atomic=False) as editor:
        import_module("teams.migrations.0007_api_tokens_per_device").carry_over(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    assert api_with(key).get("/api/v1/me/").json()["username"] == "cadre"
    with time_machine.travel(issued + TOKEN_LIFETIME + timedelta(minutes=1)):
        assert api_with(key).get("/api/v1/me/").status_code == 401


def test_sign_ins_at_once_cannot_pass_the_token_bound_together(tworld, settings):
    """Six scripts of one account ask for a token at the same instant, on six connections."""
    from conftest import run_together
    from core import auth

    settings.API_TOKENS_PER_USER = 3
    results = run_together(*[lambda: auth.token_for(tworld.cadre)] * 6)
    assert [kind for kind, _ in results] == ["ok"] * 6, results
    assert AuthToken.objects.filter(user=tworld.cadre).count() == 3
