"""Project-level views that belong to no domain: the health check, the login and the
server-error page."""

import sys

import redis
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import user_sees_all_accounts
from accounts.sso import password_allowed, sso_enabled


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "down"; the message helps the operator
        return f"down: {type(exc).__name__}"
    return "ok"


def _redis_status() -> str:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # any failure means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and operators: 200 only when PostgreSQL and Redis answer."""
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


# Seconds a client is told to wait when PostgreSQL cannot be reached: a restart takes a few.
DATABASE_RETRY_AFTER = 10


def _database_unreachable(exc: BaseException | None) -> bool:
    """Whether the error, or one it was raised from, is a lost or refused database connection."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. PostgreSQL unreachable (restarting, failed over, connections exhausted) is a
    503 with Retry-After, so a browser or load balancer retries; anything else is a 500. The
    page needs no database, session or static file, so it renders whatever is down, and the
    request fails fast: the connection attempt is bounded by DB_CONNECT_TIMEOUT."""
    if _database_unreachable(sys.exception()):
        status, retry_after = 503, DATABASE_RETRY_AFTER
        title = "Northstar is briefly unavailable"
        message = (
            "The database cannot be reached right now, usually for a few seconds during a "
            "restart. Please try again in a moment."
        )
    else:
        status, retry_after = 500, None
        title = "Something went wrong"
        message = "The error was logged for the administrators. Please try again later."
    context = {"title": title, "message": message, "status": status, "retry_after": retry_after}
    response = HttpResponse(render_to_string("errors/standalone.html", context), status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


class SsoAwareAuthenticationForm(AuthenticationForm):
    """In SSO-only mode a refused password says why (the backend refused it; the failure is
    still counted by django-axes and sent to user_login_failed)."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if not password_allowed(self.cleaned_data.get("username")):
                raise ValidationError(
                    "Passwords are turned off: sign in with single sign-on.", code="sso_only"
                ) from None
            raise


class LoginView(auth_views.LoginView):
    """Django's login, with a single sign-on button when OIDC is configured (in SSO-only mode
    the password form is only for the break-glass admin); without a `next`, CSMs land on My day
    and leaders and admins on the accounts list (LOGIN_REDIRECT_URL)."""

    form_class = SsoAwareAuthenticationForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_enabled": sso_enabled(),
            "sso_only": settings.SSO_ONLY,
        }

    def get_default_redirect_url(self) -> str:
        if self.request.user.is_authenticated and not user_sees_all_accounts(self.request.user):
            return resolve_url("my_day")
        return super().get_default_redirect_url()
