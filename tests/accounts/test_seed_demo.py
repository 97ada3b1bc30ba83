"""`seed_demo`: deterministic demo data that passes the import and tells a churn story."""

import io
import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum

from accounts.demo.files import HEADERS, demo_files_write
from accounts.demo.users import DEMO_PASSWORD, DEMO_USERS
from accounts.models import Account, Contact, Contract, CostMonth, Ticket, UsageDaily
from surveys.models import SurveyResponse
from tests.factories import UserFactory

TODAY = date(2025, 6, 30)
ACCOUNTS = 20


def seed() -> str:
    """Run `seed_demo` on a small demo ending on TODAY; return what it printed."""
    stdout = io.StringIO()
    # The test settings run with DEBUG off, like production.
    arguments = ["--accounts", str(ACCOUNTS), "--today", TODAY.isoformat(),
                 "--i-know-this-is-not-production"]  # fmt: skip
    call_command("seed_demo", *arguments, stdout=stdout)
    return stdout.getvalue()


def row_counts() -> dict[str, int]:
    models = (Account, Contact, Contract, Ticket, UsageDaily, SurveyResponse, CostMonth)
    return {model.__name__: model.objects.count() for model in models}


def paid_contracts_by_account() -> dict[int, list[Contract]]:
    contracts: dict[int, list[Contract]] = {}
    for contract in Contract.objects.filter(mrr__gt=0).order_by("account_id", "start_date"):
        contracts.setdefault(contract.account_id, []).append(contract)
    return contracts


def churn_days(contracts: list[Contract]) -> list[date]:
    """Days a customer stopped paying: a contract ended and nothing covered the next day."""
    days = []
    for contract in contracts:
        following = contract.end_date + timedelta(days=1)
        covered = any(other.start_date <= following <= other.end_date for other in contracts)
        if following <= TODAY and not covered:
            days.append(following)
    return days


@pytest.mark.django_db
def test_the_command_loads_rows_into_every_table_and_prints_the_logins():
    output = seed()

    assert all(count > 0 for count in row_counts().values()), row_counts()
    assert Account.objects.count() == ACCOUNTS
    assert "http://127.0.0.1:8000" in output
    assert all(user.username in output for user in DEMO_USERS)


def test_the_same_seed_and_day_write_byte_identical_files(tmp_path: Path):
    first, second, other = tmp_path / "first", tmp_path / "second", tmp_path / "other"
    for directory, seed_value in ((first, 7), (second, 7), (other, 8)):
        directory.mkdir()
        demo_files_write(directory, accounts=ACCOUNTS, seed=seed_value, today=TODAY)

    for kind in HEADERS:
        assert (first / f"{kind}.csv").read_bytes() == (second / f"{kind}.csv").read_bytes()
    assert (first / "usage.csv").read_bytes() != (other / "usage.csv").read_bytes()


def test_the_files_cover_three_years_ending_on_the_as_of_date(tmp_path: Path):
    demo_files_write(tmp_path, accounts=ACCOUNTS, seed=42, today=TODAY)

    usage_days = {line.split(",")[2] for line in (tmp_path / "usage.csv").open().readlines()[1:]}
    months = [line.split(",")[0] for line in (tmp_path / "costs.csv").open().readlines()[1:]]
    assert max(usage_days) == TODAY.isoformat()
    assert min(usage_days) >= "2022-07-01"
    assert months[0] == "2022-07" and months[-1] == "2025-06" and len(months) == 36


@pytest.mark.django_db
def test_running_the_command_twice_duplicates_nothing():
    seed()
    before = row_counts()

    output = seed()

    assert row_counts() == before
    summary = [line for line in output.splitlines() if line.endswith("inserted or changed")]
    assert len(summary) == len(HEADERS)
    assert all(line.endswith(" 0 inserted or changed") for line in summary)


@pytest.mark.django_db
def test_the_demo_users_exist_and_log_in_with_the_demo_password(client):
    seed()

    for user in DEMO_USERS:
        assert client.login(username=user.username, password=DEMO_PASSWORD), user.username
        client.logout()
    owners = set(Account.objects.values_list("owner__username", flat=True))
    assert owners <= {"csm1", "csm2", "csm3"} and len(owners) > 1


@pytest.mark.django_db
def test_the_demo_has_churned_reactivated_and_trial_accounts():
    seed()
    contracts = paid_contracts_by_account()

    churned_now = [
        account
        for account, items in contracts.items()
        if not any(item.start_date <= TODAY <= item.end_date for item in items)
    ]
    reactivated = [
        account
        for account, items in contracts.items()
        if any(b.start_date > a.end_date + timedelta(days=1) for a, b in itertools.pairwise(items))
    ]
    in_trial = Account.objects.filter(
        trial_started_on__gt=TODAY - timedelta(days=30), converted_on=None, contracts=None
    )
    assert churned_now and reactivated and in_trial.exists()
    stages = set(Account.objects.values_list("lifecycle_stage", flat=True))
    assert {"active", "churned", "trial"} <= stages


@pytest.mark.django_db
def test_churners_use_the_product_less_just_before_churning_than_half_a_year_before():
    seed()
    first_day = TODAY - timedelta(days=3 * 365)
    late = early = 0
    for account, contracts in paid_contracts_by_account().items():
        for churn in churn_days(contracts):
            if churn - timedelta(days=180) < first_day:
                continue
            usage = UsageDaily.objects.filter(account_id=account)
            late += (
                usage.filter(
                    date__range=(churn - timedelta(days=60), churn - timedelta(days=1))
                ).aggregate(events=Sum("events"))["events"]
                or 0
            )
            early += (
                usage.filter(
                    date__range=(churn - timedelta(days=180), churn - timedelta(days=121))
                ).aggregate(events=Sum("events"))["events"]
                or 0
            )

    assert early > 0
    assert late < 0.7 * early


@pytest.mark.django_db
def test_some_accounts_have_more_active_users_than_seats():
    seed()
    window = (TODAY - timedelta(days=29), TODAY)

    over_seated = 0
    for contract in Contract.objects.filter(start_date__lte=TODAY, end_date__gte=TODAY):
        active_users = (
            UsageDaily.objects.filter(
                account_id=contract.account_id, date__range=window, events__gt=0
            )
            .values("user_id")
            .distinct()
            .count()
        )
        over_seated += active_users > contract.seats
    assert over_seated >= 1


@pytest.mark.django_db
def test_with_debug_off_the_command_refuses_to_run_unless_told_this_is_not_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="runs only with DEBUG on") as refused:
        call_command("seed_demo", "--accounts", "2", stdout=io.StringIO())

    assert "--i-know-this-is-not-production" in str(refused.value)
    assert not get_user_model().objects.exists()
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_with_debug_on_the_command_runs_without_being_told(settings):
    settings.DEBUG = True
    stdout = io.StringIO()

    call_command("seed_demo", "--accounts", "2", "--today", TODAY.isoformat(), stdout=stdout)

    assert Account.objects.count() == 2


@pytest.mark.django_db
def test_an_existing_user_of_a_demo_name_is_never_touched(client):
    real_admin = UserFactory(username="admin", email="ops@customer.example", is_superuser=True)
    before = get_user_model().objects.values().get(pk=real_admin.pk)

    output = seed()

    assert get_user_model().objects.values().get(pk=real_admin.pk) == before
    assert not client.login(username="admin", password=DEMO_PASSWORD)
    assert client.login(username="admin", password="password")  # the factory's, still
    assert client.login(username="csm1", password=DEMO_PASSWORD)
    assert "admin    (existed already: left unchanged)" in output
