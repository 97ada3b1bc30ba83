"""The health lab's backtest (healthscores/lab.py): ROC AUC, the evaluation of a definition over a
sample, the weight search, and the sample read from real snapshots."""

import random
from datetime import date

import pytest

from healthscores.lab import (
    FEW_CHURNERS,
    Sample,
    band_changes,
    band_move,
    evaluate,
    fit_weights,
    load_sample,
    roc_auc,
    suggest_weights,
)
from healthscores.scoring import Component, Definition
from metrics.services import snapshot_recompute_range
from tests.factories import AccountFactory
from tests.healthscores.conftest import contract

# roc_auc: the chance that a churner scores below a retained account, ties counting half.


def test_perfect_separation_has_an_auc_of_1():
    assert roc_auc([10, 20], [30, 40]) == 1.0


def test_reversed_separation_has_an_auc_of_0():
    assert roc_auc([30, 40], [10, 20]) == 0.0


def test_all_ties_have_an_auc_of_one_half():
    assert roc_auc([50, 50], [50, 50, 50]) == 0.5


def test_a_mixed_case_counts_pairs_by_hand():
    # Pairs (churner, retained), 3 x 3 = 9:
    # churner 10 is below 20, 30 and 60: 3
    # churner 30 is below 60 (1), ties 30 (0.5), above 20 (0): 1.5
    # churner 50 is below 60 (1), above 20 and 30: 1
    # (3 + 1.5 + 1) / 9 = 5.5 / 9 = 0.6111
    assert roc_auc([10, 30, 50], [20, 30, 60]) == pytest.approx(5.5 / 9)


def test_auc_ignores_the_order_of_its_inputs():
    assert roc_auc([50, 10, 30], [60, 30, 20]) == pytest.approx(5.5 / 9)


def test_there_is_no_auc_without_churners_or_without_retained_accounts():
    assert roc_auc([], [1, 2]) is None
    assert roc_auc([1, 2], []) is None


# evaluate: one component from 0 to 100 on csat_180d, so each score is the csat value itself.

CSAT = Definition(70.0, 40.0, (Component("csat_180d", 1, 0, 100),))


def csat(value, mrr=0):
    return {"csat_180d": value, "mrr": mrr}


@pytest.fixture
def sample() -> Sample:
    return Sample(
        as_of=date(2024, 6, 30),
        horizons={
            90: [
                (1, True, csat(20)),
                (2, True, csat(50)),
                (3, False, csat(80)),
                (4, False, csat(50)),
                (5, False, csat(None)),  # no score: left out
            ],
            60: [(1, True, csat(30)), (3, False, csat(10))],
            30: [(3, False, csat(90))],
        },
        band_base=[
            (1, True, csat(30)),  # red
            (2, True, csat(60)),  # yellow
            (3, False, csat(80)),  # green
            (4, False, csat(45)),  # yellow
            (5, False, csat(None)),  # unknown
            (6, False, csat(10)),  # red
        ],
        latest={3: csat(75, mrr=900), 4: csat(30, mrr=100), 5: csat(None), 6: csat(72, mrr=500)},
    )


def test_evaluate_gives_the_auc_and_mean_scores_at_each_horizon(sample):
    result = evaluate(CSAT, sample)

    # 90 days: churners 20, 50; retained 80, 50. Pairs: 20 < 80, 20 < 50, 50 < 80, 50 = 50
    # (half): (1 + 1 + 1 + 0.5) / 4 = 0.875. Means (20 + 50) / 2 = 35, (80 + 50) / 2 = 65.
    assert result.auc[90] == pytest.approx(0.875)
    assert result.mean_churner_score[90] == pytest.approx(35.0)
    assert result.mean_retained_score[90] == pytest.approx(65.0)
    # 60 days: the churner (30) above the retained account (10): AUC 0.
    assert result.auc[60] == 0.0
    # 30 days: no churner, no AUC.
    assert result.auc[30] is None
    assert result.mean_churner_score[30] is None
    assert result.mean_retained_score[30] == pytest.approx(90.0)


