"""A sync resumes from its stored cursor after its worker is killed, losing and doubling nothing.

A real worker syncs 250 Stripe subscriptions (pages of 100) from the local Stripe; the third
page is slow, and the worker is killed (SIGKILL: no warm shutdown, no acknowledgement) while it
waits for it. Pages 1 and 2 are committed with their cursor. A second worker gets the task
again from the broker (acks_late) once the visibility timeout passes, finds the connector's lock
free (its holder stopped renewing it) and asks Stripe for the subscriptions after the stored
cursor only. The workers use a Redis key prefix of their own, a 3-second visibility timeout and
a 3-second lock, so the restart is quick and never touches another suite's tasks.
"""

import os
import signal
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from accounts.models import Contract
from connectors.models import Connector, SyncBatch
from connectors.tasks import connector_sync
from tests.celery_workers import start_worker, stop_worker
from tests.connectors.stripe_fakes import FakeStripe, customer, subscription
from tests.connectors.test_tasks import stripe_connector_for
from tests.factories import AccountFactory

SHORT = 3  # seconds: the workers' visibility timeout and connector lock
SUBSCRIPTIONS = 250

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def subscriptions() -> list[dict]:
    start = date(2024, 1, 1)
    return [
        subscription(f"sub_{n:03d}", customer(f"cus_{n % 5}", f"acct-{n % 5}"),
                     start=start + timedelta(days=n % 28), amount=1_000 * (1 + n % 3))
        for n in range(SUBSCRIPTIONS)
    ]  # fmt: skip


def started(sub: dict) -> date:
    return timezone.localdate(datetime.fromtimestamp(sub["start_date"], tz=UTC))


def test_a_sync_killed_on_its_third_page_resumes_from_the_cursor_on_a_new_worker():
    for n in range(5):
        AccountFactory(external_id=f"acct-{n}")
    prefix = f"connector-restart-{os.getpid()}-{time.monotonic_ns()}:"
    env = {"TEST_CELERY_VISIBILITY_TIMEOUT": str(SHORT), "TEST_CELERY_KEYPREFIX": prefix,
           "CONNECTOR_SYNC_LOCK_SECONDS": str(SHORT)}  # fmt: skip
    wanted = subscriptions()
    with FakeStripe(wanted, hold=3) as fake:
        connector = stripe_connector_for(fake)
        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
        with Connection(settings.CELERY_BROKER_URL, transport_options=options) as broker:
            connector_sync.apply_async(args=[connector.pk], connection=broker)

        first = start_worker(**env)
        try:
            assert fake.held.wait(timeout=120), "the first worker never asked for page 3"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=20)
        finally:
            stop_worker(first)
        fake.release.set()  # the orphaned request goes; later ones are answered at once

        # Pages 1 and 2 were committed with their cursor; page 3 never arrived.
        connector.refresh_from_db()
        assert connector.state == {"cursor": "sub_199"}
        assert Contract.objects.count() == 200
        assert connector.last_success_at is None

        time.sleep(SHORT + 1)  # older than the visibility timeout; the lock has expired
        second = start_worker(**env)
        try:
            wait_for(lambda: Connector.objects.get(pk=connector.pk).last_success_at is not None)
        finally:
            stop_worker(second)

    # The second worker asked for what came after the cursor, and only that.
    assert fake.starting_after() == [None, "sub_099", "sub_199", "sub_199"]
    contracts = Contract.objects.values_list("external_id", "account__external_id", "mrr")
    assert len(contracts) == SUBSCRIPTIONS
    expected = {
        (f"stripe:{s['id']}:{started(s):%Y%m%d}",
         s["customer"]["metadata"]["northstar_account"],
         s["items"]["data"][0]["price"]["unit_amount"] // 100)
        for s in wanted
    }  # fmt: skip
    assert {(e, a, int(m)) for e, a, m in contracts} == expected
    batch = SyncBatch.objects.get(connector=connector)  # the finished run's log
    assert (batch.received, batch.applied, batch.refused, batch.unmatched) == (50, 50, 0, 0)
    assert Connector.objects.get(pk=connector.pk).state == {}
