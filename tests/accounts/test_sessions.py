"""A sign-in ends after SESSION_IDLE_TIMEOUT without a request (default 8 hours) and
SESSION_LIFETIME after it began (default 7 days), however active (issue 13, item 10).

Time passes here by moving the session's own stamps back, as the stored session would age.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.sessions import LOGIN_AT, SEEN_AT

pytestmark = pytest.mark.django_db

HOUR, DAY = 3600, 86_400


def age_session(client, *, login_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[LOGIN_AT], session[SEEN_AT] = now - login_ago, now - seen_ago
    session.save()


def test_the_defaults_are_eight_hours_idle_and_seven_days_in_all():
    assert timedelta(hours=8) == settings.SESSION_IDLE_TIMEOUT
    assert timedelta(days=7) == settings.SESSION_LIFETIME
    assert 7 * DAY == settings.SESSION_COOKIE_AGE


def test_a_session_used_within_eight_hours_goes_on(client, alice):
    client.force_login(alice)
    age_session(client, login_ago=3 * DAY, seen_ago=7 * HOUR)

    assert client.get("/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 60  # seen again: the idle clock restarts


def test_a_session_idle_for_more_than_eight_hours_is_signed_out(client, alice):
    client.force_login(alice)
    age_session(client, login_ago=9 * HOUR, seen_ago=8 * HOUR + 60)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You were signed out after 8 hours without activity."
    ]


def test_an_active_session_ends_seven_days_after_the_sign_in(client, alice):
    client.force_login(alice)
    age_session(client, login_ago=7 * DAY + 60, seen_ago=60)

    response = client.get("/")

    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You were signed out: a sign-in lasts 7 days."
    ]


def test_the_limits_come_from_the_settings(client, alice, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(hours=1)
    client.force_login(alice)
    age_session(client, login_ago=2 * HOUR, seen_ago=HOUR + 60)

    assert client.get("/")["Location"].startswith("/login/")


def test_a_page_within_a_minute_of_the_last_writes_nothing_to_the_session(client, alice):
    """Pages keep their pinned query counts: "last seen" is written at most once a minute."""
    client.force_login(alice)

    with CaptureQueriesContext(connection) as queries:
        client.get("/day/")

    assert not [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
