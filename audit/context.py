"""Who is acting: the actor every audit entry names, set once per request or task.

The middleware puts the request in a context variable; the entry reads its user (or the API key
the API's authentication put on it) and address only when something is recorded, so a request
that changes nothing costs nothing. Tasks and commands run as the system unless they say
otherwise with `acting_as` (a connector's sync, a playbook's run).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from audit.models import ActorKind


@dataclass(frozen=True)
class Actor:
    kind: str
    id: int | None = None
    label: str = ""
    ip: str | None = None
    # Where the change came in: "admin" for the admin site (model admins record their own
    # saves), "web", "api", or "" for tasks and commands.
    via: str = ""

    @classmethod
    def user(cls, user, ip: str | None = None, via: str = "") -> "Actor":
        return cls(ActorKind.USER, user.pk, user.get_username(), ip, via)

    @classmethod
    def of(cls, kind: str, obj, ip: str | None = None, via: str = "") -> "Actor":
        """An API key, connector or playbook (any object with a pk and a name)."""
        return cls(kind, obj.pk, str(getattr(obj, "name", obj))[:200], ip, via)


SYSTEM = Actor(ActorKind.SYSTEM, label="system")

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_override: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def client_address(request: HttpRequest) -> str | None:
    """The request's address by the same rule as the login limits (AUDIT_CLIENT_ADDRESS names
    it, so the audit app imports no domain app)."""
    return import_string(settings.AUDIT_CLIENT_ADDRESS)(request)


def request_actor(request: HttpRequest) -> Actor:
    """The actor of a request: the API key authenticated on it, else the signed-in user, else
    anonymous; with the request's address."""
    given = getattr(request, "audit_actor", None)
    if given is not None:
        return given
    ip = client_address(request)
    via = "admin" if request.path.startswith(settings.AUDIT_ADMIN_PATH) else "web"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor.user(user, ip, via)
    return Actor(ActorKind.ANONYMOUS, label="anonymous", ip=ip, via=via)


def request_actor_set(request: HttpRequest, actor: Actor) -> None:
    """Name the request's actor (the API's key authentication does, after checking the key)."""
    request.audit_actor = replace(actor, ip=actor.ip or client_address(request))


def current_request() -> HttpRequest | None:
    return _request.get()


def current_actor() -> Actor:
    override = _override.get()
    if override is not None:
        return override
    request = _request.get()
    return SYSTEM if request is None else request_actor(request)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Record everything inside as done by `actor` (a task acting for a playbook or a
    connector); nested uses restore the outer actor."""
    token = _override.set(actor)
    try:
        yield actor
    finally:
        _override.reset(token)


@contextmanager
def request_context(request: HttpRequest) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditActorMiddleware:
    """Makes the request the source of the actor for whatever it records (after
    AuthenticationMiddleware, which gives it its user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with request_context(request):
            return self.get_response(request)
