"""Writes of the churn app: training a versioned model and scoring a date's accounts with it."""

from datetime import date

import numpy as np
from django.db import connection, transaction
from django.db.models import Max

from churn import backtest, learn
from churn import sql as churn_sql
from churn.models import ChurnModel, ChurnModelKind


def churn_model_train(
    *, horizon: int, kind: str = ChurnModelKind.LOGISTIC, activate: bool = True,
    progress: backtest.Progress | None = None,
) -> ChurnModel:  # fmt: skip
    """Backtest `kind` out of time, then refit it on every date with a complete horizon and
    store it as the horizon's next version with the backtest's figures; when `activate`, it
    becomes the horizon's active model and scores the newest snapshot date at once."""
    figures = backtest.run(kind=kind, horizon=horizon, progress=progress)
    dates = backtest.usable_dates(backtest.stored_dates(), horizon)
    if progress:
        progress(f"Refitting on all {len(dates)} dates to {dates[-1]}")
    everything = backtest.matrix(dates, horizon)
    estimator = learn.fit(kind, everything.X, everything.y)
    figures["final_rows"], figures["final_churn_rows"] = len(everything), int(everything.y.sum())
    with transaction.atomic():
        model = ChurnModel.objects.create(
            kind=kind,
            horizon_days=horizon,
            version=_next_version(horizon),
            features=list(everything.names),
            parameters=learn.logistic_parameters(estimator) if kind == learn.LOGISTIC else {},
            # Kept for both kinds: trees are scored with it, the logistic model's SQL is
            # checked against it (tests/churn/test_scoring.py).
            estimator=learn.dump(estimator),
            train_to=dates[-1],
            test_from=date.fromisoformat(figures["test_from"]),
            metrics=figures,
        )
        if activate:
            churn_model_activate(model=model)
    return model


def _next_version(horizon: int) -> int:
    latest = ChurnModel.objects.filter(horizon_days=horizon).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def churn_model_activate(*, model: ChurnModel) -> None:
    """Make `model` its horizon's only active model and score the newest snapshot date with it
    (older dates keep the scores of the model that made them)."""
    with transaction.atomic():
        ChurnModel.objects.filter(horizon_days=model.horizon_days, is_active=True).exclude(
            pk=model.pk
        ).update(is_active=False)
        ChurnModel.objects.filter(pk=model.pk).update(is_active=True)
        model.is_active = True
        newest = backtest.stored_dates()[-1:]
        if newest:
            churn_scores_write(model=model, as_of=newest[0])


def churn_scores_write(*, model: ChurnModel, as_of: date) -> int:
    """Replace the horizon's scores of `as_of` with `model`'s: one INSERT ... SELECT for the
    logistic model, one read, one vectorised prediction and one INSERT for trees."""
    with connection.cursor() as cursor:
        if model.kind == ChurnModelKind.LOGISTIC:
            return churn_sql.score_logistic(cursor, as_of=as_of, models=[model])
    return _score_in_python(as_of=as_of, models=[model])


def _score_in_python(*, as_of: date, models: list[ChurnModel]) -> int:
    """Trees: the features of every model read in one statement, one vectorised prediction
    per model over the eligible rows, and one INSERT for all of them."""
    with connection.cursor() as cursor:
        accounts, reasons, matrices = churn_sql.date_feature_matrices(
            cursor, as_of=as_of, models=models
        )
        eligible = np.array([reason == "" for reason in reasons], dtype=bool)
        scored = []
        for model, X in zip(models, matrices, strict=True):
            probabilities: list[float | None] = [None] * len(accounts)
            if eligible.any():
                predicted = learn.predict(learn.load(bytes(model.estimator)), X[eligible])
                for index, p in zip(np.flatnonzero(eligible), predicted, strict=True):
                    probabilities[index] = float(p)
            scored.append((model.pk, model.horizon_days, probabilities))
        return churn_sql.insert_scores(
            cursor, as_of=as_of, accounts=accounts, reasons=reasons, scored=scored
        )


def score_snapshot_date(as_of: date) -> None:
    """The nightly step (settings.AFTER_SNAPSHOT_STEPS), inside the snapshot's transaction:
    score every account of `as_of` with each horizon's active model; no model, no scores.
    The logistic models share one statement, the trees one read of their features."""
    active = list(ChurnModel.objects.filter(is_active=True).order_by("horizon_days"))
    logistic = [model for model in active if model.kind == ChurnModelKind.LOGISTIC]
    trees = [model for model in active if model.kind != ChurnModelKind.LOGISTIC]
    with connection.cursor() as cursor:
        churn_sql.score_logistic(cursor, as_of=as_of, models=logistic)
    if trees:
        _score_in_python(as_of=as_of, models=trees)