def test_evaluate_gives_the_churn_rate_of_each_band_90_days_before(sample):
    result = evaluate(CSAT, sample)

    # green: 80 (kept); yellow: 60 (churned), 45 (kept); red: 30 (churned), 10 (kept);
    # unknown: null (kept).
    assert result.accounts_by_band == {"green": 1, "yellow": 2, "red": 2, "unknown": 1}
    assert result.churn_rate_by_band == {
        "green": 0.0,
        "yellow": 50.0,  # 1 / 2 x 100
        "red": 50.0,
        "unknown": 0.0,
    }


def test_evaluate_gives_todays_band_distribution_of_the_customers(sample):
    # 75 green, 30 red, 72 green; account 5 (null, MRR 0) is not a customer: not counted.
    assert evaluate(CSAT, sample).band_distribution == {
        "green": 2,
        "yellow": 0,
        "red": 1,
        "unknown": 0,
    }


def test_a_band_with_no_account_has_no_churn_rate():
    empty = Sample(as_of=date(2024, 6, 30), band_base=[(1, True, csat(10))])

    assert evaluate(CSAT, empty).churn_rate_by_band == {
        "green": None,
        "yellow": None,
        "red": 100.0,
        "unknown": None,
    }


def test_the_sample_counts_churners_at_the_90_day_horizon(sample):
    assert sample.churners == 2


def test_band_changes_lists_the_accounts_whose_band_a_proposal_changes_largest_mrr_first(sample):
    stricter = Definition(80.0, 40.0, CSAT.components)

    changes = band_changes(CSAT, stricter, sample)

    # Green from 80: 75 (mrr 900) and 72 (mrr 500) become yellow; 30 stays red.
    assert [(c["account_id"], c["before"], c["after"]) for c in changes] == [
        (3, "green", "yellow"),
        (6, "green", "yellow"),
    ]
    assert (changes[0]["score_before"], changes[0]["score_after"]) == (75.0, 75.0)


# fit_weights: a coordinate search that only accepts improvements.


def two_signals(churners: list[tuple], retained: list[tuple]) -> Sample:
    """A sample at the 90-day horizon from (nps, csat) pairs."""
    rows = [(i, True, {"nps_180d": n, "csat_180d": c}) for i, (n, c) in enumerate(churners)]
    rows += [(100 + i, False, {"nps_180d": n, "csat_180d": c}) for i, (n, c) in enumerate(retained)]
    return Sample(as_of=date(2024, 6, 30), horizons={90: rows})


def test_fitting_weights_drops_a_noise_component_for_one_that_predicts_churn_perfectly():
    # csat predicts churn perfectly (churners 5..30, retained 70..95); nps points the wrong way
    # (churners 60..95, retained 5..50). Starting weights nps 20, csat 1: a churner scores at
    # least (20 x 60 + 5) / 21 = 57.4, a retained account at most (20 x 50 + 95) / 21 = 52.1,
    # so every churner scores above every retained account: AUC 0.
    sample = two_signals(
        churners=[(90, 10), (80, 20), (70, 30), (95, 15), (85, 25), (60, 5)],
        retained=[(10, 80), (20, 90), (50, 70), (30, 85), (40, 95), (5, 75)],
    )
    start = Definition(
        70.0, 40.0, (Component("nps_180d", 20, 0, 100), Component("csat_180d", 1, 0, 100))
    )

    suggestion, before, after = fit_weights(start, sample.horizons[90])

    assert before == 0.0
    assert after == 1.0
    nps, csat_ = suggestion.components
    assert nps.weight < csat_.weight
    assert (nps.bad, nps.good, csat_.bad, csat_.good) == (0, 100, 0, 100)  # thresholds kept
    assert evaluate(suggestion, sample).auc[90] == 1.0


def test_fitting_weights_keeps_a_perfect_model_as_it_is():
    sample = two_signals(churners=[(10, 10), (20, 20)], retained=[(80, 80), (90, 90)])
    start = Definition(
        70.0, 40.0, (Component("nps_180d", 3, 0, 100), Component("csat_180d", 1, 0, 100))
    )

    suggestion, before, after = fit_weights(start, sample.horizons[90])

    assert before == after == 1.0
    assert suggestion == start


