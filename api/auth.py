"""Who may call the API: a bearer API key with the operation's scope, within its rate limit.

All three are checked in the authentication step, so each refusal is one clear answer. What the
key's user may do is checked on every request, not only when the key was made: a user who is
deactivated, or who no longer sees every account, stops a write key at once (403).

The rate limit is a per-key counter in Redis (django-ratelimit's fixed windows over the "api"
cache), so it holds across every gunicorn worker and process.
"""

from django.http import HttpRequest
from django_ratelimit.core import get_usage
from ninja.security import HttpBearer
from redis.exceptions import RedisError

from accounts.access import user_sees_all_accounts
from api.models import WRITE_SCOPES, ApiKey, Scope
from api.selectors import api_key_for_text
from api.services import api_key_mark_used
from audit.context import Actor, request_actor_set
from audit.models import ActorKind


class ApiError(Exception):
    """An answer with a status and one sentence saying what to do about it."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, {"WWW-Authenticate": 'Bearer realm="northstar"'})


def bearer_token(request: HttpRequest) -> str:
    """The key text of an `Authorization: Bearer <key>` header; ApiError 401 otherwise."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized("Missing API key: send the header 'Authorization: Bearer <key>'.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <key>'.")
    return token.strip()


def api_key_for_request(request: HttpRequest) -> ApiKey:
    """The request's valid key (any scope); ApiError 401 with the reason otherwise."""
    api_key = api_key_for_text(bearer_token(request))
    if api_key is None:
        raise _unauthorized("Unknown API key.")
    if api_key.is_revoked:
        raise _unauthorized(f"This API key was revoked on {api_key.revoked_at:%Y-%m-%d}.")
    if not api_key.user.is_active:
        raise ApiError(
            403, "This API key's user is deactivated: ask an admin for a key of an active user."
        )
    return api_key


def user_may_hold_check(api_key: ApiKey, scope: Scope) -> None:
    """A write scope can change any account, so its key's user must see every account now, not
    only on the day the key was made (api.models.ApiKey.clean checks that day); ApiError 403."""
    if scope in WRITE_SCOPES and not user_sees_all_accounts(api_key.user):
        raise ApiError(
            403,
            f"This key's user ({api_key.user.get_username()}) may no longer see every account, "
            f"which {scope.value} needs: ask an admin for a key of a leader or an admin.",
        )


class ApiKeyAuth(HttpBearer):
    """Bearer API key holding `scope`; 401 without a valid key, 403 without the scope."""

    def __init__(self, scope: Scope):
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiKey:
        api_key = api_key_for_request(request)
        if self.scope not in api_key.scopes:
            held = ", ".join(api_key.scopes) or "none"
            raise ApiError(403, f"This key lacks the scope {self.scope.value} (it has: {held}).")
        user_may_hold_check(api_key, self.scope)
        rate_limit_check(request, api_key)
        api_key_mark_used(api_key=api_key)
        # What this request writes is the key's doing in the audit log, not its user's.
        request_actor_set(request, Actor.of(ActorKind.API_KEY, api_key, via="api"))
        return api_key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return None  # __call__ does it all, to say why a key is refused


def _key_of(group: str, request: HttpRequest) -> str:
    return str(request.auth.pk)


def _rate_of(group: str, request: HttpRequest) -> str:
    return f"{request.auth.rate_limit_per_minute}/m"


def rate_limit_check(request: HttpRequest, api_key: ApiKey) -> None:
    """Count the request against its key's `rate_limit_per_minute`; ApiError 429 with
    Retry-After beyond it, 503 when Redis cannot count."""
    request.auth = api_key
    try:
        usage = get_usage(request, group="api", key=_key_of, rate=_rate_of, increment=True)
    except RedisError:
        raise ApiError(
            503,
            "The rate limiter is unavailable; nothing was done. Retry shortly.",
            {"Retry-After": "5"},
        ) from None
    if usage and usage["should_limit"]:
        wait = max(1, usage["time_left"])
        raise ApiError(
            429,
            f"Rate limit exceeded: this key may make {api_key.rate_limit_per_minute} requests "
            f"a minute. Retry after {wait} s.",
            {"Retry-After": str(wait)},
        )
