"""The training matrix: features read nothing after D, labels look exactly one horizon ahead,
and the backtest's dates never let a label it learned from overlap a date it is tested on."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.db import connection

from churn import backtest
from churn import sql as churn_sql
from tests.churn.conftest import FIRST, LAST

D = date(2024, 6, 1)

# A feature that peeks: the account's seat utilization 30 days after D.
PLANTED = churn_sql.Feature(
    "planted_future_utilization",
    "(SELECT f.seat_utilization FROM metrics_accountsnapshot f "
    "WHERE f.account_id = s.account_id AND f.as_of = s.as_of + 30)",
    "planted",
)


def _matrix(names=None, horizon=90):
    with connection.cursor() as cursor:
        return churn_sql.training_matrix(cursor, dates=[D], horizon=horizon, names=names)


def _rewrite_the_future():
    """Change every number stored after D, snapshots and health scores alike."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'metrics_accountsnapshot' AND data_type IN ('integer', 'bigint', 'smallint', "
            "'double precision', 'numeric') AND column_name NOT IN ('id', 'account_id')"
        )
        columns = [row[0] for row in cursor.fetchall()]
        sets = ", ".join(f"{c} = {c} * 3 + 7" for c in columns)
        cursor.execute(f"UPDATE metrics_accountsnapshot SET {sets} WHERE as_of > %s", [D])  # noqa: S608
        cursor.execute(
            "UPDATE healthscores_snapshothealth SET score = -score WHERE as_of > %s", [D]
        )


def features_reading_the_future(names) -> list[str]:
    """The features whose values on D change when everything after D is rewritten."""
    before = _matrix(names)
    _rewrite_the_future()
    after = _matrix(names)
    assert len(before) == len(after) > 0
    same = np.isclose(before.X, after.X, equal_nan=True).all(axis=0)
    return [name for name, unchanged in zip(before.names, same, strict=True) if not unchanged]


def test_no_feature_reads_a_row_dated_after_d(book):
    assert features_reading_the_future(None) == []


def test_a_feature_planted_to_read_after_d_is_caught(book, monkeypatch):
    monkeypatch.setitem(churn_sql.FEATURE_BY_NAME, PLANTED.name, PLANTED)
    names = ["seat_utilization", PLANTED.name]
    assert features_reading_the_future(names) == [PLANTED.name]


def test_the_label_is_a_churn_within_the_horizon_after_d_and_not_on_d_or_beyond(book):
    matrix = _matrix(horizon=30)
    labels = dict(zip(matrix.accounts.tolist(), matrix.y.tolist(), strict=True))
    for account, day in book.churn_day.items():
        if day <= D:
            assert account not in labels  # already gone on D: MRR 0, not eligible
        else:
            assert labels[account] == int(day <= D + timedelta(days=30)), (account, day)
    assert all(labels[a] == 0 for a in labels if a not in book.churn_day)


def test_only_paying_settled_accounts_with_60_days_of_history_are_training_rows(book):
    with connection.cursor() as cursor:
        early = churn_sql.training_matrix(cursor, dates=[FIRST + timedelta(days=58)], horizon=30)
        ready = churn_sql.training_matrix(cursor, dates=[FIRST + timedelta(days=59)], horizon=30)
    assert len(early) == 0
    assert len(ready) == len(book.accounts)


def test_the_backtest_tests_only_on_dates_after_the_training_cut_off_plus_the_horizon():
    stored = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    for horizon in (30, 90):
        plan = backtest.plan(stored, horizon)
        assert plan.train_to + timedelta(days=horizon) < plan.test_from
        # Every test date's outcome is complete; the training starts after 60 days of history.
        assert plan.test[-1] + timedelta(days=horizon) <= LAST
        assert plan.train[0] >= FIRST + timedelta(days=59)


def test_a_horizon_longer_than_the_history_allows_is_refused_with_what_it_needs():
    stored = [FIRST + timedelta(days=i) for i in range(200)]
    with pytest.raises(backtest.NotEnoughHistory, match="200 days of snapshots"):
        backtest.plan(stored, 180)
