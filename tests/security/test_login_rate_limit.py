"""Login rate limiting (django-axes): repeated failures lock that username out from that address,
and many failures from one address, whatever the usernames, lock the address out.

Failures are counted in PostgreSQL, per username and address; the limits and cool-off come from
AXES_FAILURE_LIMIT, AXES_ADDRESS_FAILURE_LIMIT and AXES_COOLOFF_MINUTES (defaults 5, 30 and 15
minutes). The address is REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the one the
outermost proxy wrote into X-Forwarded-For.
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
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12


def log_in(client, username: str, password: str, address: str = ADDRESS, **headers):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail_times(client, username: str, times: int, address: str = ADDRESS, **headers) -> None:
    """`times` failed logins; the fifth is answered with the lockout page."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt >= 5 else 200  # the form again, with its error
        status = log_in(client, username, "wrong", address, **headers).status_code
        assert status == expected, attempt


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


def spray(client, usernames: list[str], address: str = ADDRESS, **headers) -> list[int]:
    """Four wrong passwords on each username (one under the pair limit): the statuses."""
    return [
        log_in(client, username, f"guess{n}", address, **headers).status_code
        for username in usernames
        for n in range(4)
    ]


def test_one_address_trying_four_passwords_on_every_username_is_locked_out(client, alice, bob):
    statuses = spray(client, [f"user{n}" for n in range(3)])  # 12 failures, none 5 for a name

    assert statuses[-1] == 429
    assert statuses[:-1] == [200] * 11
    # Locked for every username from that address, the right password included...
    assert log_in(client, "bob", "password").status_code == 429
    assert "_auth_user_id" not in client.session
    # ...and for no one elsewhere.
    assert log_in(client, "bob", "password", address=OTHER_ADDRESS).status_code == 302


def test_a_good_login_from_the_address_does_not_clear_its_address_count(client, alice):
    spray(client, ["user1", "user2"])  # 8 failures
    assert log_in(client, "alice", "password").status_code == 302  # clears alice's pair only
    client.logout()

    statuses = spray(client, ["user3"])

    assert statuses[-1] == 429  # the 12th failure from the address


def test_the_address_limit_ends_after_the_cool_off(client, alice, settings):
    spray(client, [f"user{n}" for n in range(3)])
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)

    assert log_in(client, "alice", "password").status_code == 302


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(client, alice, settings):
    """The proxy appends the address it saw; anything the client wrote before it is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    spoofed = {"HTTP_X_FORWARDED_FOR": f"192.0.2.1, {ADDRESS}"}

    fail_times(client, "alice", 5, address=proxy, **spoofed)

    assert AccessAttempt.objects.get().ip_address == ADDRESS
    # Another client behind the same proxy is not locked out with alice's attacker.
    other = {"HTTP_X_FORWARDED_FOR": OTHER_ADDRESS}
    assert log_in(client, "alice", "password", proxy, **other).status_code == 302


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, alice):
    fail_times(client, "alice", 5, HTTP_X_FORWARDED_FOR=OTHER_ADDRESS)

    assert AccessAttempt.objects.get().ip_address == ADDRESS
