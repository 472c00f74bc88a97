"""Signing in: sessions that end after SESSION_COOKIE_AGE without a request; API tokens, one
per sign-in through the API (a script, a phone: django-rest-knox keeps only their digest), that
expire (API_TOKEN_LIFETIME), are revoked one by one with DELETE on the token endpoint and all
together by a new password or a deactivated account, while signing out of the site leaves them
alone; and the answer to a sign-in that django-axes has locked out, on the login pages and the
API alike (settings: AXES_*)."""

import math
import time

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import Max
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.exceptions import AuthenticationFailed

SESSION_REFRESHED = "session_refreshed_at"
SESSION_REFRESH_SECONDS = 60


class IdleSessionMiddleware:
    """Moves a signed-in session's end to SESSION_COOKIE_AGE from now, at most once a minute, so
    that it ends after that long without a request. SESSION_SAVE_EVERY_REQUEST would do the same
    with a write (and its transaction) on every request of every signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:
            now = int(time.time())
            if now - session.get(SESSION_REFRESHED, 0) >= SESSION_REFRESH_SECONDS:
                session[SESSION_REFRESHED] = now  # saved, with a new end, by the session middleware
        return response


@receiver(user_logged_in)
def _session_refreshed_on_sign_in(sender, request, user, **kwargs):
    # Signing in saves the session anyway: the next minute of requests need not.
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_REFRESHED] = int(time.time())


def expires_at(token):
    return token.expiry


def token_for(user):
    """A new API token for one device or script: (the token's row, its key). The key is shown
    this once; only its digest is kept. Expired tokens of the user are removed first, and at
    API_TOKENS_PER_USER the oldest: a script that signs in on every run (as it could when a user
    had one token) keeps working, and whoever learns a password cannot lock its owner out."""
    with transaction.atomic():
        # One sign-in of the user at a time here, so that two at once cannot pass the bound together.
        list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        oldest = AuthToken.objects.filter(user=user).order_by("-created").values_list("digest", flat=True)[
            settings.API_TOKENS_PER_USER - 1:]
        AuthToken.objects.filter(digest__in=list(oldest)).delete()
        return AuthToken.objects.create(user=user, expiry=settings.API_TOKEN_LIFETIME)


def revoke_token(token):
    """One device's token: the one a request was authenticated with. False if it was not one
    (a browser's session)."""
    if not isinstance(token, AuthToken):
        return False
    AuthToken.objects.filter(digest=token.digest).delete()
    return True


def revoke_tokens(user):
    """Every API token of the user: a new password, a deactivated account."""
    AuthToken.objects.filter(user=user).delete()


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, found by its digest; refused (and deleted) once expired, with
    a message that says so."""

    def authenticate_credentials(self, key):
        try:
            digest = hash_token(key.decode())
        except (UnicodeDecodeError, ValueError):
            raise AuthenticationFailed(_("Invalid token.")) from None
        token = AuthToken.objects.select_related("user").filter(digest=digest).first()
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        if token.expiry is not None and token.expiry <= timezone.now():
            token.delete()
            raise AuthenticationFailed(_("This token has expired: request a new one with your username and password."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for it, as for DRF's token before: `Authorization: Token <key>`."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _revoke_on_new_password_or_deactivation(sender, instance, update_fields=None, **kwargs):
    """A new password or a deactivated account ends the API token, as it ends the sessions."""
    if instance.pk is None or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before and (before["password"] != instance.password or (before["is_active"] and not instance.is_active)):
        revoke_tokens(instance)


def locked_until(request, credentials):
    """When this sign-in's lockout ends: the cool-off after the failure that started it (failures
    during a lockout are not counted: AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
    attempts = AxesDatabaseHandler().get_user_attempts(request, credentials)
    times = [qs.aggregate(last=Max("attempt_time"))["last"] for qs in attempts]
    last = max((t for t in times if t is not None), default=timezone.now())
    return last + settings.AXES_COOLOFF_TIME


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: 429 with the time to try again, as JSON for the API's token and as
    the login page (with its form) for the login pages."""
    until = locked_until(request, credentials)
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    message = _(
        "Too many failed sign-ins with this username from this address. Please try again after %(time)s "
        "(in about %(minutes)s minutes), or ask an administrator to unlock the account."
    ) % {"time": timezone.localtime(until).strftime("%H:%M"), "minutes": math.ceil(seconds / 60)}
    if request.resolver_match is not None and request.resolver_match.namespace == "api":
        response = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": get_client_username(request, credentials)})
        context = {"form": form, "error": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