@pytest.mark.parametrize("seed", range(8))
def test_fitting_weights_never_returns_a_lower_auc_than_it_started_with(seed):
    rng = random.Random(seed)

    def pair(churned: bool) -> tuple:
        shift = -15 if churned else 15
        return (rng.uniform(0, 100), min(100, max(0, rng.gauss(50 + shift, 25))))

    sample = two_signals(
        churners=[pair(True) for _ in range(12)], retained=[pair(False) for _ in range(20)]
    )
    start = Definition(
        70.0,
        40.0,
        (
            Component("nps_180d", rng.choice([1, 5, 20]), 0, 100),
            Component("csat_180d", rng.choice([1, 5, 20]), 0, 100),
        ),
    )

    suggestion, before, after = fit_weights(start, sample.horizons[90])

    assert after >= before
    assert evaluate(suggestion, sample).auc[90] == pytest.approx(after)
    assert evaluate(start, sample).auc[90] == pytest.approx(before)


def test_fitting_weights_without_churn_history_suggests_nothing():
    sample = two_signals(churners=[], retained=[(10, 10)])
    start = Definition(70.0, 40.0, (Component("nps_180d", 1, 0, 100),))

    assert fit_weights(start, sample.horizons[90]) == (start, None, None)


# load_sample: the backtest read from snapshots computed from raw records.

AS_OF = date(2024, 6, 30)


@pytest.fixture
def history(db):
    """Seven accounts and their snapshots of 2024-03-03 .. 2024-06-30 (120 dates, ~2 s): the
    earliest date needed is the 90-day horizon of the first churner (06-01 - 90 days = 03-03).

    | account      | contracts                                   | on AS_OF                 |
    | churns-june  | 2024-01-01 .. 2024-05-31                    | churned on 06-01         |
    | churns-mid   | 2024-01-01 .. 2024-06-14                    | churned on 06-15         |
    | steady       | 2024-01-01, open                            | retained                 |
    | renews       | 2024-01-01 .. 04-30, then 05-01, open       | retained (never at 0)    |
    | starts-late  | 2024-05-15, open                            | retained, new            |
    | left-long-ago| 2023-06-01 .. 2024-01-31                    | churned before the data  |
    | prospect     | none                                        | never paid               |
    """
    accounts = {
        name: AccountFactory(external_id=name, name=name)
        for name in (
            "churns-june",
            "churns-mid",
            "steady",
            "renews",
            "starts-late",
            "left-long-ago",
            "prospect",
        )
    }
    contract(accounts["churns-june"], "2024-01-01", "2024-05-31")
    contract(accounts["churns-mid"], "2024-01-01", "2024-06-14")
    contract(accounts["steady"], "2024-01-01", None)
    contract(accounts["renews"], "2024-01-01", "2024-04-30")
    contract(accounts["renews"], "2024-05-01", None)
    contract(accounts["starts-late"], "2024-05-15", None)
    contract(accounts["left-long-ago"], "2023-06-01", "2024-01-31")
    snapshot_recompute_range(first=date(2024, 3, 3), last=AS_OF)
    return {name: account.pk for name, account in accounts.items()}


def test_load_sample_classifies_churners_and_retained_accounts(history):
    sample = load_sample(AS_OF)

    churned = {h: {a for a, c, _v in rows if c} for h, rows in sample.horizons.items()}
    retained = {h: {a for a, c, _v in rows if not c} for h, rows in sample.horizons.items()}
    for h in (30, 60, 90):
        assert churned[h] == {history["churns-june"], history["churns-mid"]}
        assert retained[h] == {history["steady"], history["renews"], history["starts-late"]}
    assert sample.churners == 2
    # Paying on the base day AS_OF - 90 = 04-01, and churned since or not.
    assert sorted((a, c) for a, c, _v in sample.band_base) == sorted(
        [
            (history["churns-june"], True),
            (history["churns-mid"], True),
            (history["steady"], False),
            (history["renews"], False),
        ]
    )
    assert set(sample.latest) == set(history.values())


