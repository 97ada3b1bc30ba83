"""How long a login lasts: it ends after SESSION_IDLE_TIMEOUT without a request, and in any
case SESSION_LIFETIME after it began (settings; .env.example documents the variables).

Django's session expiry slides with every save, so neither limit holds by itself: the login
stamps the session with when it began and when it was last seen, and the middleware ends a
session past either limit. "Last seen" is written at most once a minute, so a page costs no
extra statement for it.

Every sign-in is also recorded as a UserSession (who, when, how, from where), so an admin can
list a user's sessions and end them; a user's sessions all end when their password changes and
when they lose a role (a group, staff or superuser status, or the account is deactivated). The
`sessions_ended` signal is the audit log's hook for those ends.
"""

import datetime as dt
import ipaddress
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.login_limits import client_address
from accounts.models import SignInMethod, UserSession

LOGIN_AT, SEEN_AT = "northstar_login_at", "northstar_seen_at"
SEEN_EVERY = 60  # seconds: how stale "last seen" may be before it is written again


# Sent after sessions were ended by user_sessions_end: sender is the user model, with `user`,
# `count` (sessions ended) and `reason` ("password changed", "role removed", "ended by <admin>").
sessions_ended = Signal()

SSO_BACKEND = "accounts.sso.OIDCBackend"


def session_stamp(sender, request: HttpRequest, user, **kwargs) -> None:
    """On login (a user_logged_in receiver): the session begins now, and is recorded."""
    now = int(time.time())
    request.session[LOGIN_AT] = request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    started = timezone.now()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "method": SignInMethod.SSO
            if getattr(user, "backend", "") == SSO_BACKEND
            else SignInMethod.PASSWORD,
            "address": _valid_address(client_address(request)),
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "started_at": started,
            "last_seen_at": started,
        },
    )


def _valid_address(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:  # a forwarded header that is not an address: none recorded
        return None


def session_forget(sender, request: HttpRequest, user, **kwargs) -> None:
    """On logout (a user_logged_out receiver): the session's record goes with it."""
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


def user_sessions(*, user) -> list[UserSession]:
    """The user's live sessions, newest first: recorded and not yet expired."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(user.tracked_sessions.filter(session_key__in=live).order_by("-started_at"))


def user_sessions_end(*, user, reason: str, session_ids: list[int] | None = None) -> int:
    """Ends the user's sessions (those of `session_ids` only, when given): their session rows
    are deleted, so the next request with one of those cookies is signed out. Returns how many
    live sessions ended."""
    tracked = user.tracked_sessions.all()
    if session_ids is not None:
        tracked = tracked.filter(pk__in=session_ids)
    with transaction.atomic():
        keys = list(tracked.values_list("session_key", flat=True))
        count, _ = Session.objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        ).delete()
        Session.objects.filter(session_key__in=keys).delete()
        tracked.delete()
    if count:
        sessions_ended.send(sender=type(user), user=user, count=count, reason=reason)
    return count


# What about a user, when it changes, ends every one of their sessions.
_ENDING_FIELDS = ("password", "is_staff", "is_superuser", "is_active")


def user_before_save(sender, instance, update_fields=None, **kwargs) -> None:
    """A pre_save receiver on the user model: notes whether this save changes the password or
    takes away staff, superuser or active status (one query, and only for saves that may)."""
    instance._northstar_sessions_end = None
    if instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(_ENDING_FIELDS):
        return  # the login's last_login update, among others
    old = sender._base_manager.filter(pk=instance.pk).values(*_ENDING_FIELDS).first()
    if old is None:
        return
    if old["password"] != instance.password:
        instance._northstar_sessions_end = "password changed"
    elif any(old[name] and not getattr(instance, name) for name in _ENDING_FIELDS[1:]):
        instance._northstar_sessions_end = "role removed"


def user_after_save(sender, instance, created=False, **kwargs) -> None:
    """A post_save receiver: ends the user's sessions when user_before_save said so."""
    reason = getattr(instance, "_northstar_sessions_end", None)
    if reason:
        instance._northstar_sessions_end = None
        user_sessions_end(user=instance, reason=reason)


def groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """An m2m_changed receiver on User.groups: a user taken out of a group (a role) loses every
    session, from either side of the relation (user.groups.remove, group.user_set.remove)."""
    if action not in ("pre_clear", "post_remove"):
        return
    if action == "pre_clear":  # the members are gone after the clear: find them before
        users = [instance] if not reverse else list(instance.user_set.all())
    elif not reverse:
        users = [instance]
    else:
        users = list(model._base_manager.filter(pk__in=pk_set))
    for user in users:
        user_sessions_end(user=user, reason="role removed")


def session_expired(session, now: int) -> str | None:
    """Why the session is over, or None while it lasts."""
    if now - session[LOGIN_AT] > settings.SESSION_LIFETIME.total_seconds():
        days = settings.SESSION_LIFETIME.days
        return f"You were signed out: a sign-in lasts {days} day{'s' * (days != 1)}."
    if now - session[SEEN_AT] > settings.SESSION_IDLE_TIMEOUT.total_seconds():
        hours = settings.SESSION_IDLE_TIMEOUT.total_seconds() / 3600
        return f"You were signed out after {hours:g} hours without activity."
    return None


class SessionLimitsMiddleware:
    """Ends a signed-in session past its idle timeout or its lifetime; the login page follows
    (LoginRequiredMiddleware checks in process_view, after every middleware's __call__)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session, now = request.session, int(time.time())
        if LOGIN_AT not in session:  # a session from before these limits: it begins now
            session[LOGIN_AT] = session[SEEN_AT] = now
        reason = session_expired(session, now)
        if reason is not None:
            logout(request)  # flushes the session, request.user becomes anonymous
            messages.info(request, reason)
        elif now - session[SEEN_AT] >= SEEN_EVERY:
            session[SEEN_AT] = now
            UserSession.objects.filter(session_key=session.session_key).update(
                last_seen_at=dt.datetime.fromtimestamp(now, tz=dt.UTC)
            )
