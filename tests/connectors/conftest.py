"""Connectors made the way an admin makes them: through the `connectors add` command's service."""

import pytest

from connectors.services import connector_create

SIGNING_SECRET = "whsec_test_secret"  # pragma: allowlist secret


@pytest.fixture
def segment_connector(db):
    """(connector, write key) of a Segment source."""
    return connector_create(kind="segment", name="Product")


@pytest.fixture
def stripe_connector(db):
    connector, _ = connector_create(
        kind="stripe", name="Billing", secrets_given={"signing_secret": SIGNING_SECRET}
    )
    return connector
