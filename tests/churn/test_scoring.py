"""Training a versioned model, scoring a date in SQL exactly as scikit-learn would, the stated
reasons for accounts without a probability, and the nightly step."""

import json
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from churn import learn
from churn import sql as churn_sql
from churn.models import ChurnModel, ChurnScore
from churn.selectors import account_churn
from churn.services import churn_model_train, churn_scores_write, score_snapshot_date
from metrics.services import snapshot_recompute
from tests.churn.conftest import LAST, write_book
from tests.factories import AccountFactory, ContractFactory


@pytest.fixture
def logistic(book) -> ChurnModel:
    return churn_model_train(horizon=30)


def _scores(model, as_of=LAST) -> dict[int, ChurnScore]:
    return {s.account_id: s for s in ChurnScore.objects.filter(as_of=as_of, model=model)}


def _features(model, as_of=LAST) -> dict[int, tuple]:
    with connection.cursor() as cursor:
        rows = churn_sql.date_features(
            cursor, as_of=as_of, horizon=model.horizon_days, names=model.features
        )
    return {row[0]: row for row in rows}


def test_training_stores_an_active_versioned_model_with_its_out_of_time_figures(logistic):
    assert (logistic.version, logistic.is_active, logistic.horizon_days) == (1, True, 30)
    figures = logistic.metrics
    # The book's churners lose seat utilization for 90 days first: easy to foresee.
    assert figures["auc"] > 0.9
    assert figures["brier"] < figures["base_rate_brier"]
    assert date.fromisoformat(figures["train_to"]) + timedelta(days=30) < logistic.test_from
    second = churn_model_train(horizon=30)
    logistic.refresh_from_db()
    assert (second.version, second.is_active, logistic.is_active) == (2, True, False)


def test_scoring_in_sql_gives_scikit_learns_probability_and_factors(logistic):
    scores, features = _scores(logistic), _features(logistic)
    eligible = [a for a, row in features.items() if row[1] == ""]
    assert len(eligible) > 150
    X = np.array([features[a][2:] for a in eligible], dtype=float)
    # scikit-learn's own predict_proba, of the estimator the model stores.
    expected = learn.predict(learn.load(bytes(logistic.estimator)), X)
    stored = np.array([scores[a].probability for a in eligible])
    np.testing.assert_allclose(stored, expected, rtol=1e-9, atol=1e-12)
    # The page's top factors are the model's terms of the very features the night scored.
    for account, x in zip(eligible[:20], X[:20], strict=True):
        want = learn.logistic_factors(logistic.parameters, logistic.features, x)
        (churn,) = account_churn(account_id=account, as_of=LAST)
        labels = [churn_sql.FEATURE_BY_NAME[name].label for name, _c in want]
        assert [f.label for f in churn.factors] == labels
        assert [f.contribution for f in churn.factors] == pytest.approx(
            [c for _n, c in want], abs=1e-3
        )


def test_the_logistic_models_of_every_horizon_score_a_date_in_one_statement(book):
    """Each horizon's probability is its own model's, though the features are read once."""
    models = [churn_model_train(horizon=horizon) for horizon in (30, 90)]
    with connection.cursor() as cursor:
        written = churn_sql.score_logistic(cursor, as_of=LAST, models=models)
    assert written == 2 * len(_features(models[0]))
    for model in models:
        features = _features(model)
        eligible = [a for a, row in features.items() if row[1] == ""]
        X = np.array([features[a][2:] for a in eligible], dtype=float)
        expected = learn.predict(learn.load(bytes(model.estimator)), X)
        scores = _scores(model)
        stored = np.array([scores[a].probability for a in eligible])
        np.testing.assert_allclose(stored, expected, rtol=1e-9, atol=1e-12)


def test_a_boosted_model_is_scored_in_one_vectorised_pass_with_its_stored_estimator(book):
    model = churn_model_train(horizon=30, kind="boosted")
    scores, features = _scores(model), _features(model)
    eligible = [a for a, row in features.items() if row[1] == ""]
    X = np.array([features[a][2:] for a in eligible], dtype=float)
    expected = learn.predict(learn.load(bytes(model.estimator)), X)
    np.testing.assert_allclose([scores[a].probability for a in eligible], expected, rtol=1e-12)
    assert model.metrics["auc"] > 0.9


