"""Project-level views that belong to no domain: the health check and the login."""

import redis
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import user_sees_all_accounts


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


class LoginView(auth_views.LoginView):
    """Django's login; without a `next`, CSMs land on My day and leaders and admins on the
    accounts list (LOGIN_REDIRECT_URL)."""

    def get_default_redirect_url(self) -> str:
        if self.request.user.is_authenticated and not user_sees_all_accounts(self.request.user):
            return resolve_url("my_day")
        return super().get_default_redirect_url()
