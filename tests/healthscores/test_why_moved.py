"""Why did a score move (healthscores/selectors.why_moved): the change of each component's
contribution between two dates, largest first, adding up to the change of the score."""

from datetime import date

import pytest

from healthscores.selectors import why_moved
from healthscores.services import health_model_publish, health_scores_recompute
from metrics.registry import ACCOUNT
from tests.factories import AccountFactory
from tests.healthscores.conftest import AccountSnapshotFactory

BEFORE, AFTER = date(2024, 3, 1), date(2024, 3, 31)

# weight, bad, good
MODEL = [
    ("seat_utilization", 3, 20, 80),
    ("open_tickets", 1, 10, 0),
    ("nps_180d", 2, -50, 50),
    ("csat_180d", 4, 50, 90),
]


@pytest.fixture
def model(only_model):
    return only_model(MODEL)


@pytest.fixture
def account(db):
    return AccountFactory(name="Globex")


def two_dates(account, before: dict, after: dict) -> None:
    AccountSnapshotFactory(account=account, as_of=BEFORE, **before)
    AccountSnapshotFactory(account=account, as_of=AFTER, **after)
    health_scores_recompute(first=BEFORE, last=AFTER)


HEALTHY = {"seat_utilization": 80, "open_tickets": 0, "nps_180d": 50, "csat_180d": 90}


def test_changes_are_sorted_by_the_size_of_their_contribution_change(model, account):
    # Before: every component at good (score 100): score 100; contributions 3 x 100 / 10 = 30,
    # 1 x 100 / 10 = 10, 2 x 100 / 10 = 20, 4 x 100 / 10 = 40.
    # After: seat_utilization 50 -> (50 - 20) / 60 x 100 = 50; open_tickets 6 -> (6 - 10) / -10
    # x 100 = 40; nps_180d 30 -> (30 + 50) / 100 x 100 = 80; csat_180d 70 -> (70 - 50) / 40 x
    # 100 = 50. Score (150 + 40 + 160 + 200) / 10 = 55; contributions 15, 4, 16, 20.
    two_dates(
        account,
        HEALTHY,
        {"seat_utilization": 50, "open_tickets": 6, "nps_180d": 30, "csat_180d": 70},
    )

    movement = why_moved(account=account, first=BEFORE, second=AFTER)

    # Contribution changes: csat 20 - 40 = -20, seat 15 - 30 = -15, open 4 - 10 = -6,
    # nps 16 - 20 = -4.
    assert [(c.metric, pytest.approx(c.contribution_change)) for c in movement.changes] == [
        ("csat_180d", -20.0),
        ("seat_utilization", -15.0),
        ("open_tickets", -6.0),
        ("nps_180d", -4.0),
    ]
    assert movement.score_change == pytest.approx(-45.0)  # 55 - 100
    assert sum(c.contribution_change for c in movement.changes) == pytest.approx(-45.0)


def test_each_change_carries_the_values_contributions_and_label_of_both_dates(model, account):
    two_dates(
        account,
        HEALTHY,
        {"seat_utilization": 50, "open_tickets": 6, "nps_180d": 30, "csat_180d": 70},
    )

    movement = why_moved(account=account, first=BEFORE, second=AFTER)

    tickets = next(c for c in movement.changes if c.metric == "open_tickets")
    assert (tickets.value_before, tickets.value_after) == (0, 6)
    assert (tickets.contribution_before, tickets.contribution_after) == (
        pytest.approx(10.0),
        pytest.approx(4.0),
    )
    assert tickets.label == ACCOUNT["open_tickets"].label
    assert movement.before.as_of == BEFORE
    assert movement.after.as_of == AFTER
    assert movement.same_model_version


def test_a_metric_that_became_null_moves_the_score_by_its_whole_contribution(model, account):
    # After: nps_180d null, left out; present weights 3 + 1 + 4 = 8.
    # seat 50 -> 50, open 6 -> 40, csat 70 -> 50: score (150 + 40 + 200) / 8 = 48.75;
    # contributions 150 / 8 = 18.75, 40 / 8 = 5, None, 200 / 8 = 25.
    # Changes: nps 0 - 20 = -20, csat 25 - 40 = -15, seat 18.75 - 30 = -11.25, open 5 - 10 = -5.
    two_dates(
        account,
        HEALTHY,
        {"seat_utilization": 50, "open_tickets": 6, "nps_180d": None, "csat_180d": 70},
    )

    movement = why_moved(account=account, first=BEFORE, second=AFTER)

    assert [(c.metric, pytest.approx(c.contribution_change)) for c in movement.changes] == [
        ("nps_180d", -20.0),
        ("csat_180d", -15.0),
        ("seat_utilization", -11.25),
        ("open_tickets", -5.0),
    ]
    assert movement.score_change == pytest.approx(48.75 - 100)
    assert sum(c.contribution_change for c in movement.changes) == pytest.approx(-51.25)
    nps = movement.changes[0]
    assert (nps.value_before, nps.value_after, nps.contribution_after) == (50, None, None)


def test_a_rising_score_is_explained_by_positive_changes(model, account):
    # Before: seat 20 -> 0, open 10 -> 0, nps -50 -> 0, csat 50 -> 0: score 0.
    # After: seat 35 -> 25 (contribution 3 x 25 / 10 = 7.5), open 10 -> 0, nps 0 -> 50
    # (2 x 50 / 10 = 10), csat 50 -> 0. Score 17.5.
    two_dates(
        account,
        {"seat_utilization": 20, "open_tickets": 10, "nps_180d": -50, "csat_180d": 50},
        {"seat_utilization": 35, "open_tickets": 10, "nps_180d": 0, "csat_180d": 50},
    )

    movement = why_moved(account=account, first=BEFORE, second=AFTER)

    assert [c.metric for c in movement.changes[:2]] == ["nps_180d", "seat_utilization"]
    assert [pytest.approx(c.contribution_change) for c in movement.changes] == [10.0, 7.5, 0, 0]
    assert movement.score_change == pytest.approx(17.5)


def test_scores_of_two_model_versions_say_so(model, account):
    AccountSnapshotFactory(account=account, as_of=BEFORE, **HEALTHY)
    AccountSnapshotFactory(account=account, as_of=AFTER, **HEALTHY)
    health_scores_recompute(first=BEFORE, last=BEFORE)
    model.components.filter(metric="open_tickets").update(weight=5)
    health_model_publish(model=model)
    health_scores_recompute(first=AFTER, last=AFTER)

    movement = why_moved(account=account, first=BEFORE, second=AFTER)

    assert not movement.same_model_version
    assert movement.score_change == pytest.approx(0.0)  # 100 with either version


def test_there_is_no_explanation_without_both_snapshots(model, account):
    AccountSnapshotFactory(account=account, as_of=BEFORE, **HEALTHY)

    assert why_moved(account=account, first=BEFORE, second=AFTER) is None


def test_explaining_a_move_is_one_query(model, account, django_assert_num_queries):
    two_dates(account, HEALTHY, HEALTHY)

    with django_assert_num_queries(1):
        movement = why_moved(account=account, first=BEFORE, second=AFTER)

    assert movement.score_change == 0.0