def test_the_boosted_models_of_every_horizon_share_one_read_and_one_insert(book):
    """Each horizon's trees give their own probability (the renewal-within-horizon feature
    differs), from one read of the features and one statement writing every horizon."""
    models = [churn_model_train(horizon=h, kind="boosted", activate=False) for h in (30, 90)]
    ChurnModel.objects.filter(pk__in=[m.pk for m in models]).update(is_active=True)

    score_snapshot_date(LAST)

    for model in models:
        features, scores = _features(model), _scores(model)
        eligible = [a for a, row in features.items() if row[1] == ""]
        X = np.array([features[a][2:] for a in eligible], dtype=float)
        expected = learn.predict(learn.load(bytes(model.estimator)), X)
        np.testing.assert_allclose([scores[a].probability for a in eligible], expected)
        assert len(scores) == len(features)
        assert all(scores[a].no_score_reason == row[1] for a, row in features.items())


def test_scoring_a_date_again_replaces_its_rows_and_leaves_other_dates_alone(logistic):
    before = ChurnScore.objects.exclude(as_of=LAST).count()
    on_the_date = ChurnScore.objects.filter(as_of=LAST).count()

    churn_scores_write(model=logistic, as_of=LAST)
    churn_scores_write(model=logistic, as_of=LAST)

    assert ChurnScore.objects.filter(as_of=LAST).count() == on_the_date > 0
    assert ChurnScore.objects.exclude(as_of=LAST).count() == before


def test_accounts_without_enough_history_onboarding_or_mrr_get_a_reason_not_a_number(logistic):
    new, onboarding, churned = (a.pk for a in AccountFactory.create_batch(3))
    write_book([new], {}, starts={new: LAST - timedelta(days=40)})
    write_book([onboarding], {}, onboarding={onboarding})
    write_book([churned], {churned: LAST - timedelta(days=100)})
    churn_scores_write(model=logistic, as_of=LAST)
    scores = _scores(logistic)
    assert (scores[new].probability, scores[new].no_score_reason) == (
        None, churn_sql.TOO_LITTLE_HISTORY
    )  # fmt: skip
    assert scores[onboarding].probability is None
    assert scores[onboarding].no_score_reason == churn_sql.ONBOARDING
    assert scores[churned].no_score_reason == churn_sql.NOT_PAYING
    assert account_churn(account_id=new, as_of=LAST)[0].factors == []
    assert "60 days" in churn_sql.TOO_LITTLE_HISTORY


def test_the_nightly_step_scores_every_account_with_each_active_model(logistic, settings):
    """snapshot_recompute runs the chain: the churn step scores the date it just wrote."""
    paying = AccountFactory()
    ContractFactory(account=paying, start_date=date(2023, 1, 1), end_date=None,
                    mrr=Decimal(1000), seats=10)  # fmt: skip
    write_book([paying.pk], {}, last=LAST)
    night = LAST + timedelta(days=1)
    snapshot_recompute(as_of=night)
    scores = _scores(logistic, as_of=night)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metrics_accountsnapshot WHERE as_of = %s", [night])
        accounts = cursor.fetchone()[0]
    assert len(scores) == accounts > 300
    assert {s.model_id for s in scores.values()} == {logistic.pk}
    assert scores[paying.pk].probability is not None  # paying, with 60+ days of history
    # The book's accounts have no contracts: the night's snapshot finds no MRR.
    assert scores[logistic_any(scores, paying.pk)].no_score_reason == churn_sql.NOT_PAYING


def logistic_any(scores, other):
    return next(a for a in scores if a != other)


def test_without_an_active_model_the_nightly_step_writes_nothing(book):
    snapshot_recompute(as_of=LAST + timedelta(days=1))
    assert not ChurnScore.objects.exists()


def test_the_backtest_command_prints_one_json_object_with_its_figures(book, capsys):
    call_command("churn_model", "backtest", "--horizon", "30", "--format", "json")
    out = capsys.readouterr()
    figures = json.loads(out.out)
    for key in ("auc", "brier", "base_rate", "health_score_auc", "train_to", "test_from",
                "accounts", "churners", "calibration", "log_loss", "top_decile_lift"):  # fmt: skip
        assert key in figures
    assert all(len(b) == 3 for b in figures["calibration"])
    assert figures["auc"] > figures["health_score_auc"]
    assert "Fitting the logistic model" in out.err  # progress, kept off stdout
    assert not ChurnModel.objects.exists()  # a backtest stores nothing


def test_a_horizon_the_history_cannot_test_is_a_clear_error(book):
    with pytest.raises(CommandError, match="180-day out-of-time backtest needs"):
        call_command("churn_model", "train", "--horizon", "180")
