"""`make bench`'s churn figure times the real nightly chain with stand-in models, and leaves the
data set as it found it: no model, no score, no snapshot."""

from datetime import date, timedelta
from decimal import Decimal

from churn import benchmark
from churn.models import ChurnModel, ChurnScore
from metrics.models import AccountSnapshot
from tests.factories import AccountFactory, ContractFactory, UsageDailyFactory

AS_OF = date(2024, 6, 30)


def _book(accounts: int = 12) -> list[int]:
    """Paying accounts since 2023, half of them using their seats (so health differs)."""
    ids = []
    for n in range(accounts):
        account = AccountFactory()
        ContractFactory(account=account, start_date=date(2023, 1, 1), mrr=Decimal(500 + n),
                        seats=10)  # fmt: skip
        if n % 2:
            for day in range(0, 60, 7):
                UsageDailyFactory.create_batch(
                    8, account=account, date=AS_OF - timedelta(days=day), events=30
                )
        ids.append(account.pk)
    return ids


def test_the_churn_figure_scores_every_account_and_rolls_everything_back(db):
    ids = _book()

    figures = benchmark.scoring_cost(AS_OF, repeats=1)

    assert figures["scored_accounts"] == len(ids)
    assert figures["without_seconds"] > 0
    for kind in ("logistic", "boosted"):
        assert figures[f"{kind}_seconds"] > 0
        assert f"{kind}_cost_percent" in figures
    assert not ChurnModel.objects.exists()
    assert not ChurnScore.objects.exists()
    # The history the features read (59 and 30 days back) was computed for the timing only.
    assert not AccountSnapshot.objects.exists()


def test_an_active_model_of_the_data_set_is_active_again_afterwards(db):
    _book()
    kept = ChurnModel.objects.create(
        kind="logistic", horizon_days=90, version=1, is_active=True, features=[],
        train_to=AS_OF, test_from=AS_OF,
    )  # fmt: skip

    benchmark.scoring_cost(AS_OF, repeats=1)

    kept.refresh_from_db()
    assert kept.is_active
    assert list(ChurnModel.objects.all()) == [kept]
