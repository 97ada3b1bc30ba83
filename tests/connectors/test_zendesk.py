"""Zendesk: zenpy's incremental ticket export against a local server in Zendesk's shapes;
tickets land on their organization's account with first response and FCR from the metrics."""

import base64
import hashlib
import hmac
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from accounts.models import Ticket
from connectors.models import Connector, InboxItem
from connectors.zendesk_services import ticket_item, zendesk_sync
from tests.connectors.zendesk_fakes import FakeZendesk, metric, ticket
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def zendesk(monkeypatch):
    """A local Zendesk with three tickets of Acme's organization and one of an unknown one."""
    fake = FakeZendesk(
        tickets=[
            ticket(1, 500, status="solved", priority="high"),
            ticket(2, 500, status="open", priority="urgent"),
            ticket(3, 500, status="closed", priority=None),
            ticket(4, 777),
        ],
        metrics={
            1: metric(1, replies=1, reply_minutes=90, solved_at="2024-03-01T15:00:00Z"),
            2: metric(2, replies=0),
            3: metric(3, replies=4, reply_minutes=30, solved_at="2024-03-02T09:00:00Z"),
            4: metric(4),
        },
        organizations={500: {"id": 500, "name": "Acme", "external_id": "acme"},
                       777: {"id": 777, "name": "Who", "external_id": None}},
        fail={2: 429},
    )  # fmt: skip
    with fake:
        monkeypatch.setenv("ZENPY_FORCE_NETLOC", fake.netloc)
        monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
        yield fake


def add_zendesk() -> Connector:
    call_command(
        "connectors", "add", "zendesk", "--name", "Support", "--subdomain", "acme",
        "--email", "agent@acme.example", "--token", "zd-token", stdout=io.StringIO(),
    )  # fmt: skip
    return Connector.objects.get(name="Support")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_tickets_land_on_their_organizations_account_with_their_metrics(zendesk):
    acme = AccountFactory(external_id="acme")

    summary = zendesk_sync(connector=add_zendesk(), page_size=2)

    rows = {t.external_id: t for t in Ticket.objects.all()}
    assert set(rows) == {"zendesk-1", "zendesk-2", "zendesk-3"}
    first = rows["zendesk-1"]
    assert (first.account, first.priority, first.first_response_at, first.resolved_at,
            first.resolved_on_first_contact) == (
        acme, "high", at("2024-03-01T10:30:00"), at("2024-03-01T15:00:00"), True,
    )  # fmt: skip
    assert (rows["zendesk-2"].resolved_at, rows["zendesk-2"].resolved_on_first_contact) == (
        None, None,
    )  # fmt: skip
    assert (rows["zendesk-3"].priority, rows["zendesk-3"].resolved_on_first_contact) == (
        "", False,
    )  # fmt: skip
    assert InboxItem.objects.get().reason == (
        "organization_id: Zendesk organization 777 is not matched to an account"
    )
    assert summary.line(dry_run=False).endswith("1 records cannot be matched")


def test_the_export_resumes_from_its_cursor_and_a_429_is_waited_out(zendesk):
    AccountFactory(external_id="acme")
    connector = add_zendesk()

    zendesk_sync(connector=connector, page_size=2)
    connector.refresh_from_db()
    exports = [p for p in zendesk.requests if "incremental" in p]

    assert connector.state == {"cursor": "c4"}
    assert exports[0].startswith("/api/v2/incremental/tickets/cursor.json?")
    assert "start_time=0" in exports[0]
    assert "cursor=c2" in exports[-1]
    assert len(exports) == 2
    # The second request got a 429: zenpy waited its Retry-After and sent it again.
    assert zendesk.requests[1] == zendesk.requests[2]
    zendesk.tickets.append(ticket(5, 500))
    zendesk.metrics[5] = metric(5)
    zendesk.requests.clear()
    zendesk_sync(connector=connector, page_size=2)
    assert "cursor=c4" in zendesk.requests[0]
    assert Ticket.objects.count() == 4


@pytest.mark.parametrize(
    ("status", "replies", "fcr"),
    [("solved", 1, True), ("solved", 0, True), ("solved", 2, False), ("closed", 3, False),
     ("pending", 1, None)],
)  # fmt: skip
def test_solved_on_first_contact_is_one_reply_at_most(status, replies, fcr):
    item = ticket_item(ticket(1, 500, status=status), metric(1, replies=replies), "acme")

    assert item["resolved_on_first_contact"] is fcr


def signed_headers(body: bytes, secret: str, when: datetime | None = None) -> dict[str, str]:
    """Zendesk's documented scheme, computed here independently of the code under test:
    base64(HMAC-SHA256(secret, timestamp + body))."""
    timestamp = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {"X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp}  # fmt: skip


def add_zendesk_with_webhook() -> tuple[Connector, str]:
    out = io.StringIO()
    call_command(
        "connectors", "add", "zendesk", "--name", "Support", "--subdomain", "acme",
        "--email", "agent@acme.example", "--token", "zd-token", "--signing-secret", "zd-secret",
        stdout=out,
    )  # fmt: skip
    return Connector.objects.get(name="Support"), out.getvalue().splitlines()[-1]


def test_a_signed_webhook_for_a_solved_ticket_reads_and_upserts_it(zendesk, client):
    acme = AccountFactory(external_id="acme")
    zendesk.fail.clear()
    connector, last_line = add_zendesk_with_webhook()
    body = b'{"ticket_id": 1}'

    answer = client.post(f"/ingest/zendesk/{connector.pk}/", body, content_type="application/json",
                         headers=signed_headers(body, "zd-secret"))  # fmt: skip

    assert last_line == f"endpoint: /ingest/zendesk/{connector.pk}/"
    assert answer.status_code == 200, answer.content
    assert Ticket.objects.get().account == acme
    assert Ticket.objects.get().resolved_on_first_contact is True


@pytest.mark.parametrize("problem", ["wrong secret", "an hour old"])
def test_a_webhook_with_a_bad_signature_is_refused(zendesk, client, problem):
    connector, _ = add_zendesk_with_webhook()
    body = b'{"ticket_id": 1}'
    secret = (
        "someone-else" if problem == "wrong secret" else "zd-secret"
    )  # pragma: allowlist secret
    when = datetime(2020, 1, 1, tzinfo=UTC) if problem == "an hour old" else None
    headers = signed_headers(body, secret, when)

    answer = client.post(f"/ingest/zendesk/{connector.pk}/", body, content_type="application/json",
                         headers=headers)  # fmt: skip

    assert answer.status_code == 400
    assert Ticket.objects.count() == 0
