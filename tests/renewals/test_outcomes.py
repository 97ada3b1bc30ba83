"""Outcomes are read from the contracts, never typed: a successor term of the account starting
within the grace period is a renewal, at a lower MRR a downsell; none by the end of the grace
period is a churn (RENEWAL_GRACE_DAYS, 30 by default)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from metrics.services import snapshot_recompute
from renewals.models import RenewalForecast, RenewalOutcome
from renewals.services import outcomes_after_snapshot
from tests.factories import AccountFactory, ContractFactory

pytestmark = pytest.mark.django_db

END = date(2025, 6, 30)


def _term(account, **kwargs):
    """A one-year term ending on END at 1,000 a month."""
    values = {"start_date": date(2024, 7, 1), "end_date": END, "mrr": Decimal("1000.00")}
    return ContractFactory(account=account, **(values | kwargs))


def _outcome(contract) -> RenewalOutcome | None:
    return RenewalOutcome.objects.filter(contract=contract).first()


def test_a_successor_term_at_the_same_mrr_is_a_renewal():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=1), end_date=None,
                    mrr=Decimal("1000.00"))  # fmt: skip

    outcomes_after_snapshot(END + timedelta(days=1))

    outcome = _outcome(term)
    assert (outcome.kind, outcome.mrr_before, outcome.mrr_after) == (
        "renewed", Decimal("1000.00"), Decimal("1000.00"),
    )  # fmt: skip
    assert outcome.decided_on == END + timedelta(days=1)


def test_a_successor_at_a_higher_mrr_is_a_renewal_with_its_expansion():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=1), mrr=Decimal("1500.00"))

    outcomes_after_snapshot(END + timedelta(days=5))

    assert (_outcome(term).kind, _outcome(term).mrr_after) == ("renewed", Decimal("1500.00"))


def test_a_successor_at_a_lower_mrr_is_a_downsell():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=1), mrr=Decimal("600.00"))

    outcomes_after_snapshot(END + timedelta(days=1))

    outcome = _outcome(term)
    assert (outcome.kind, outcome.mrr_after) == ("downsold", Decimal("600.00"))
    assert outcome.arr_lost == Decimal("4800.00")


def test_no_successor_is_a_churn_only_once_the_grace_period_is_over():
    term = _term(AccountFactory())

    outcomes_after_snapshot(END + timedelta(days=30))
    assert _outcome(term) is None  # the last day of the grace period: still open

    outcomes_after_snapshot(END + timedelta(days=31))
    outcome = _outcome(term)
    assert (outcome.kind, outcome.mrr_after, outcome.decided_on) == (
        "churned", Decimal("0"), END + timedelta(days=31),
    )  # fmt: skip


def test_a_successor_starting_on_the_last_day_of_the_grace_period_renews():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=30), mrr=Decimal("1000"))

    outcomes_after_snapshot(END + timedelta(days=60))

    assert _outcome(term).kind == "renewed"


def test_a_successor_starting_a_day_after_the_grace_period_is_no_renewal():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=31), mrr=Decimal("1000"))

    outcomes_after_snapshot(END + timedelta(days=60))

    assert _outcome(term).kind == "churned"


def test_a_successor_signed_early_within_the_grace_period_before_the_end_renews():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END - timedelta(days=30), mrr=Decimal("1000"))

    outcomes_after_snapshot(END - timedelta(days=30))

    assert _outcome(term).kind == "renewed"


def test_a_successor_not_started_yet_leaves_the_outcome_open_until_it_starts():
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=10), mrr=Decimal("1000"))

    outcomes_after_snapshot(END + timedelta(days=9))
    assert _outcome(term) is None

    outcomes_after_snapshot(END + timedelta(days=10))
    assert _outcome(term).kind == "renewed"


def test_a_month_to_month_contract_is_no_renewal_and_gets_no_outcome():
    short = _term(AccountFactory(), start_date=END - timedelta(days=30))

    outcomes_after_snapshot(END + timedelta(days=90))

    assert _outcome(short) is None


def test_another_accounts_contract_is_no_successor():
    term = _term(AccountFactory())
    ContractFactory(account=AccountFactory(), start_date=END + timedelta(days=1))

    outcomes_after_snapshot(END + timedelta(days=31))

    assert _outcome(term).kind == "churned"


def test_a_late_imported_successor_turns_a_churn_into_a_renewal_and_rerunning_changes_nothing():
    account = AccountFactory()
    term = _term(account)
    outcomes_after_snapshot(END + timedelta(days=40))
    assert _outcome(term).kind == "churned"

    ContractFactory(account=account, start_date=END + timedelta(days=20), mrr=Decimal("1000"))
    outcomes_after_snapshot(END + timedelta(days=41))
    outcomes_after_snapshot(END + timedelta(days=41))

    outcome = _outcome(term)
    assert (outcome.kind, outcome.decided_on) == ("renewed", END + timedelta(days=40))
    assert RenewalOutcome.objects.count() == 1


def test_the_grace_period_is_a_setting(settings):
    settings.RENEWAL_GRACE_DAYS = 10
    account = AccountFactory()
    term = _term(account)
    ContractFactory(account=account, start_date=END + timedelta(days=15), mrr=Decimal("1000"))

    outcomes_after_snapshot(END + timedelta(days=11))

    assert _outcome(term).kind == "churned"


def test_the_nightly_snapshot_runs_the_renewal_steps_after_the_scores():
    term = _term(AccountFactory())

    snapshot_recompute(as_of=END + timedelta(days=31))

    assert _outcome(term).kind == "churned"
    assert RenewalForecast.objects.filter(as_of=END + timedelta(days=31)).exists()


def test_the_command_runs_the_steps_for_a_date_and_refuses_a_bad_one():
    term = _term(AccountFactory())
    call_command("renewals_nightly", date=(END + timedelta(days=31)).isoformat(), verbosity=0)
    assert _outcome(term).kind == "churned"

    with pytest.raises(CommandError, match="--date must be YYYY-MM-DD"):
        call_command("renewals_nightly", date="31/07/2025")
