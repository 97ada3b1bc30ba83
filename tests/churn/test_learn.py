"""The metrics and the fitting on synthetic data whose answer is known (no database)."""

import numpy as np
import pytest

from churn import learn


def test_calibration_bins_are_deciles_of_the_prediction_with_their_observed_rate():
    p = np.arange(20) / 20  # 0.00, 0.05, ..., 0.95
    y = np.array([0, 1] * 10)
    bins = learn.calibration_bins(y, p, bins=10)
    # Pairs of rows: (0.00, 0.05) -> mean 0.025, one of two churned; and so on.
    assert bins[0] == [0.025, 0.5, 2]
    assert bins[-1] == [0.925, 0.5, 2]
    assert sum(n for _p, _o, n in bins) == 20


def test_the_top_decile_lift_is_the_riskiest_tenths_churn_rate_over_the_base_rate():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 10)  # base rate 0.2
    risk = np.array([9, 8, 1, 1, 1, 1, 1, 1, 1, 1] * 10, dtype=float)
    # The riskiest 10 rows are all churners: 1.0 / 0.2 = 5.
    assert learn.top_decile_lift(y, risk) == pytest.approx(5.0)


def test_forecasting_the_base_rate_scores_the_base_rates_brier():
    y = np.array([1] * 20 + [0] * 80)
    figures = learn.evaluate(y, np.full(100, 0.2), np.full(100, 50.0))
    # Brier of 0.2 for all: 0.2 x 0.8^2 + 0.8 x 0.2^2 = 0.16 = 0.2 x 0.8.
    assert figures.brier == pytest.approx(0.16)
    assert figures.base_rate_brier == pytest.approx(0.16)
    assert figures.auc == pytest.approx(0.5)
    assert figures.health_score_auc == pytest.approx(0.5)


def test_a_low_health_score_warns_so_perfect_separation_gives_the_health_score_an_auc_of_1():
    y = np.array([1, 1, 0, 0])
    figures = learn.evaluate(y, np.array([0.9, 0.8, 0.1, 0.2]), np.array([10.0, 20, 80, 90]))
    assert figures.auc == 1.0
    assert figures.health_score_auc == 1.0


def _known_world(rows: int, seed: int):
    """Churn drawn from a known logistic law: logit p = 2 x0 - x1 - 3, x2 pure noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    truth = 1 / (1 + np.exp(-(2 * X[:, 0] - X[:, 1] - 3)))
    return X, (rng.random(rows) < truth).astype(int), truth


@pytest.mark.parametrize("kind", [learn.LOGISTIC, learn.BOOSTED])
def test_a_calibrated_model_recovers_a_known_churn_law(kind):
    X, y, _truth = _known_world(20000, seed=1)
    X_test, y_test, truth = _known_world(20000, seed=2)
    estimator = learn.fit(kind, X, y)
    p = learn.predict(estimator, X_test)
    figures = learn.evaluate(y_test, p, np.full(len(y_test), np.nan))
    best = learn.evaluate(y_test, truth, np.full(len(y_test), np.nan))
    # As good as the law itself, within sampling error, and far better than the base rate.
    assert figures.auc == pytest.approx(best.auc, abs=0.01)
    assert figures.brier < 0.9 * figures.base_rate_brier
    assert figures.brier == pytest.approx(best.brier, rel=0.03)
    # Calibrated: every decile's observed churn rate is within 3 points of its prediction.
    for predicted, observed, count in figures.calibration:
        assert count == 2000
        assert observed == pytest.approx(predicted, abs=0.03)


def test_the_logistic_parameters_reproduce_scikit_learns_probabilities():
    X, y, _truth = _known_world(5000, seed=3)
    X[::7, 1] = np.nan  # missing values are imputed with the training mean
    estimator = learn.fit(learn.LOGISTIC, X, y)
    parameters = learn.logistic_parameters(estimator)
    np.testing.assert_allclose(
        learn.logistic_probability(parameters, X), learn.predict(estimator, X), atol=1e-12
    )
    # The noise feature's coefficient is small beside the two real ones.
    coef = np.abs(parameters["coef"])
    assert coef[2] < 0.2 * min(coef[0], coef[1])


def test_too_few_churners_to_calibrate_is_a_clear_refusal():
    with pytest.raises(learn.TooFewRows, match="2 churner"):
        learn.fit(learn.LOGISTIC, np.zeros((100, 2)), np.array([1, 1] + [0] * 98))
