"""Login rate limiting (django-axes): repeated failures lock that username out from that address.

Failures are counted in PostgreSQL, per username and address; the limit and cool-off come from
AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES (defaults 5 and 15 minutes).
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt

pytestmark = pytest.mark.django_db

ADDRESS, OTHER_ADDRESS = "203.0.113.7", "198.51.100.9"


@pytest.fixture(autouse=True)
def axes_on(settings):
    """The test settings switch axes off (the test client's login() bypasses the request)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def log_in(client, username: str, password: str, address: str = ADDRESS):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_times(client, username: str, times: int, address: str = ADDRESS) -> None:
    """`times` failed logins; the fifth is answered with the lockout page."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt >= 5 else 200  # the form again, with its error
        assert log_in(client, username, "wrong", address).status_code == expected, attempt


def test_the_fifth_failed_login_locks_the_username_out_even_with_the_right_password(client, alice):
    fail_times(client, "alice", 5)

    response = log_in(client, "alice", "password")

    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= 5


def test_four_failures_then_the_right_password_logs_in_and_resets_the_count(client, alice):
    fail_times(client, "alice", 4)

    response = log_in(client, "alice", "password")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_a_lockout_does_not_lock_out_the_same_user_elsewhere_or_a_colleague(client, alice, bob):
    fail_times(client, "alice", 5)

    assert log_in(client, "bob", "password").status_code == 302
    client.logout()
    assert log_in(client, "alice", "password", address=OTHER_ADDRESS).status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, alice, settings):
    fail_times(client, "alice", 5)
    assert log_in(client, "alice", "password").status_code == 429

    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)

    assert log_in(client, "alice", "password").status_code == 302
