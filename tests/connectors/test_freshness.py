"""The data-freshness line of every page names each connector and when it last succeeded: a
pulled one when its last sync finished, a pushed one when its last delivery was logged."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.models import Connector, SyncBatch
from connectors.selectors import connectors_freshness
from connectors.services import Delivery, connector_create, connector_failed

pytestmark = pytest.mark.django_db


def stripe(name: str) -> Connector:
    secrets = {"signing_secret": "whsec_x"}  # pragma: allowlist secret
    return connector_create(kind="stripe", name=name, secrets_given=secrets)[0]


def test_the_line_names_each_connector_and_when_it_last_succeeded(client, alice):
    billing = stripe("Billing")
    Connector.objects.filter(pk=billing.pk).update(
        last_success_at=timezone.now() - timedelta(hours=3)
    )
    product, _ = connector_create(kind="segment", name="Product")
    Delivery(connector=product, source="push", received=2, applied=2).record()
    connector_create(kind="segment", name="Website")  # never sent anything
    client.force_login(alice)

    content = client.get("/").content.decode()

    assert "Connectors:" in content
    assert ">Billing 3 h ago</span>" in content
    assert ">Product just now</span>" in content
    assert ">Website never</span>" in content


def test_a_connector_whose_last_run_failed_is_marked_failing(client, alice):
    billing = stripe("Billing")
    Connector.objects.filter(pk=billing.pk).update(
        last_success_at=timezone.now() - timedelta(hours=2)
    )
    connector_failed(connector=billing, error="AuthenticationError: bad key")
    client.force_login(alice)

    content = client.get("/").content.decode()

    assert '>Billing 2 h ago <strong class="stale-warning">(failing)</strong></span>' in content


def test_a_dry_run_or_an_inactive_connector_does_not_count():
    product, _ = connector_create(kind="segment", name="Product")
    Delivery(connector=product, source="push", dry_run=True).record()
    old, _ = connector_create(kind="segment", name="Old")
    Connector.objects.filter(pk=old.pk).update(is_active=False)

    assert [(c.name, c.last_success_at) for c in connectors_freshness()] == [("Product", None)]


def test_the_connectors_are_read_in_one_query_however_many_there_are():
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            connectors_freshness()
        return len(captured)

    connector_create(kind="segment", name="Product")
    one = queries()
    for n in range(6):
        connector, _ = connector_create(kind="segment", name=f"Source {n}")
        Delivery(connector=connector, source="push").record()
        stripe(f"Billing {n}")
    SyncBatch.objects.update(finished_at=timezone.now())

    assert one == queries() == 1
    assert len(connectors_freshness()) == 13
