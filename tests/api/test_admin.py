"""API keys in the admin: created with the text shown once, stored hashed, revoked by action."""

import base64
import logging
import re
import zlib

from django.contrib.messages import get_messages

from api.models import ApiKey, Scope
from api.services import api_key_create, secret_sha256
from tests.api.conftest import bearer


def add_key(client, user, scopes, name="billing sync", follow=True):
    return client.post(
        "/admin/api/apikey/add/",
        {"name": name, "user": user.pk, "scopes": scopes, "rate_limit_per_minute": 600},
        follow=follow,
    )


KEY_TEXT = re.compile(r"ns_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def test_a_new_key_is_shown_once_and_stored_as_its_hash(client, admin_user, leader):
    client.force_login(admin_user)
    response = add_key(client, leader, [Scope.WRITE_ACCOUNTS, Scope.READ_METRICS])
    (text,) = set(KEY_TEXT.findall(response.content.decode()))
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


def test_a_new_key_travels_in_the_saves_own_response_never_in_a_cookie_a_message_or_a_log(
    client, admin_user, leader, caplog
):
    """The default message storage writes messages into a cookie anyone holding the browser
    can decode (base64 + zlib, no secret needed): the key must not go there (issue 13)."""
    client.force_login(admin_user)
    caplog.set_level(logging.DEBUG)

    response = add_key(client, leader, [Scope.READ_METRICS], follow=False)

    assert response.status_code == 200  # the page itself, not a redirect to another
    (text,) = set(KEY_TEXT.findall(response.content.decode()))
    assert "no-store" in response["Cache-Control"]
    cookies = [morsel.value for morsel in (*response.cookies.values(), *client.cookies.values())]
    assert not any(text in decoded(value) for value in cookies)
    assert not any(text in str(m) for m in get_messages(response.wsgi_request))
    assert text not in caplog.text
    later = client.get("/admin/api/apikey/")
    assert text not in later.content.decode()
    assert not any(text in decoded(morsel.value) for morsel in later.cookies.values())


def decoded(cookie: str) -> str:
    """A cookie's value as Django's signing writes it, decompressed when it is: what anyone with
    the cookie can read without the secret key."""
    payload = cookie.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload) % 4))
        return (zlib.decompress(raw) if compressed else raw).decode(errors="replace") + cookie
    except (ValueError, zlib.error):
        return cookie


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
