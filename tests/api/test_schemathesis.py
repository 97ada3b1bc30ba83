"""Schemathesis against the live OpenAPI schema: requests generated from the schema the running
server publishes, valid (positive) and invalid (negative) ones, must never get a server error.

Bounded in examples per operation (derandomized, so the same requests each run), so it fits in
`make test`; not in wall-clock time, which a loaded machine stretches (speed is `make bench`'s).
"""

import io

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from api.services import api_key_create
from tests.factories import AccountFactory, ContactFactory, ContractFactory

EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}


def point_at_known_records(body) -> None:
    """Random external ids name no account, so most writes would stop at the reference check:
    pointing items at records that exist takes the generated values down to the database."""
    items = body.get("items") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and "account_external_id" in item:
            item["account_external_id"] = "A0"
            if item.get("contact_external_id") is not None:
                item["contact_external_id"] = "C0"


@pytest.mark.django_db(transaction=True)
def test_no_generated_request_gets_a_server_error(live_server, leader):
    for n, segment in enumerate(["SMB", "Enterprise"]):
        account = AccountFactory(external_id=f"A{n}", segment=segment)
        ContractFactory(account=account)
        ContactFactory(account=account, external_id=f"C{n}")
    call_command("recompute_snapshots", "--date", "2024-03-31", stdout=io.StringIO())
    _key, text = api_key_create(
        name="schemathesis",
        user=leader,
        scopes=["write:accounts", "write:tickets", "write:usage", "write:surveys", "read:metrics"],
        rate_limit_per_minute=1_000_000,
    )
    auth = {"Authorization": f"Bearer {text}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10

    calls = []
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            run_operation(operation, mode, examples, base_url=live_server.url, auth=auth,
                          calls=calls)  # fmt: skip
    assert len(calls) >= len(operations) * 10


def run_operation(operation, mode, examples: int, *, base_url: str, auth: dict, calls: list):
    """Up to `examples` generated requests of one operation; any 5xx fails the test."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        if mode == GenerationMode.POSITIVE:
            point_at_known_records(case.body)
        response = case.call(base_url=base_url, headers=auth, timeout=30)
        calls.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error], headers=auth)

    call()
