"""API keys: shown once, stored hashed, scoped, revocable, rate limited per key."""

import hashlib
import time

import django_ratelimit.core
import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Account
from api.models import ApiKey, Scope
from api.services import api_key_create, api_key_revoke
from tests.api.conftest import bearer, post_items
from tests.factories import AccountFactory

ACCOUNT = {"external_id": "acme", "name": "Acme"}


def test_a_key_is_stored_as_the_sha256_of_its_text_never_the_text(leader):
    api_key, text = api_key_create(name="billing", user=leader, scopes=[Scope.WRITE_ACCOUNTS])
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert text.startswith(f"ns_{stored.prefix}_")
    assert stored.secret_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert text not in {str(value) for value in vars(stored).values()}


def test_two_keys_never_share_a_prefix_or_a_secret(leader):
    texts = {
        api_key_create(name=f"k{n}", user=leader, scopes=["read:metrics"])[1] for n in range(20)
    }
    assert len(texts) == 20
    assert ApiKey.objects.values("prefix").distinct().count() == 20


def test_a_request_without_a_key_gets_401_saying_how_to_send_one(client, db):
    response = client.post("/api/v1/accounts", data={}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Missing API key: send the header 'Authorization: Bearer <key>'."
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_malformed_authorization_header_gets_401(client, key):
    response = client.get("/api/v1/kpi-definitions", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "The Authorization header must be 'Bearer <key>'."


@pytest.mark.parametrize(
    "text",
    ["ns_0000abcd_" + "x" * 43, "not-a-key", "ns_zz_short", ""],
    ids=["unknown prefix", "garbage", "malformed", "empty"],
)
def test_an_unknown_key_gets_401(client, key, text):
    response = client.get("/api/v1/kpi-definitions", headers={"Authorization": f"Bearer {text}"})
    assert response.status_code == 401


def test_a_key_with_a_changed_secret_is_unknown(client, key):
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/kpi-definitions", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown API key."


def test_a_revoked_key_gets_401_naming_the_day_it_was_revoked(client, leader):
    api_key, text = api_key_create(name="old", user=leader, scopes=["read:metrics"])
    api_key_revoke(api_key=api_key)
    response = client.get("/api/v1/kpi-definitions", headers=bearer(text))
    assert response.status_code == 401
    assert response.json()["detail"] == (f"This API key was revoked on {timezone.now():%Y-%m-%d}.")


def test_a_key_of_a_deactivated_user_gets_403_saying_so(client, make_key, leader):
    text = make_key()
    leader.is_active = False
    leader.save()
    response = client.get("/api/v1/kpi-definitions", headers=bearer(text))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This API key's user is deactivated: ask an admin for a key of an active user."
    )


def test_a_write_key_stops_writing_the_moment_its_user_no_longer_sees_every_account(
    client, make_key, leader
):
    """The rule is checked on every request, not only when the key was made (issue 13)."""
    text = make_key(Scope.WRITE_ACCOUNTS, Scope.READ_METRICS)
    assert post_items(client, "accounts", [ACCOUNT], text).status_code == 200
    leader.groups.set([Group.objects.get(name="CSM")])  # demoted to a CSM

    refused = post_items(client, "accounts", [{**ACCOUNT, "name": "Changed"}], text)

    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "This key's user (lena) may no longer see every account, which write:accounts needs: "
        "ask an admin for a key of a leader or an admin."
    )
    assert Account.objects.get(external_id="acme").name == "Acme"
    # Reading stays: a read key sees only what its user may see, whoever that is now.
    assert client.get("/api/v1/kpi-definitions", headers=bearer(text)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("post", "accounts", Scope.WRITE_ACCOUNTS),
        ("post", "contacts", Scope.WRITE_ACCOUNTS),
        ("post", "contracts", Scope.WRITE_ACCOUNTS),
        ("post", "tickets", Scope.WRITE_TICKETS),
        ("post", "survey-responses", Scope.WRITE_SURVEYS),
        ("post", "events", Scope.WRITE_USAGE),
        ("get", "kpis", Scope.READ_METRICS),
        ("get", "accounts/acme/snapshots", Scope.READ_METRICS),
        ("get", "kpi-definitions", Scope.READ_METRICS),
    ],
)
def test_each_endpoint_needs_its_scope(client, make_key, method, path, scope):
    others = [s for s in Scope if s != scope]
    text = make_key(*others)
    response = getattr(client, method)(
        f"/api/v1/{path}", content_type="application/json", headers=bearer(text)
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith(f"This key lacks the scope {scope.value} ")
    allowed = getattr(client, method)(
        f"/api/v1/{path}", content_type="application/json", headers=bearer(make_key(scope))
    )
    assert allowed.status_code != 403


def test_a_refused_scope_writes_nothing(client, make_key):
    response = post_items(client, "accounts", [ACCOUNT], make_key(Scope.READ_METRICS))
    assert response.status_code == 403
    assert not Account.objects.exists()


def test_write_scopes_need_a_user_who_sees_every_account(alice):
    with pytest.raises(Exception, match="can change any account"):
        api_key_create(name="csm", user=alice, scopes=[Scope.WRITE_ACCOUNTS])
    api_key, _text = api_key_create(name="csm reads", user=alice, scopes=[Scope.READ_METRICS])
    assert api_key.pk


def test_a_used_key_records_when_it_was_last_used(client, leader):
    api_key, text = api_key_create(name="bi", user=leader, scopes=["read:metrics"])
    assert api_key.last_used_at is None
    client.get("/api/v1/kpi-definitions", headers=bearer(text))
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert timezone.now() - api_key.last_used_at < timezone.timedelta(minutes=1)


def test_requests_beyond_the_keys_limit_get_429_with_retry_after(client, make_key):
    text = make_key(rate=3)
    answers = [client.get("/api/v1/kpi-definitions", headers=bearer(text)) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"] == (
        f"Rate limit exceeded: this key may make 3 requests a minute. "
        f"Retry after {refused['Retry-After']} s."
    )


def test_the_limit_is_counted_per_key(client, make_key):
    first, second = make_key(rate=1), make_key(rate=1)
    assert client.get("/api/v1/kpi-definitions", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/kpi-definitions", headers=bearer(first)).status_code == 429
    assert client.get("/api/v1/kpi-definitions", headers=bearer(second)).status_code == 200


def test_a_refused_request_writes_nothing(client, make_key):
    text = make_key(rate=1)
    assert post_items(client, "accounts", [ACCOUNT], text).status_code == 200
    changed = {**ACCOUNT, "name": "Changed"}
    assert post_items(client, "accounts", [changed], text).status_code == 429
    assert Account.objects.get(external_id="acme").name == "Acme"


def test_the_count_lives_in_redis_where_every_worker_process_sees_it(client, make_key, leader):
    text = make_key(rate=5)
    client.get("/api/v1/kpi-definitions", headers=bearer(text))
    client.get("/api/v1/kpi-definitions", headers=bearer(text))
    # Read back through a connection of its own, as another gunicorn worker would.
    server = redis.Redis.from_url(settings.CACHES["api"]["LOCATION"])
    prefix = settings.CACHES["api"]["KEY_PREFIX"]
    counters = [server.get(name) for name in server.scan_iter(f"{prefix}:*")]
    assert b"2" in counters


def test_a_window_that_ends_lets_the_key_through_again(client, make_key, monkeypatch):
    text = make_key(rate=1)
    assert client.get("/api/v1/kpi-definitions", headers=bearer(text)).status_code == 200
    refused = client.get("/api/v1/kpi-definitions", headers=bearer(text))
    assert refused.status_code == 429
    later = time.time() + int(refused["Retry-After"]) + 1
    monkeypatch.setattr(django_ratelimit.core.time, "time", lambda: later)
    assert client.get("/api/v1/kpi-definitions", headers=bearer(text)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_the_schema_and_docs_need_a_signed_in_user_or_a_key(client, key, alice, path):
    anonymous = client.get(path)
    assert anonymous.status_code in (401, 302)
    assert client.get(path, headers=bearer(key)).status_code == 200
    client.force_login(alice)
    assert client.get(path).status_code == 200


def test_the_docs_page_loads_swagger_from_our_own_static_files(client, alice):
    client.force_login(alice)
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_the_api_does_not_need_a_csrf_token(key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    AccountFactory(external_id="acme")
    assert post_items(strict, "accounts", [ACCOUNT], key).status_code == 200


def test_without_redis_the_api_answers_503_and_does_nothing(client, make_key, settings):
    settings.CACHES = {
        **settings.CACHES,
        "api": {**settings.CACHES["api"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    response = post_items(client, "accounts", [ACCOUNT], make_key())
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert not Account.objects.exists()
