"""Webhook calls of playbooks: a JSON body, signed with the playbook's secret (docs/webhooks.md).

`X-Northstar-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body with the playbook's
secret; `X-Northstar-Timestamp` repeats the body's `timestamp`, so a receiver can refuse old
replays; `X-Northstar-Delivery` is the same on every retry of one step, so a receiver can
ignore a delivery it has already processed (a worker killed after the call but before recording
it sends it again: delivery is at least once).
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

SIGNATURE_HEADER = "X-Northstar-Signature"
TIMESTAMP_HEADER = "X-Northstar-Timestamp"
DELIVERY_HEADER = "X-Northstar-Delivery"
USER_AGENT = "Northstar-Webhooks/1"
# Worth another try: the receiver is down, overloaded or asks us to slow down.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: sha256= and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and what the tests' server does): compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Delivery:
    status: int
    seconds: float


def deliver(*, url: str, payload: dict, secret: str, delivery_id: str) -> Delivery:
    """POST the signed payload; raises WebhookError (retryable or not) unless the answer is 2xx.
    Redirects are not followed: a receiver's address is configured, not discovered."""
    timestamp = int(time.time())
    body = encode({**payload, "timestamp": timestamp})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
    }
    started = time.perf_counter()
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.PLAYBOOK_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}"[:500], retryable=True) from exc
    seconds = time.perf_counter() - started
    if 200 <= response.status_code < 300:
        return Delivery(response.status_code, seconds)
    raise WebhookError(
        f"HTTP {response.status_code} from {url}",
        retryable=response.status_code in RETRYABLE_STATUS,
    )