def test_the_churn_rate_by_band_of_loaded_history_counts_the_churners(history, default_model):
    default = Definition.from_json(default_model.versions.get().definition)

    result = evaluate(default, load_sample(AS_OF))

    # On 04-01 the four paying accounts have 10 seats and no usage, ticket or survey at all:
    # seat_utilization 0 -> 0 (weight 15), open_tickets 0 -> 100 (10), champion_left 0 -> 100
    # (10), every other default metric null: (0 + 1000 + 1000) / 35 = 57.14, yellow.
    # Two of the four churned since: 2 / 4 x 100 = 50 %.
    assert result.accounts_by_band == {"green": 0, "yellow": 4, "red": 0, "unknown": 0}
    assert result.churn_rate_by_band["yellow"] == 50.0


def test_load_sample_reads_each_account_30_60_and_90_days_before_its_churn_or_the_as_of_date(
    history,
):
    sample = load_sample(AS_OF)

    def days_to_renewal(h: int, name: str):
        return next(v for a, _c, v in sample.horizons[h] if a == history[name])["days_to_renewal"]

    # churns-june churned on 06-01: read on 05-02, 04-02, 03-03, when its contract ending 05-31
    # was 29, 59 and 89 days away. churns-mid churned on 06-15: read on 05-16, 04-16 and 03-17,
    # its contract ending 06-14 again 29, 59 and 89 days away.
    for name in ("churns-june", "churns-mid"):
        assert [days_to_renewal(h, name) for h in (30, 60, 90)] == [29, 59, 89]
    # Retained accounts are read 30, 60 and 90 days before AS_OF: 05-31, 05-01 and 04-01. On
    # 04-01 renews' first contract ends 04-30 (29 days); from 05-01 it has an open one only.
    assert [days_to_renewal(h, "renews") for h in (30, 60, 90)] == [None, None, 29]
    assert [days_to_renewal(h, "steady") for h in (30, 60, 90)] == [None, None, None]
    # The latest values are those of AS_OF itself.
    assert sample.latest[history["churns-june"]]["mrr"] == 0
    assert sample.latest[history["steady"]]["mrr"] == 1000


# suggest_weights: fitted on the earlier period, scored on the later one (out of time).

NPS_AND_CSAT = Definition(
    70.0, 40.0, (Component("nps_180d", 1, 0, 100), Component("csat_180d", 1, 0, 100))
)


def rows(churners: list[tuple], retained: list[tuple]) -> list:
    """Rows of (nps, csat) pairs, the churners first; every account a customer (MRR 100)."""
    made = [(i, True, {"nps_180d": n, "csat_180d": c}) for i, (n, c) in enumerate(churners)]
    made += [
        (100 + i, False, {"nps_180d": n, "csat_180d": c, "mrr": 100})
        for i, (n, c) in enumerate(retained)
    ]
    return made


def periods(fit: list, later: list, latest: dict | None = None) -> Sample:
    return Sample(as_of=date(2024, 6, 30), split=date(2023, 12, 31), fit={90: fit},
                  later={90: later}, latest=latest or {})  # fmt: skip


def test_weights_that_fit_the_earlier_period_but_not_the_later_one_are_not_suggested():
    # Earlier half-year: low NPS marks the churners, CSAT points the wrong way (start: churners
    # 50 and 57.5 above retained 45 and 47.5, AUC 0); later: the reverse (start: churners 50
    # and 50, retained 45 and 55, AUC 0.5). The fit puts the weight on NPS (fit AUC 1.0),
    # which ranks the later churners above every retained account: AUC 0.
    sample = periods(
        fit=rows(churners=[(10, 90), (20, 95)], retained=[(80, 10), (90, 5)]),
        later=rows(churners=[(90, 10), (80, 20)], retained=[(10, 80), (20, 90)]),
    )

    suggestion = suggest_weights(NPS_AND_CSAT, sample)

    assert (suggestion.fit_before, suggestion.fit_after) == (0.0, 1.0)
    assert (suggestion.later_before, suggestion.later_after) == (0.5, 0.0)
    assert not suggestion.offered
    assert suggestion.definition == NPS_AND_CSAT


