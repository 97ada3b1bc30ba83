"""The forecast: expected renewing ARR = sum ARR x (1 - p), an 80 % interval that holds about
80 % of simulated quarters, the CSM's calls beside the model's (never changing it), and every
night's forecast kept so a closed quarter is scored against what renewed."""

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from churn.models import ChurnScore
from renewals.forecast import Item, forecast, forecasts, renewing_interval
from renewals.models import RenewalForecast
from renewals.selectors import quarter_scorecard
from renewals.services import (
    forecast_after_snapshot,
    outcomes_after_snapshot,
    quarter_forecasts,
    renewal_call_record,
)
from tests.factories import ContractFactory
from tests.renewals.conftest import score

Q3 = date(2025, 7, 1)


def test_expected_renewing_arr_is_the_sum_of_arr_times_one_minus_p():
    items = [Item(arr=Decimal(12000), p=0.1), Item(arr=Decimal(24000), p=0.5)]

    result = forecast(items)

    assert result.expected_arr == Decimal("22800.00")  # 10,800 + 12,000
    assert result.arr_at_stake == Decimal(36000)
    assert result.grr == pytest.approx(22800 / 36000 * 100)
    assert result.low_arr <= result.expected_arr <= result.high_arr


def test_decided_renewals_count_their_successor_capped_for_grr_and_whole_for_nrr():
    items = [
        Item(arr=Decimal(12000), decided_arr=Decimal(18000)),  # renewed with an expansion
        Item(arr=Decimal(12000), decided_arr=Decimal(6000)),  # downsold
        Item(arr=Decimal(12000), p=0.25),
    ]

    result = forecast(items)

    assert result.expected_arr == Decimal("27000.00")  # 12,000 + 6,000 + 9,000
    assert result.expected_net_arr == Decimal("33000.00")  # 18,000 + 6,000 + 9,000
    assert result.nrr == pytest.approx(33000 / 36000 * 100)


def test_a_renewal_without_a_probability_takes_the_mean_of_the_scored_ones():
    items = [Item(arr=Decimal(1000), p=0.2), Item(arr=Decimal(1000), p=0.4), Item(Decimal(1000))]

    result = forecast(items)

    assert result.unscored == 1
    assert result.expected_arr == Decimal("2100.00")  # 800 + 600 + 700


def test_with_no_probability_at_all_there_is_no_forecast_rather_than_a_made_up_one():
    result = forecast([Item(arr=Decimal(1000)), Item(arr=Decimal(500))])

    assert (result.expected_arr, result.low_arr, result.high_arr) == (None, None, None)
    assert result.grr is None


def test_the_interval_is_the_same_for_the_same_inputs():
    arr, p = [1000.0, 2500.0, 400.0] * 10, [0.1, 0.3, 0.6] * 10

    assert renewing_interval(arr, p) == renewing_interval(arr, p)


def test_about_80_percent_of_simulated_quarters_fall_inside_the_interval():
    """1,000 quarters of 40 renewals, ARR and probabilities drawn at random: the share whose
    simulated outcome falls inside its interval is 80 % within three standard errors."""
    rng = np.random.default_rng(2026)
    quarters, inside = 1000, 0
    for _ in range(quarters):
        arr = rng.lognormal(mean=9, sigma=1, size=40)
        p = rng.beta(2, 6, size=40)
        low, high = renewing_interval(arr, p, simulations=2000, seed=int(rng.integers(1 << 30)))
        renewed = float(arr @ (rng.random(40) >= p))
        inside += low <= renewed <= high

    error = 3 * math.sqrt(0.8 * 0.2 / quarters)
    assert abs(inside / quarters - 0.8) <= error, inside / quarters


@pytest.mark.django_db
def test_a_csms_call_never_changes_the_models_number(book, alice):
    before = quarter_forecasts(as_of=Q3, start=Q3)
    scores_before = list(ChurnScore.objects.values_list("pk", "probability").order_by("pk"))

    renewal_call_record(contract=book["alice_small"], user=alice, call="at_risk",
                        probability=0.9, note="Champion left.")  # fmt: skip
    renewal_call_record(contract=book["alice_large"], user=alice, call="commit",
                        probability=None, note="")  # fmt: skip
    after = quarter_forecasts(as_of=Q3, start=Q3)

    for owner in (None, alice.pk):
        assert after[owner, "model"] == before[owner, "model"]
    assert list(ChurnScore.objects.values_list("pk", "probability").order_by("pk")) == (
        scores_before
    )
    # Hers: 12,000 x 0.1 + 24,000 x 0.95 (commit stands for 5 %); the blend the means.
    assert after[alice.pk, "csm"].expected_arr == Decimal("24000.00")
    assert after[alice.pk, "blend"].expected_arr == Decimal(12000 * 0.5 + 24000 * 0.725).quantize(
        Decimal("0.01")
    )


