"""How long a login lasts: it ends after SESSION_IDLE_TIMEOUT without a request, and in any
case SESSION_LIFETIME after it began (settings; .env.example documents the variables).

Django's session expiry slides with every save, so neither limit holds by itself: the login
stamps the session with when it began and when it was last seen, and the middleware ends a
session past either limit. "Last seen" is written at most once a minute, so a page costs no
extra statement for it.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LOGIN_AT, SEEN_AT = "northstar_login_at", "northstar_seen_at"
SEEN_EVERY = 60  # seconds: how stale "last seen" may be before it is written again


def session_stamp(sender, request: HttpRequest, user, **kwargs) -> None:
    """On login (a user_logged_in receiver): the session begins now."""
    now = int(time.time())
    request.session[LOGIN_AT] = request.session[SEEN_AT] = now


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
