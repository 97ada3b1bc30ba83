"""The renewal desk's test world: renewals of alice's and bob's accounts, and the churn model's
scores for them (rows of the churn app's schema, as its nightly step writes them)."""

from datetime import date
from decimal import Decimal

import pytest

from churn.models import HORIZONS, ChurnModel, ChurnScore
from tests.factories import AccountFactory, ContractFactory


def churn_model(horizon: int = 90) -> ChurnModel:
    model, _created = ChurnModel.objects.get_or_create(
        horizon_days=horizon, version=1,
        defaults={"kind": "logistic", "train_to": date(2024, 1, 1), "test_from": date(2024, 4, 1),
                  "is_active": False},  # scores are planted; the nightly has no model to run
    )  # fmt: skip
    return model


def score(account, *, as_of: date, p: float | None, horizon: int | None = None, reason=""):
    """The account's score of `as_of` at `horizon`, or at every horizon when none is given."""
    for days in HORIZONS if horizon is None else (horizon,):
        ChurnScore.objects.create(
            account=account, as_of=as_of, horizon_days=days, probability=p,
            no_score_reason=reason or ("" if p is not None else "Under 60 days of snapshots"),
            model=churn_model(days),
        )  # fmt: skip


def renewal(owner, *, ends: date, mrr: str = "1000.00", name: str | None = None, **account):
    """An account of `owner` whose one-year term ends on `ends`."""
    kwargs = {"owner": owner, **account} | ({"name": name} if name else {})
    customer = AccountFactory(**kwargs)
    start = ends.replace(year=ends.year - 1)
    return ContractFactory(account=customer, start_date=start, end_date=ends, mrr=Decimal(mrr))


@pytest.fixture
def book(alice, bob):
    """Q3 2025: alice renews two accounts (1,000 and 2,000 MRR), bob one (500); all scored."""
    as_of = date(2025, 7, 1)
    terms = {
        "alice_small": renewal(alice, ends=date(2025, 8, 15), name="Alpha"),
        "alice_large": renewal(alice, ends=date(2025, 9, 10), mrr="2000.00", name="Beta"),
        "bob": renewal(bob, ends=date(2025, 8, 20), mrr="500.00", name="Gamma"),
    }
    for key, p in (("alice_small", 0.1), ("alice_large", 0.5), ("bob", 0.2)):
        score(terms[key].account, as_of=as_of, p=p)
    return terms
