"""Syncs as Celery tasks: run by a real worker against the local Stripe, one at a time."""

import subprocess
import time
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Contract
from connectors.locks import connector_sync_lock
from connectors.models import Connector
from connectors.services import connector_create, connectors_failing_alert
from connectors.tasks import connector_sync, connectors_sync_due
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.connectors.conftest import SIGNING_SECRET
from tests.connectors.stripe_fakes import FakeStripe, customer, subscription
from tests.factories import AccountFactory


def stripe_connector_for(fake: FakeStripe) -> Connector:
    connector, _ = connector_create(
        kind="stripe", name="Billing", settings={"api_base": fake.url},
        secrets_given={"signing_secret": SIGNING_SECRET, "api_key": API_KEY},
    )  # fmt: skip
    return connector


API_KEY = "sk_test_local"  # pragma: allowlist secret

SUBSCRIPTIONS = [
    subscription("sub_a", customer("cus_a", "acme"), start=date(2024, 1, 10)),
    subscription("sub_b", customer("cus_b", "beta"), start=date(2024, 1, 12), quantity=2),
]


@pytest.fixture
def celery_worker_process(transactional_db):
    process = start_worker(output=subprocess.PIPE)
    yield process
    stop_worker(process)


@pytest.mark.celery_worker
def test_a_worker_syncs_the_connector_waiting_out_a_429(celery_worker_process):
    purge_queue()
    AccountFactory(external_id="acme")
    AccountFactory(external_id="beta")
    with FakeStripe(SUBSCRIPTIONS, fail={1: 429}) as fake:
        connector = stripe_connector_for(fake)

        connector_sync.delay(connector.pk)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Connector.objects.get().last_success_at:
            time.sleep(0.5)

    assert Connector.objects.get().last_success_at is not None
    assert len(fake.requests) == 2  # the 429, then the page
    assert sorted(Contract.objects.values_list("mrr", flat=True)) == [100, 200]


@pytest.mark.django_db
def test_a_sync_is_skipped_while_another_of_the_same_connector_runs():
    with FakeStripe(SUBSCRIPTIONS) as fake:
        connector = stripe_connector_for(fake)
        with connector_sync_lock(connector.pk) as held:
            assert held
            assert connector_sync.apply(args=[connector.pk]).get() == "busy"
            with pytest.raises(CommandError, match="being synced by another process"):
                call_command("connectors", "sync", "Billing")

    assert fake.requests == []


@pytest.mark.django_db
def test_a_failing_sync_is_kept_on_the_connector(settings):
    with FakeStripe(SUBSCRIPTIONS, fail=dict.fromkeys(range(1, 5), 401)) as fake:
        connector = stripe_connector_for(fake)
        result = connector_sync.apply(args=[connector.pk])

    assert result.failed()
    connector.refresh_from_db()
    assert connector.last_error.startswith("AuthenticationError")
    assert connector.last_error_at is not None


@pytest.mark.django_db
def test_only_connectors_not_synced_lately_are_due(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with FakeStripe([]) as fake:
        connector = stripe_connector_for(fake)
        connector_create(kind="segment", name="Product")  # pushed: never synced
        purge_queue()

        assert connectors_sync_due.apply().get() == 1
        Connector.objects.filter(pk=connector.pk).update(last_success_at="2999-01-01T00:00Z")
        assert connectors_sync_due.apply().get() == 0
    purge_queue()


@pytest.mark.django_db
def test_a_connector_failing_for_over_an_hour_emails_the_admins_once(admin_user, mailoutbox):
    now = timezone.now()
    failing, _ = connector_create(kind="segment", name="Failing")
    recovered, _ = connector_create(kind="segment", name="Recovered")
    Connector.objects.filter(pk=failing.pk).update(
        last_success_at=now - timedelta(hours=2), last_error_at=now, last_error="401 Unauthorized"
    )
    Connector.objects.filter(pk=recovered.pk).update(
        last_success_at=now - timedelta(minutes=1), last_error_at=now - timedelta(hours=3)
    )

    assert connectors_failing_alert(now=now) == 1
    assert connectors_failing_alert(now=now) == 0
    [mail] = mailoutbox
    assert mail.subject == "Northstar: connector Failing is failing"
    assert "401 Unauthorized" in mail.body
    assert mail.to == [admin_user.email]


@pytest.mark.django_db
def test_a_running_sync_keeps_its_lock_past_the_locks_lifetime(settings):
    settings.CONNECTOR_SYNC_LOCK_SECONDS = 3
    with connector_sync_lock(99_001) as held:
        assert held
        time.sleep(4)  # longer than the lock lives: its holder renewed it
        with connector_sync_lock(99_001) as again:
            assert not again
    with connector_sync_lock(99_001) as after:
        assert after  # released on the way out
