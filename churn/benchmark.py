"""`make bench`: what scoring the churn probability adds to the nightly job (issue 17's budget:
at most 25 % at 10,000 accounts).

The bench data set has no churn history long enough to train on, and it does not need one: the
cost of scoring depends on the features read and the model's form (one SQL expression for the
logistic model, one vectorised prediction for the trees), not on the coefficients' values. So
each horizon gets a stand-in model of each kind, fitted by the real `learn.fit` on the date's
real features against a stand-in label (health below its median), and the nightly recompute of
the date is timed with no model active, with the logistic models and with the trees, in
alternating rounds. All of it happens in a transaction that is rolled back: the data set keeps
no model, no score and no snapshot it did not have.
"""

import statistics
import time
from datetime import date, timedelta

import numpy as np
from django.db import connection, transaction

from churn import learn
from churn import sql as churn_sql
from churn.models import HORIZONS, ChurnModel, ChurnModelKind
from metrics.services import snapshot_recompute

FEATURES = tuple(f.name for f in churn_sql.FEATURES)
# Far above any real version, and rolled back anyway.
STAND_IN_VERSION = 10_000


class _Rollback(Exception):
    pass


def scoring_cost(as_of: date, repeats: int = 5) -> dict:
    """Median seconds of the nightly recompute of `as_of` without churn models, with the three
    horizons' logistic models, and with their boosted models; the added share of each.

    The three variants are timed in rounds, each round in a rotated order (none, logistic,
    boosted; then logistic, boosted, none; ...), and each run is rolled back to a savepoint:
    timed one variant after the other in one transaction, the last variant paid for the dead
    rows of all earlier runs (a 43 % figure in one run, 122 % in the next)."""
    figures: dict = {}
    try:
        with transaction.atomic():
            ChurnModel.objects.filter(is_active=True).update(is_active=False)
            _ensure_history(as_of)
            X, y = _stand_in_sample(as_of)
            figures["scored_accounts"] = len(y)
            stand_ins = {
                kind: _stand_ins(kind, X, y, as_of)
                for kind in (ChurnModelKind.LOGISTIC, ChurnModelKind.BOOSTED)
            }
            variants = [None, *stand_ins]
            timings: dict = {variant: [] for variant in variants}
            _recompute_rolled_back(as_of)  # warm-up: caches and plans, not timed
            for round_ in range(repeats):
                for variant in variants[round_ % 3 :] + variants[: round_ % 3]:
                    ChurnModel.objects.filter(is_active=True).update(is_active=False)
                    if variant:
                        ChurnModel.objects.filter(pk__in=stand_ins[variant]).update(is_active=True)
                    timings[variant].append(_recompute_rolled_back(as_of))
            figures["rounds"] = repeats
            figures["without_seconds"] = round(statistics.median(timings[None]), 3)
            for kind in stand_ins:
                seconds = round(statistics.median(timings[kind]), 3)
                figures[f"{kind}_seconds"] = seconds
                figures[f"{kind}_cost_percent"] = round(
                    (seconds / figures["without_seconds"] - 1) * 100, 1
                )
            raise _Rollback
    except _Rollback:
        pass
    return figures


def _recompute_rolled_back(as_of: date) -> float:
    """Seconds of one nightly recompute of `as_of`, rolled back to its savepoint afterwards, so
    every timed run starts from the same rows: the rows a recompute deletes stay dead for the
    rest of an open transaction, and each later run would wade through all the earlier ones'.

    The deferred constraint checks are made immediate inside the savepoint: the nightly job
    pays them at its commit, and a rolled-back savepoint would otherwise drop them unpaid (the
    churn scores' foreign keys once cost 250 ms a night that this figure did not show)."""
    seconds = 0.0
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.perf_counter()
            snapshot_recompute(as_of=as_of)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _ensure_history(as_of: date) -> None:
    """The date itself, the snapshots a feature reads (30 days back) and the history rule's (59
    days back), so every account is scored rather than given the too-little-history reason."""
    for back in (churn_sql.HISTORY_DAYS - 1, churn_sql.CHANGE_DAYS, 0):
        day = as_of - timedelta(days=back)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM metrics_accountsnapshot WHERE as_of = %s LIMIT 1", [day])
            if cursor.fetchone() is None:
                snapshot_recompute(as_of=day)


def _stand_in_sample(as_of: date) -> tuple[np.ndarray, np.ndarray]:
    with connection.cursor() as cursor:
        rows = churn_sql.date_features(cursor, as_of=as_of, horizon=90, names=FEATURES)
    X = np.array([row[2:] for row in rows if row[1] == ""], dtype=float)
    health = X[:, FEATURES.index("health_score")]
    y = (np.nan_to_num(health, nan=np.nanmedian(health)) < np.nanmedian(health)).astype(int)
    return X, y


def _stand_ins(kind: str, X: np.ndarray, y: np.ndarray, as_of: date) -> list[int]:
    """One inactive stand-in model of `kind` per horizon, fitted once; their ids."""
    estimator = learn.fit(kind, X, y)
    return [
        ChurnModel.objects.create(
            kind=kind, horizon_days=horizon, is_active=False, features=list(FEATURES),
            version=STAND_IN_VERSION + (kind == ChurnModelKind.BOOSTED),
            parameters=learn.logistic_parameters(estimator) if kind == learn.LOGISTIC else {},
            estimator=learn.dump(estimator), train_to=as_of, test_from=as_of,
            metrics={"stand_in": "bench only"},
        ).pk
        for horizon in HORIZONS
    ]  # fmt: skip
