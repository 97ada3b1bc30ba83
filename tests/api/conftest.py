"""Helpers of the API tests: keys for the personas, and requests the way a client sends them."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_key_create

ALL_SCOPES = tuple(Scope)


@pytest.fixture
def make_key(db, leader) -> Callable[..., str]:
    """`make_key(Scope.WRITE_USAGE, user=alice, rate=10)` creates a key and returns its text;
    the default key belongs to the leader and holds every scope."""

    def make(*scopes: Scope, user=None, rate: int = 10_000, name: str = "test") -> str:
        _key, text = api_key_create(
            name=name,
            user=user or leader,
            scopes=scopes or ALL_SCOPES,
            rate_limit_per_minute=rate,
        )
        return text

    return make


@pytest.fixture
def key(make_key) -> str:
    """A leader's key with every scope."""
    return make_key()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post_items(
    client: Client, path: str, items: Any, key: str, headers: dict[str, str] | None = None
):
    """POST {"items": items} as JSON with the key."""
    return client.post(
        f"/api/v1/{path}",
        data=json.dumps({"items": items}),
        content_type="application/json",
        headers={**bearer(key), **(headers or {})},
    )


def problems(response) -> list[tuple[int | None, str, str]]:
    """The 422's problems as (item, field, message)."""
    assert response.status_code == 422, response.content
    return [(p["item"], p["field"], p["message"]) for p in response.json()["problems"]]


@pytest.fixture(autouse=True)
def fresh_write_throttles():
    """The import log and keys' last use are written at most once a minute per process; each
    test starts as a fresh process would (like the importer's cached zone)."""
    import accounts.services
    import api.services

    accounts.services._last_touch.clear()
    api.services._last_used.clear()
