"""Connector secrets at rest: one MultiFernet token per connector, keys from the environment.

CONNECTOR_SECRET_KEYS is a comma-separated list of Fernet keys; the first encrypts, every one
decrypts, so a key is rotated by putting the new one first, running `connectors rotate-keys`,
then dropping the old one.
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "CONNECTOR_SECRET_KEYS is empty: connector secrets cannot be stored. Generate a key "
            "with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CONNECTOR_SECRET_KEYS))


def secrets_encrypt(secrets: dict[str, str]) -> str:
    return fernet().encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()


def secrets_decrypt(token: str) -> dict[str, str]:
    """The secrets of a token; ImproperlyConfigured when no configured key opens it."""
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ImproperlyConfigured(
            "No key in CONNECTOR_SECRET_KEYS decrypts a connector's secrets (was a key dropped "
            "before `connectors rotate-keys` ran?)"
        ) from None


def secrets_rotate(token: str) -> str:
    """The same secrets encrypted with the first key."""
    return fernet().rotate(token.encode()).decode() if token else token


def valid_keys(raw: list[str], variable: str) -> list[str]:
    """The keys of a setting, each checked to be a Fernet key; a bad one stops start-up."""
    keys = [key.strip() for key in raw if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return keys