@pytest.mark.django_db
def test_the_forecast_reads_the_newest_score_on_or_before_its_date_at_the_horizon_reaching_the_end(
    book,
):
    account = book["alice_small"].account  # ends 15 Aug: 45 days from 1 Jul, the 90-day score
    score(account, as_of=Q3 + timedelta(days=1), p=0.9)  # after the forecast's date
    ChurnScore.objects.filter(account=account, as_of=Q3, horizon_days=30).update(probability=0.99)

    result = quarter_forecasts(as_of=Q3, start=Q3)[account.owner_id, "model"]

    assert result.expected_arr == Decimal(12000 * 0.9 + 24000 * 0.5).quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_the_nightly_step_stores_the_quarter_and_the_next_for_the_portfolio_and_each_owner(
    book, alice, bob
):
    forecast_after_snapshot(Q3)
    forecast_after_snapshot(Q3)  # a rerun replaces the night's rows

    stored = RenewalForecast.objects.filter(as_of=Q3)
    assert {(f.quarter_start, f.owner_id) for f in stored} == {
        (Q3, None), (Q3, alice.pk), (Q3, bob.pk), (date(2025, 10, 1), None),
    }  # fmt: skip
    assert stored.count() == 4 * 3
    portfolio = stored.get(quarter_start=Q3, owner=None, source="model")
    assert portfolio.expected_arr == Decimal("27600.00")  # 10,800 + 12,000 + 4,800
    assert portfolio.renewals == 3


@pytest.mark.django_db
def test_a_closed_quarter_shows_each_forecast_90_60_and_30_days_before_its_end_against_the_outcome(
    book, alice, bob
):
    end = date(2025, 9, 30)
    account = book["alice_large"].account
    for lead, p in ((90, 0.5), (60, 0.3), (30, 0.1)):
        score(account, as_of=end - timedelta(days=lead), p=p)
        forecast_after_snapshot(end - timedelta(days=lead))
    # alice's small account and bob's renew; her large one churns.
    for term in (book["alice_small"], book["bob"]):
        ContractFactory(account=term.account, start_date=term.end_date + timedelta(days=1),
                        mrr=term.mrr)  # fmt: skip
    outcomes_after_snapshot(end + timedelta(days=45))

    card = quarter_scorecard(user=alice, start=Q3, today=end + timedelta(days=45))

    (line,) = card["lines"]  # a CSM sees her own book only
    assert (line.owner, line.actual_arr, line.pending) == (alice, Decimal("12000.00"), 0)
    model = {cell["lead"]: cell for cell in line.cells if cell["source"] == "model"}
    # Her book: 12,000 x 0.9 + 24,000 x (1 - p) against the 12,000 that renewed.
    assert model[90]["expected"] == Decimal("22800.00")
    assert model[90]["error"] == Decimal("10800.00")
    assert model[30]["error"] == Decimal("20400.00")  # 12,000 x 0.9 + 24,000 x 0.9 - 12,000
    assert model[90]["share"] == pytest.approx(90.0)


def test_every_book_of_a_quarter_reads_the_same_simulation():
    """A renewal's draws are shared by every book holding it: a book holding the same renewals
    as the portfolio gets the same interval, and sources with equal probabilities agree."""
    items = [Item(arr=Decimal(1000 + 100 * n), p=0.05 * (n % 10)) for n in range(60)]
    whole = list(enumerate(items))
    books = {"portfolio": whole, "sole owner": whole, "first half": whole[:30]}

    results = forecasts(books, columns=len(items))

    portfolio, owner = results["portfolio"], results["sole owner"]
    assert (owner.low_arr, owner.high_arr) == (portfolio.low_arr, portfolio.high_arr)
    assert results["first half"].high_arr < portfolio.low_arr
    assert results["first half"].expected_arr == forecast(items[:30]).expected_arr
