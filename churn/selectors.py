"""Reads of the churn app: an account's probabilities, and the active models for the lab."""

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection

from churn import learn
from churn import sql as churn_sql
from churn.models import ChurnModel, ChurnModelKind, ChurnScore
from churn.sql import FEATURE_BY_NAME

# The disclosure beside the probability on the 360 page (like the registry's definitions).
PLAIN = (
    "The chance that this account's MRR reaches 0 within the horizon, learned from Northstar's "
    "own history of accounts like it. Calibrated: of the accounts shown 20 %, about one in five "
    "churned when the model was tested on dates it had never seen."
)
FORMULA = (
    "Logistic regression on the snapshot's metrics, health score and their 30-day changes, "
    "standardized, with Platt calibration: p = 1 / (1 + exp(a x (b0 + sum of coefficient x "
    "standardized value) + b)). A factor is one coefficient x standardized value: positive "
    "raises the risk, negative lowers it. Under 60 days of snapshots, onboarding, or no MRR: "
    "no probability."
)


@dataclass(frozen=True)
class Factor:
    label: str
    contribution: float

    @property
    def raises(self) -> bool:
        return self.contribution > 0


@dataclass(frozen=True)
class AccountChurn:
    horizon_days: int
    probability: float | None
    reason: str
    model: ChurnModel
    factors: list[Factor]


def _factors(pairs) -> list[Factor]:
    out = []
    for name, contribution in pairs:
        feature = FEATURE_BY_NAME.get(name)
        out.append(Factor(feature.label if feature else name, float(contribution)))
    return out


def account_churn(*, account_id: int, as_of: date | None) -> list[AccountChurn]:
    """The account's probability per horizon on `as_of`, with its model (one query), and the
    logistic models' top factors: coefficient x standardized value of the same features the
    nightly job scored (one more query, only when a logistic model gave a probability)."""
    if as_of is None:
        return []
    scores = list(
        ChurnScore.objects.filter(account_id=account_id, as_of=as_of)
        .select_related("model")
        .defer("model__estimator")
        .order_by("horizon_days")
    )
    logistic = ChurnModelKind.LOGISTIC
    explained = [s.model for s in scores if s.probability is not None and s.model.kind == logistic]
    with connection.cursor() as cursor:
        rows = churn_sql.account_features(
            cursor, account_id=account_id, as_of=as_of, models=explained
        )
    factors = {
        model.pk: learn.logistic_factors(model.parameters, model.features, np.array(x, float))
        for model, x in zip(explained, rows, strict=True)
        if x
    }
    return [
        AccountChurn(
            s.horizon_days, s.probability, s.no_score_reason, s.model,
            _factors(factors.get(s.model_id, []) if s.probability is not None else []),
        )
        for s in scores
    ]  # fmt: skip


def active_models() -> list[ChurnModel]:
    """Each horizon's active model, shortest horizon first (one query, no estimator bytes)."""
    return list(
        ChurnModel.objects.filter(is_active=True).defer("estimator").order_by("horizon_days")
    )