def test_weights_that_also_predict_the_later_period_are_suggested():
    # CSAT marks the churners in both periods; NPS is noise that points the wrong way.
    sample = periods(
        fit=rows(churners=[(90, 10), (80, 20)], retained=[(10, 80), (20, 90)]),
        later=rows(churners=[(85, 15), (95, 5)], retained=[(15, 85), (5, 95)]),
    )

    suggestion = suggest_weights(NPS_AND_CSAT, sample)

    assert (suggestion.later_before, suggestion.later_after) == (0.5, 1.0)
    assert suggestion.offered
    nps, csat_ = suggestion.definition.components
    assert nps.weight < csat_.weight


def test_fewer_than_30_churners_to_fit_on_is_flagged():
    assert FEW_CHURNERS == 30
    few = periods(fit=rows(churners=[(1, 1)] * 29, retained=[(9, 9)]), later=[])
    enough = periods(fit=rows(churners=[(1, 1)] * 30, retained=[(9, 9)]), later=[])

    assert suggest_weights(NPS_AND_CSAT, few).few_churners
    assert not suggest_weights(NPS_AND_CSAT, enough).few_churners


def test_without_later_churners_a_suggestion_cannot_be_checked_and_is_not_offered():
    sample = periods(fit=rows(churners=[(90, 10)], retained=[(10, 90)]), later=[])

    suggestion = suggest_weights(NPS_AND_CSAT, sample)

    assert suggestion.later_after is None
    assert not suggestion.offered


def test_the_band_move_counts_the_book_before_and_after_and_flags_most_moving_into_one_band():
    # Four customers, csat 80 and nps 10 (score 45, yellow) for three of them; one not a
    # customer (MRR 0). Putting all the weight on csat turns the three green: 3 of 4 > 50 %.
    latest = {
        1: {"nps_180d": 10, "csat_180d": 80, "mrr": 100},
        2: {"nps_180d": 10, "csat_180d": 80, "mrr": 100},
        3: {"nps_180d": 10, "csat_180d": 80, "mrr": 100},
        4: {"nps_180d": 90, "csat_180d": 90, "mrr": 100},
        5: {"nps_180d": 10, "csat_180d": 80, "mrr": 0},
    }
    only_csat = NPS_AND_CSAT.with_weights([0, 1])

    move = band_move(NPS_AND_CSAT, only_csat, periods([], [], latest))

    assert move.book == 4
    assert move.before == {"green": 1, "yellow": 3, "red": 0, "unknown": 0}
    assert move.after == {"green": 4, "yellow": 0, "red": 0, "unknown": 0}
    assert move.moved_into["green"] == 3
    assert move.concentrated == ("green", 3)


def test_moving_half_of_the_book_into_one_band_is_not_concentrated():
    latest = {
        1: {"nps_180d": 10, "csat_180d": 80, "mrr": 100},  # yellow -> green
        2: {"nps_180d": 90, "csat_180d": 90, "mrr": 100},  # green -> green
    }

    move = band_move(NPS_AND_CSAT, NPS_AND_CSAT.with_weights([0, 1]), periods([], [], latest))

    assert move.moved_into["green"] == 1
    assert move.concentrated is None  # 1 of 2 is 50 %, not more


def test_load_sample_splits_the_year_into_a_fit_period_and_a_later_one(history):
    sample = load_sample(AS_OF)

    # 2024-06-30 - 182 days = 2023-12-31. Both churners churned after it: the later period's.
    # No snapshot exists before 2024-03-03, so the fit period has no row at all.
    assert sample.split == date(2023, 12, 31)
    assert {a for a, c, _v in sample.later[90] if c} == {
        history["churns-june"],
        history["churns-mid"],
    }
    assert {a for a, c, _v in sample.later[90] if not c} == {
        history["steady"],
        history["renews"],
        history["starts-late"],
    }
    assert all(sample.fit[h] == [] for h in (30, 60, 90))
