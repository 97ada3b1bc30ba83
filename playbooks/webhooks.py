"""Webhook calls of playbooks: a JSON body, signed with the playbook's secret (docs/webhooks.md).

`X-Northstar-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body with the playbook's
secret; `X-Northstar-Timestamp` repeats the body's `timestamp`, so a receiver can refuse old
replays; `X-Northstar-Delivery` is the same on every retry of one step, so a receiver can
ignore a delivery it has already processed (a worker killed after the call but before recording
it sends it again: delivery is at least once).

A webhook goes to public addresses only (unless WEBHOOK_ALLOW_PRIVATE): the URL's host is
resolved when the playbook is saved and again when a call is sent, and the call connects to the
address that was checked (the name stays in the Host header, TLS SNI and certificate check), so
a name that resolves elsewhere a second later (DNS rebinding) changes nothing. The outcome kept
is "HTTP n", "timeout" or "connection failed", without timings: the worker must not tell anyone
which ports of which hosts answer.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from requests.adapters import HTTPAdapter

logger = logging.getLogger("northstar.playbooks")

SIGNATURE_HEADER = "X-Northstar-Signature"
TIMESTAMP_HEADER = "X-Northstar-Timestamp"
DELIVERY_HEADER = "X-Northstar-Delivery"
USER_AGENT = "Northstar-Webhooks/1"
# Worth another try: the receiver is down, overloaded or asks us to slow down.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
TIMEOUT = "timeout"
CONNECTION_FAILED = "connection failed"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 shared space: not private, not public

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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


class TargetRefused(ValueError):
    """The URL may not be called; the message says why, for the playbook's editor."""


def address_class(address: Address) -> str | None:
    """Why an address is not a public one ("loopback", "private"...), or None when it is. An
    IPv6 address carrying an IPv4 one (mapped, 6to4, Teredo) is judged by that one too."""
    if address.version == 6:
        teredo = address.teredo[1] if address.teredo else None
        for embedded in (address.ipv4_mapped, address.sixtofour, teredo):
            if embedded is not None and (reason := address_class(embedded)):
                return reason
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("CGNAT", address.version == 4 and address in _CGNAT),
        ("reserved", address.is_reserved),  # before private: Python counts 240/4 as both
        ("private", address.is_private),
        ("non-public", not address.is_global),  # documentation, benchmarking... ranges
    )
    return next((reason for reason, matches in checks if matches), None)


def target_addresses(url: str) -> list[Address]:
    """The addresses the URL's host resolves to now, every one of them allowed; raises
    TargetRefused otherwise (an unresolvable host is refused too)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("The URL's port is not a number from 1 to 65535.") from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise TargetRefused("A webhook URL starts with http:// or https:// and names a host.")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused(f"The host {host} could not be resolved.") from None
    # The scope of a link-local IPv6 address (fe80::1%eth0) is dropped: it is refused anyway.
    addresses = list(
        dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found)
    )
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            reason = address_class(address)
            if reason is not None:
                raise TargetRefused(
                    f"{host} is a {reason} address ({address}): webhooks go to public addresses "
                    "only (WEBHOOK_ALLOW_PRIVATE=true allows receivers on your own network)."
                )
    return addresses


class PinnedAdapter(HTTPAdapter):
    """Connects to one checked address whatever the URL's host resolves to by then; the host
    name stays the TLS server name and the name the certificate must carry."""

    def __init__(self, address: Address):
        super().__init__(max_retries=0)
        self.address = address

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]
        host_params["host"] = str(self.address)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


def post_pinned(
    url: str, address: Address, *, body: bytes, headers: dict, timeout: float, verify=True
) -> requests.Response:
    """POST to `url` over a connection to `address`. Environment proxies are not used (they
    would resolve the name again); redirects are not followed."""
    authority = urlsplit(url).netloc.rpartition("@")[2]
    with requests.Session() as session:
        session.trust_env = False
        adapter = PinnedAdapter(address)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session.post(
            url,
            data=body,
            headers={**headers, "Host": authority},
            timeout=timeout,
            allow_redirects=False,
            verify=verify,
        )


@dataclass(frozen=True)
class Delivery:
    status: int


def deliver(*, url: str, payload: dict, secret: str, delivery_id: str) -> Delivery:
    """POST the signed payload to the URL's checked address; raises WebhookError (retryable or
    not) unless the answer is 2xx. Redirects are not followed: a receiver's address is
    configured, not discovered."""
    try:
        address = target_addresses(url)[0]
    except TargetRefused as refused:
        # Kept out of the stored outcome (a DNS answer changed since the playbook was saved).
        logger.warning("webhook call refused: %s", refused)
        raise WebhookError(CONNECTION_FAILED, retryable=False) from refused
    timestamp = int(time.time())
    body = encode({**payload, "timestamp": timestamp})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
    }
    try:
        response = post_pinned(
            url, address, body=body, headers=headers, timeout=settings.PLAYBOOK_WEBHOOK_TIMEOUT
        )
    except requests.Timeout as exc:
        raise WebhookError(TIMEOUT, retryable=True) from exc
    except requests.RequestException as exc:
        raise WebhookError(CONNECTION_FAILED, retryable=True) from exc
    if 200 <= response.status_code < 300:
        return Delivery(response.status_code)
    raise WebhookError(
        f"HTTP {response.status_code}", retryable=response.status_code in RETRYABLE_STATUS
    )
