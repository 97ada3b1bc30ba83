"""The churn reasons feed the health lab as labels: per reason, how often the score warned 90
days ahead and how well it ranked those accounts below the ones that stayed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from renewals import lab
from renewals.models import ChurnReason, RenewalOutcome
from tests.factories import AccountFactory, ContractFactory
from tests.healthscores.conftest import AccountSnapshotFactory

LAST = date(2024, 9, 30)
LEAD = timedelta(days=lab.WARNING_DAYS)


def scored(account, day: date, score: float, band: str):
    AccountSnapshotFactory(account=account, as_of=day, health_score=score, health_band=band)


def outcome(account, *, ended: date, kind: str, reason: str | None = None, after: str = "0"):
    contract = ContractFactory(account=account, start_date=ended.replace(year=ended.year - 1),
                               end_date=ended)  # fmt: skip
    return RenewalOutcome.objects.create(
        contract=contract, account=account, ended_on=ended, kind=kind,
        mrr_before=Decimal(1000), mrr_after=Decimal(after), decided_on=ended,
        reason=ChurnReason.objects.get(name=reason) if reason else None,
    )  # fmt: skip


@pytest.fixture
def year(db):
    """Two retained accounts (80 and 60 on LAST - 90); a poor-adoption churn that was red (20)
    and a poor-adoption downsell that was green (70) 90 days before their terms ended; a churn
    without a reason and without an earlier score; outcomes the window leaves out."""
    for score in (80, 60):
        scored(AccountFactory(), LAST - LEAD, score, "green")
    churned = AccountFactory()
    scored(churned, date(2024, 6, 30) - LEAD, 20, "red")
    scored(churned, LAST - LEAD, 5, "red")  # a churner's later score is not "retained"
    outcome(churned, ended=date(2024, 6, 30), kind="churned", reason="Poor adoption")
    downsold = AccountFactory()
    scored(downsold, date(2024, 8, 31) - LEAD, 70, "green")
    outcome(downsold, ended=date(2024, 8, 31), kind="downsold", reason="Poor adoption", after="400")
    outcome(AccountFactory(), ended=date(2024, 7, 31), kind="churned")
    outcome(AccountFactory(), ended=date(2023, 9, 1), kind="churned", reason="Acquired")
    outcome(AccountFactory(), ended=date(2024, 8, 1), kind="renewed", after="1000")


def test_each_reason_says_how_often_the_score_warned_and_ranks_it_against_the_retained(year):
    lines, retained = lab.reason_lines(last=LAST)

    assert retained == 2
    assert [line.reason for line in lines] == ["Poor adoption", lab.NO_REASON]
    adoption, unexplained = lines
    assert (adoption.outcomes, adoption.churned, adoption.arr_lost) == (2, 1, 12000 + 7200)
    assert (adoption.scored, adoption.warned, adoption.warned_percent) == (2, 1, 50.0)
    assert adoption.mean_score == 45.0
    # Churners 20 and 70 against retained 80 and 60: 20 < 80, 20 < 60, 70 < 80, not 70 < 60.
    assert adoption.auc == 0.75
    assert (unexplained.outcomes, unexplained.scored, unexplained.auc) == (1, 0, None)
    assert unexplained.warned_percent is None


def test_the_health_lab_page_shows_the_reasons_panel(year, client, django_user_model):
    admin = django_user_model.objects.create_superuser("lab-admin", "lab@example.com", "pw-lab-1")
    client.force_login(admin)
    scored(AccountFactory(), LAST, 50, "yellow")  # the newest scored day

    page = client.get("/health/lab/").content.decode()

    assert 'id="reason-labels"' in page
    assert "Poor adoption" in page and "0.750" in page


def test_without_outcomes_the_panel_says_so(db):
    assert lab.lab_panel()["lines"] == []
