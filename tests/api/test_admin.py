"""API keys in the admin: created with the text shown once, stored hashed, revoked by action."""

import re

from django.contrib.messages import get_messages

from api.models import ApiKey, Scope
from api.services import api_key_create, secret_sha256
from tests.api.conftest import bearer


def add_key(client, user, scopes, name="billing sync"):
    return client.post(
        "/admin/api/apikey/add/",
        {"name": name, "user": user.pk, "scopes": scopes, "rate_limit_per_minute": 600},
        follow=True,
    )


def test_a_new_key_is_shown_once_and_stored_as_its_hash(client, admin_user, leader):
    client.force_login(admin_user)
    response = add_key(client, leader, [Scope.WRITE_ACCOUNTS, Scope.READ_METRICS])
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    (text,) = re.findall(r"ns_[0-9a-f]{8}_[A-Za-z0-9_-]+", " ".join(messages))
    api_key = ApiKey.objects.get()
    assert api_key.secret_sha256 == secret_sha256(text)
    assert (api_key.scopes, api_key.created_by) == (
        ["write:accounts", "read:metrics"],
        admin_user,
    )
    # Never again: not on the list, not on the key's page.
    listing = client.get("/admin/api/apikey/").content.decode()
    page = client.get(f"/admin/api/apikey/{api_key.pk}/change/").content.decode()
    assert text not in listing
    assert text not in page
    assert f"ns_{api_key.prefix}_" in listing
    # And it works.
    assert client.get("/api/v1/kpi-definitions", headers=bearer(text)).status_code == 200


def test_a_write_key_for_a_csm_is_refused_with_the_reason(client, admin_user, alice):
    client.force_login(admin_user)
    response = add_key(client, alice, [Scope.WRITE_TICKETS])
    assert "can change any account" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_key_without_scopes_is_refused(client, admin_user, leader):
    client.force_login(admin_user)
    response = add_key(client, leader, [])
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_revoke_action_stops_the_key(client, admin_user, leader):
    api_key, text = api_key_create(name="old", user=leader, scopes=["read:metrics"])
    client.force_login(admin_user)
    client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
        follow=True,
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert client.get("/api/v1/kpi-definitions", headers=bearer(text)).status_code == 401


def test_keys_are_revoked_not_deleted(client, admin_user, leader):
    api_key, _text = api_key_create(name="kept", user=leader, scopes=["read:metrics"])
    client.force_login(admin_user)
    response = client.get(f"/admin/api/apikey/{api_key.pk}/delete/")
    assert response.status_code == 403
