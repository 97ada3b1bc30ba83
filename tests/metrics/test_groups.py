"""Company groups (issue 16): a parent's figures cover itself and every account below it, summed
from the members' snapshot rows, with every rate recomputed from the sums."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Account
from metrics.models import AccountSnapshot
from metrics.selectors import AccountFilter, group_health
from tests.factories import AccountFactory
from tests.metrics.conftest import assert_kpis, contract, kpis, recompute

AS_OF = date(2024, 3, 31)


@pytest.fixture
def group(db) -> dict[str, Account]:
    """GROUP > EU > DE, and GROUP > US; OTHER stands outside. February 29 is the period's start."""
    top = AccountFactory(external_id="GROUP")
    eu = AccountFactory(external_id="EU", parent=top)
    de = AccountFactory(external_id="DE", parent=eu)
    us = AccountFactory(external_id="US", parent=top)
    other = AccountFactory(external_id="OTHER")
    contract(top, "2023-01-01", None, 100)  # steady
    contract(eu, "2023-01-01", "2024-03-09", 400)  # contracts to 300 on 10 March
    contract(eu, "2024-03-10", None, 300)
    contract(de, "2023-01-01", "2024-03-14", 200)  # churns on 15 March
    contract(us, "2024-03-05", None, 500)  # new in March
    contract(other, "2023-01-01", None, 1000)
    return {"top": top, "eu": eu, "de": de, "us": us, "other": other}


def in_group(account: Account):
    return AccountFilter(group_id=account.pk).apply(Account.objects.all())


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        # The group: starting 100 + 400 + 200 = 700; on D 100 + 300 + 0 + 500 = 900.
        (
            "top",
            {
                "starting_mrr": 700,
                "mrr": 900,
                "new_mrr": 500,
                "contraction_mrr": 100,
                "churned_mrr": 200,
                "active_customers": 3,
                "grr": (700 - 100 - 200) / 700 * 100,  # recomputed from the sums: 57.14
                "nrr": (700 - 100 - 200) / 700 * 100,  # no expansion
                "logo_churn_rate": 100 / 3,  # DE of 3 paying at the start
            },
        ),
        # A subgroup: EU and DE only.
        (
            "eu",
            {
                "starting_mrr": 600,
                "mrr": 300,
                "churned_mrr": 200,
                "contraction_mrr": 100,
                "grr": 300 / 600 * 100,
                "logo_churn_rate": 50,
            },
        ),
        # A leaf is a group of one.
        ("us", {"starting_mrr": 0, "mrr": 500, "new_mrr": 500, "grr": None}),
    ],
)
def test_group_figures_are_sums_of_the_members_with_rates_recomputed(group, member, expected):
    assert_kpis(kpis(AS_OF, accounts=in_group(group[member])), expected)


def test_moving_a_subsidiary_between_groups_is_never_churn_or_new_business(group):
    before = kpis(AS_OF, accounts=in_group(group["top"]))
    group["eu"].parent = group["other"]
    group["eu"].save()

    left = kpis(AS_OF, accounts=in_group(group["top"]))
    joined = kpis(AS_OF, accounts=in_group(group["other"]))

    # EU and DE took their whole history with them: both ends of every comparison move.
    assert (left["starting_mrr"], left["mrr"]) == (100, 600)
    assert (left["churned_mrr"], left["new_mrr"]) == (0, 500)
    assert (joined["starting_mrr"], joined["mrr"]) == (1600, 1300)
    assert joined["new_mrr"] == 0
    assert joined["churned_mrr"] == before["churned_mrr"]  # DE's own churn, nothing more


def test_group_health_is_the_mrr_weighted_mean_of_the_paying_members(group):
    recompute(AS_OF)
    rows = AccountSnapshot.objects.filter(
        as_of=AS_OF, account__in=in_group(group["top"]), mrr__gt=0
    ).select_related("health")
    scored = [(row.health.score, float(row.mrr)) for row in rows if row.health.score is not None]

    health = group_health(as_of=AS_OF, accounts=in_group(group["top"]))

    assert len(scored) == health.paying_members == 3  # DE pays nothing on D
    assert health.score == pytest.approx(
        sum(score * mrr for score, mrr in scored) / sum(mrr for _score, mrr in scored)
    )
    bands = {row.health.band for row in rows}
    assert health.worst_band == next(b for b in ("red", "yellow", "green") if b in bands)


def test_kpis_prints_the_portfolio_block_of_a_group(group):
    recompute(AS_OF)
    out = io.StringIO()

    call_command("kpis", "--as-of", AS_OF.isoformat(), "--group", "EU", stdout=out)

    document = json.loads(out.getvalue())
    assert document["portfolio"]["starting_mrr"] == 600
    assert sorted(entry["external_id"] for entry in document["accounts"]) == ["DE", "EU"]
    assert document["group"]["external_id"] == "EU"
    assert document["group"]["members"] == 2


def test_kpis_names_an_unknown_group(group):
    recompute(AS_OF)
    with pytest.raises(Exception, match="No account has the external id 'NOPE'"):
        call_command("kpis", "--as-of", AS_OF.isoformat(), "--group", "NOPE")
