"""Reads of the API: which key a request carries."""

import re

from django.utils.crypto import constant_time_compare

from api.models import ApiKey
from api.services import secret_sha256

_KEY_TEXT = re.compile(r"ns_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}")


def api_key_for_text(text: str) -> ApiKey | None:
    """The key whose text this is (revoked or not), found by its public prefix and checked
    against the stored SHA-256 in constant time; None for anything else."""
    match = _KEY_TEXT.fullmatch(text)
    if match is None:
        return None
    api_key = ApiKey.objects.select_related("user").filter(prefix=match.group(1)).first()
    if api_key is None or not constant_time_compare(api_key.secret_sha256, secret_sha256(text)):
        return None
    return api_key
