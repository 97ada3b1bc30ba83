"""`kpis --view`: a saved view's accounts through the same compiler as the list and the
portfolio, its figures read on the as-of date, "mine" meaning the view owner's accounts."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import View
from tests.factories import AccountFactory, UserFactory
from tests.metrics.conftest import contract, recompute

AS_OF = date(2024, 3, 31)


@pytest.fixture
def book(db):
    """Alice owns two EMEA accounts (1,000 and 200 a month) and one in APAC; bob one in EMEA."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    for external_id, owner, region, mrr in [
        ("A-BIG", alice, "EMEA", 1000), ("A-SMALL", alice, "EMEA", 200),
        ("A-APAC", alice, "APAC", 300), ("B-EMEA", bob, "EMEA", 700),
    ]:  # fmt: skip
        contract(AccountFactory(external_id=external_id, owner=owner, region=region),
                 "2023-01-01", None, mrr)  # fmt: skip
    recompute(AS_OF)
    return alice, bob


def kpis(*arguments: str) -> dict:
    out = io.StringIO()
    call_command("kpis", "--as-of", AS_OF.isoformat(), *arguments, stdout=out)
    return json.loads(out.getvalue())


def ids(document: dict) -> list[str]:
    return sorted(entry["external_id"] for entry in document["accounts"])


def test_a_view_by_name_or_id_cuts_the_portfolio_with_its_snapshot_criteria(book):
    alice, _bob = book
    view = View.objects.create(name="Big EMEA", owner=alice,
                               definition={"region": "EMEA", "mrr_min": "500"})  # fmt: skip

    by_name, by_id = kpis("--view", "Big EMEA"), kpis("--view", str(view.pk))

    assert ids(by_name) == ids(by_id) == ["A-BIG", "B-EMEA"]
    assert by_name["portfolio"]["mrr"] == 1700
    assert by_name["view"] == {"id": view.pk, "name": "Big EMEA"}


def test_mine_in_a_view_means_its_owners_accounts(book):
    alice, _bob = book
    View.objects.create(name="My EMEA", owner=alice, definition={"mine": True, "region": "EMEA"})

    assert ids(kpis("--view", "My EMEA")) == ["A-BIG", "A-SMALL"]


def test_an_unknown_or_ambiguous_view_is_a_clear_error(book):
    alice, bob = book
    for owner in (alice, bob):
        View.objects.create(name="Renewals", owner=owner, definition={"renewal_within": 90})

    with pytest.raises(CommandError, match="No view has the id or the name 'Nope'"):
        kpis("--view", "Nope")
    with pytest.raises(CommandError, match="2 views are named 'Renewals'"):
        kpis("--view", "Renewals")
