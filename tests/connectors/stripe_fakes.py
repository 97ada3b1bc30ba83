"""Stripe's documented shapes, for a local server the real `stripe` client talks to: list
pages with has_more / starting_after, a 429 with Retry-After, 5xx; and signed webhook events."""

import json
import threading
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import stripe

from tests.connectors.local_server import JsonHandler, LocalServer


def ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def customer(customer_id: str, account: str | None = None) -> dict:
    metadata = {"northstar_account": account} if account else {}
    return {"id": customer_id, "object": "customer", "metadata": metadata}


def subscription(sub_id: str, customer_obj, *, amount=10_000, interval="month", quantity=1,
                 status="active", start: date, ended: date | None = None,
                 trial_end: date | None = None, currency="usd") -> dict:  # fmt: skip
    return {
        "id": sub_id, "object": "subscription", "customer": customer_obj, "status": status,
        "start_date": ts(start), "created": ts(start),
        "ended_at": ts(ended) if ended else None, "canceled_at": ts(ended) if ended else None,
        "trial_end": ts(trial_end) if trial_end else None, "discount": None, "discounts": [],
        "items": {"object": "list", "data": [{
            "id": f"si_{sub_id}", "object": "subscription_item", "quantity": quantity,
            "price": {"id": f"price_{interval}_{amount}", "object": "price", "currency": currency,
                      "unit_amount": amount, "nickname": "Pro",
                      "recurring": {"interval": interval, "interval_count": 1,
                                    "usage_type": "licensed"}},
        }]},
    }  # fmt: skip


def signed(event: dict, secret: str) -> tuple[bytes, str]:
    """The body and Stripe-Signature header Stripe would send (the library's own helper)."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return payload.encode(), header


def event(event_id: str, kind: str, obj: dict, on: date) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": ts(on),
            "api_version": "2024-06-20", "data": {"object": obj}}  # fmt: skip


class _StripeHandler(JsonHandler):
    retry_after = "2"

    def do_GET(self):
        fake = self.fake
        fake.requests.append({"path": self.path, "auth": self.headers["Authorization"]})
        if len(fake.requests) == fake.hold:
            fake.held.set()
            fake.release.wait(timeout=120)
        status = fake.fail.pop(len(fake.requests), None)
        if status is not None:
            return self.answer(status, {"error": {"type": "api_error", "message": "try later"}})
        url = urlparse(self.path)
        if url.path != "/v1/subscriptions":
            return self.answer(404, {"error": {"message": "no such path"}})
        query = parse_qs(url.query)
        limit = int(query.get("limit", ["10"])[0])
        after = query.get("starting_after", [None])[0]
        ids = [s["id"] for s in fake.subscriptions]
        start = ids.index(after) + 1 if after else 0
        page = fake.subscriptions[start : start + limit]
        more = start + limit < len(ids)
        return self.answer(200, {"object": "list", "url": url.path, "has_more": more,
                                 "data": page})  # fmt: skip


class FakeStripe(LocalServer):
    """GET /v1/subscriptions in pages of `limit`, answering in list shape. `fail` maps a
    request number (1-based) to a status to answer instead (429 with Retry-After, 500); `hold`
    is a request number answered only once `release` is set (a slow page), `held` is set when
    that request arrives."""

    handler = _StripeHandler

    def __init__(
        self, subscriptions: list[dict], fail: dict[int, int] | None = None, hold: int = 0
    ):
        self.subscriptions = subscriptions
        self.fail = dict(fail or {})
        self.requests: list[dict] = []
        self.hold, self.held, self.release = hold, threading.Event(), threading.Event()
        super().__init__()

    def __exit__(self, *exc):
        self.release.set()  # a held request goes, so that the server can shut down
        super().__exit__(*exc)

    def starting_after(self) -> list[str | None]:
        return [parse_qs(urlparse(r["path"]).query).get("starting_after", [None])[0]
                for r in self.requests]  # fmt: skip
