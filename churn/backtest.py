"""The out-of-time backtest: which dates a churn model learns from and which it is judged on.

A row dated D carries a label that looks `horizon` days ahead, so a model trained on dates up
to T has, through its labels, seen what happened up to T + horizon. It is therefore judged only
on dates after T + horizon: nothing it learned from overlaps what it is tested on. Dates are
taken a week apart (an account's rows a day apart are nearly copies of each other), newest
first, so the last date with a complete horizon is always one of them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import connection

from churn import learn
from churn import sql as churn_sql

STEP_DAYS = 7
# The share of the usable span (after the gap of one horizon) that training gets.
TRAIN_SHARE = 0.6

Progress = Callable[[str], None]


class NotEnoughHistory(ValueError):
    """The stored snapshots are too short for this horizon's training and testing dates."""


@dataclass(frozen=True)
class Plan:
    horizon: int
    train: list[date]
    test: list[date]

    @property
    def train_to(self) -> date:
        return self.train[-1]

    @property
    def test_from(self) -> date:
        return self.test[0]


def usable_dates(stored: Sequence[date], horizon: int) -> list[date]:
    """Dates a week apart from the last whose horizon is complete back to the first with
    HISTORY_DAYS of snapshots before it, oldest first; only dates that are stored."""
    if not stored:
        return []
    first, last = min(stored), max(stored)
    start = first + timedelta(days=churn_sql.HISTORY_DAYS - 1)
    day, have, out = last - timedelta(days=horizon), set(stored), []
    while day >= start:
        if day in have:
            out.append(day)
        day -= timedelta(days=STEP_DAYS)
    return out[::-1]


def plan(stored: Sequence[date], horizon: int) -> Plan:
    """Training dates up to T and test dates after T + horizon (see the module docstring)."""
    dates = usable_dates(stored, horizon)
    if dates:
        span = (dates[-1] - dates[0]).days - horizon
        cut = dates[0] + timedelta(days=max(0, int(span * TRAIN_SHARE)))
        train = [d for d in dates if d <= cut]
        test = [d for d in dates if d > cut + timedelta(days=horizon)]
        if train and test:
            return Plan(horizon, train, test)
    days = (max(stored) - min(stored)).days + 1 if stored else 0
    needed = churn_sql.HISTORY_DAYS + 2 * horizon + 2 * STEP_DAYS
    raise NotEnoughHistory(
        f"{days} days of snapshots: a {horizon}-day out-of-time backtest needs about "
        f"{needed} (60 days of history, training dates, a {horizon}-day gap, test dates and "
        f"their {horizon}-day outcome). Backfill more with recompute_snapshots --last-days N."
    )


def stored_dates() -> list[date]:
    from metrics.models import SnapshotRun

    return list(SnapshotRun.objects.order_by("as_of").values_list("as_of", flat=True))


def matrix(dates: Sequence[date], horizon: int, names=None) -> churn_sql.Matrix:
    with connection.cursor() as cursor:
        return churn_sql.training_matrix(cursor, dates=dates, horizon=horizon, names=names)


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def run(*, kind: str, horizon: int, progress: Progress | None = None) -> dict:
    """Train on the plan's training dates, judge on its test dates: the backtest's figures."""
    the_plan = plan(stored_dates(), horizon)
    _say(progress, f"Reading features on {len(the_plan.train)} training dates "
                   f"(to {the_plan.train_to})")  # fmt: skip
    train = matrix(the_plan.train, horizon)
    _say(progress, f"Reading features on {len(the_plan.test)} test dates "
                   f"(from {the_plan.test_from})")  # fmt: skip
    test = matrix(the_plan.test, horizon)
    _say(progress, f"Fitting the {kind} model on {len(train):,} rows ({int(train.y.sum()):,} "
                   "churned within the horizon)")  # fmt: skip
    estimator = learn.fit(kind, train.X, train.y)
    _say(progress, f"Scoring {len(test):,} test rows")
    figures = learn.evaluate(test.y, learn.predict(estimator, test.X), test.health)
    return {
        "kind": kind,
        "horizon_days": horizon,
        **figures.__dict__,
        "train_to": the_plan.train_to.isoformat(),
        "test_from": the_plan.test_from.isoformat(),
        "test_to": the_plan.test[-1].isoformat(),
        "train_dates": len(the_plan.train),
        "test_dates": len(the_plan.test),
        "train_rows": len(train),
        "train_churn_rows": int(train.y.sum()),
        "test_rows": len(test),
        "test_churn_rows": int(test.y.sum()),
        "accounts": len(np.unique(test.accounts)),
        "churners": len(np.unique(test.accounts[test.y == 1])),
    }
