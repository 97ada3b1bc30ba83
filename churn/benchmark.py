"""`make bench`: what scoring the churn probability adds to the nightly job (issue 17's budget:
at most 25 % at 10,000 accounts).

The bench data set has no churn history long enough to train on, and it does not need one: the
cost of scoring depends on the features read and the model's form (one SQL expression for the
logistic model, one vectorised prediction for the trees), not on the coefficients' values. So
each horizon gets a stand-in model of each kind, fitted by the real `learn.fit` on the date's
real features against a stand-in label (health below its median), and the nightly recompute of
the date is timed with no model active, with the logistic models, then with the trees. All of
it happens in a transaction that is rolled back: the data set keeps no model, no score and no
snapshot it did not have.
"""

from datetime import date, timedelta

import numpy as np
from django.db import connection, transaction

from churn import learn
from churn import sql as churn_sql
from churn.models import HORIZONS, ChurnModel, ChurnModelKind
from metrics import benchmark
from metrics.services import snapshot_recompute

FEATURES = tuple(f.name for f in churn_sql.FEATURES)
# Far above any real version, and rolled back anyway.
STAND_IN_VERSION = 10_000


class _Rollback(Exception):
    pass


def scoring_cost(as_of: date, repeats: int = 3) -> dict:
    """Median seconds of the nightly recompute of `as_of` without churn models, with the three
    horizons' logistic models, and with their boosted models; the added share of each."""
    figures: dict = {}
    try:
        with transaction.atomic():
            ChurnModel.objects.filter(is_active=True).update(is_active=False)
            _ensure_history(as_of)
            X, y = _stand_in_sample(as_of)
            figures["scored_accounts"] = len(y)
            figures["without_seconds"] = benchmark.recompute_seconds(as_of, repeats)
            for kind in (ChurnModelKind.LOGISTIC, ChurnModelKind.BOOSTED):
                _activate_stand_ins(kind, X, y, as_of)
                seconds = benchmark.recompute_seconds(as_of, repeats)
                figures[f"{kind}_seconds"] = seconds
                figures[f"{kind}_cost_percent"] = round(
                    (seconds / figures["without_seconds"] - 1) * 100, 1
                )
            raise _Rollback
    except _Rollback:
        pass
    return figures


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


def _activate_stand_ins(kind: str, X: np.ndarray, y: np.ndarray, as_of: date) -> None:
    ChurnModel.objects.filter(is_active=True).update(is_active=False)
    estimator = learn.fit(kind, X, y)
    for horizon in HORIZONS:
        ChurnModel.objects.create(
            kind=kind, horizon_days=horizon, is_active=True, features=list(FEATURES),
            version=STAND_IN_VERSION + (kind == ChurnModelKind.BOOSTED),
            parameters=learn.logistic_parameters(estimator) if kind == learn.LOGISTIC else {},
            estimator=learn.dump(estimator), train_to=as_of, test_from=as_of,
            metrics={"stand_in": "bench only"},
        )  # fmt: skip
