"""Fitting and judging churn models with scikit-learn: pure functions over feature matrices.

Two kinds, each calibrated with `CalibratedClassifierCV` (Platt's sigmoid, fitted on
cross-validated predictions of the training rows, then one estimator refitted on all of them):
a standardized logistic regression, the explainable default whose calibrated probability is one
SQL expression (churn.sql.logistic_probability_sql), and gradient-boosted trees, scored in
Python.
The metrics are the backtest's: ROC AUC, Brier score (and the base rate's), log loss, lift in
the top decile and calibration bins, for the model and for the weighted health score on the
same rows.
"""

import pickle
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

LOGISTIC, BOOSTED = "logistic", "boosted"
CALIBRATION_FOLDS = 3
CALIBRATION_BINS = 10
SEED = 0
# One thread for BLAS and OpenMP: on a busy 2-core host the trees' OpenMP threads spin-waited
# for each other (a 10,000-row fit took 48 s on two threads, 1.7 s on one); the nightly job runs
# beside the web server and the workers anyway.
THREADS = 1


class TooFewRows(ValueError):
    """Not enough rows, or churners, to fit or judge a model."""


def _logistic() -> Pipeline:
    return Pipeline([
        # Missing values become the training mean, which standardizes to 0: no contribution.
        ("impute", SimpleImputer(strategy="mean", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(C=1.0, max_iter=2000)),
    ])  # fmt: skip


class EmptyColumnsToZero(TransformerMixin, BaseEstimator):
    """Columns with no value at all in training (a book without any NPS answer) become 0.
    The trees take other missing values as they are, but scikit-learn 1.9's binning fails on
    a column that is missing throughout ("window shape cannot be larger than input")."""

    def fit(self, X, y=None):
        self.empty_ = np.isnan(X).all(axis=0)
        return self

    def transform(self, X):
        X = np.array(X, dtype=float)
        X[:, self.empty_] = 0.0
        return X


def _boosted() -> Pipeline:
    trees = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,
        random_state=SEED,
    )  # fmt: skip
    return Pipeline([("empty", EmptyColumnsToZero()), ("trees", trees)])


def fit(kind: str, X: np.ndarray, y: np.ndarray) -> CalibratedClassifierCV:
    """The calibrated estimator of `kind` fitted on (X, y)."""
    churners = int(y.sum())
    if churners < CALIBRATION_FOLDS or len(y) - churners < CALIBRATION_FOLDS:
        raise TooFewRows(
            f"{churners} churner(s) among {len(y)} training rows: too few to fit and calibrate "
            "a model (more history, or a shorter horizon, gives more)."
        )
    base = _logistic() if kind == LOGISTIC else _boosted()
    calibrated = CalibratedClassifierCV(
        base, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False
    )
    with threadpool_limits(THREADS):
        return calibrated.fit(X, y)


def predict(estimator, X: np.ndarray) -> np.ndarray:
    with threadpool_limits(THREADS):
        return estimator.predict_proba(X)[:, 1]


def logistic_parameters(estimator: CalibratedClassifierCV) -> dict:
    """What scoring in SQL needs from a calibrated logistic pipeline: per feature the imputed
    value, mean, scale and coefficient; the intercept; the sigmoid's a and b."""
    calibrated = estimator.calibrated_classifiers_[0]
    pipeline, sigmoid = calibrated.estimator, calibrated.calibrators[0]
    impute, scale, model = (pipeline.named_steps[k] for k in ("impute", "scale", "model"))
    return {
        "impute": [float(v) for v in impute.statistics_],
        "mean": [float(v) for v in scale.mean_],
        "scale": [float(v) for v in scale.scale_],
        "coef": [float(v) for v in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
        "calibration": {"a": float(sigmoid.a_), "b": float(sigmoid.b_)},
    }


def logistic_probability(parameters: dict, X: np.ndarray) -> np.ndarray:
    """The stored parameters' probability in numpy (the same arithmetic as the SQL)."""
    X = np.where(np.isnan(X), np.asarray(parameters["impute"]), X)
    z = (X - np.asarray(parameters["mean"])) / np.asarray(parameters["scale"])
    linear = parameters["intercept"] + z @ np.asarray(parameters["coef"])
    a, b = parameters["calibration"]["a"], parameters["calibration"]["b"]
    return 1.0 / (1.0 + np.exp(np.clip(a * linear + b, -700, 700)))


def logistic_factors(parameters: dict, names, x: np.ndarray, top: int = 3) -> list:
    """coefficient x standardized value per feature, the `top` largest in size, signed."""
    x = np.where(np.isnan(x), np.asarray(parameters["impute"]), x)
    z = (x - np.asarray(parameters["mean"])) / np.asarray(parameters["scale"])
    contributions = np.asarray(parameters["coef"]) * z
    order = np.argsort(-np.abs(contributions))[:top]
    return [[names[i], round(float(contributions[i]), 3)] for i in order]


def dump(estimator) -> bytes:
    """The estimator as stored in ChurnModel.estimator (our own bytes, loaded only by us)."""
    return pickle.dumps(estimator)


def load(data: bytes):
    return pickle.loads(data)  # noqa: S301 (written by `dump` into our own table)


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list:
    """[mean predicted, observed churn rate, rows] per bin of equal row counts (deciles of the
    prediction): with churn rare, equal-width bins would put nearly every row in the first."""
    if len(p) == 0:
        return []
    chunks = np.array_split(np.argsort(p, kind="stable"), min(bins, len(p)))
    return [[round(float(p[c].mean()), 4), round(float(y[c].mean()), 4), len(c)] for c in chunks]


def top_decile_lift(y: np.ndarray, risk: np.ndarray) -> float | None:
    """The churn rate of the riskiest tenth of rows over the overall churn rate."""
    if len(y) == 0 or y.mean() == 0:
        return None
    top = np.argsort(-risk, kind="stable")[: max(1, len(y) // 10)]
    return float(y[top].mean() / y.mean())


def _auc(y: np.ndarray, risk: np.ndarray) -> float | None:
    return float(roc_auc_score(y, risk)) if 0 < y.sum() < len(y) else None


@dataclass(frozen=True)
class Figures:
    auc: float | None
    brier: float
    base_rate: float
    base_rate_brier: float
    log_loss: float
    top_decile_lift: float | None
    calibration: list
    health_score_auc: float | None
    health_score_top_decile_lift: float | None
    auc_where_health_scored: float | None
    health_scored_rows: int


def evaluate(y: np.ndarray, p: np.ndarray, health: np.ndarray) -> Figures:
    """The model's figures on test rows, and the health score's on those of them it scored
    (a low score warns: its risk is 100 - score)."""
    if len(y) == 0:
        raise TooFewRows("No test rows: the test period has no eligible account.")
    base_rate = float(y.mean())
    scored = ~np.isnan(health)
    return Figures(
        auc=_auc(y, p),
        brier=float(brier_score_loss(y, p)),
        base_rate=base_rate,
        # A forecast of the test period's own churn rate for every row: the bar to beat.
        base_rate_brier=float(np.mean((y - base_rate) ** 2)),
        log_loss=float(log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])),
        top_decile_lift=top_decile_lift(y, p),
        calibration=calibration_bins(y, p),
        health_score_auc=_auc(y[scored], 100 - health[scored]),
        health_score_top_decile_lift=top_decile_lift(y[scored], 100 - health[scored]),
        auc_where_health_scored=_auc(y[scored], p[scored]),
        health_scored_rows=int(scored.sum()),
    )
