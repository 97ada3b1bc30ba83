"""Snapshots and scores partitioned by month (metrics 0014, healthscores 0011, churn 0004), and
their retention (metrics/retention.py): rows land in their month, a join of one date's scores
reads one month, and thinning an old month keeps its last date whole, changing no number."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Account
from churn.models import ChurnModel, ChurnScore
from healthscores.models import SnapshotHealth
from metrics import benchmark, retention
from metrics.models import AccountSnapshot, PortfolioRollup, SnapshotRun
from metrics.selectors import portfolio_kpis
from tests.metrics.conftest import normalised, recompute

DATES = (date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 31))
pytestmark = pytest.mark.django_db

SCORE_TABLES = ("metrics_accountsnapshot", "healthscores_snapshothealth", "churn_churnscore")


def partitions_of(model) -> dict[date, str]:
    """Each stored date of `model` and the partition its rows are in (one per date)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT as_of, tableoid::regclass::text FROM {table} ORDER BY 1"  # noqa: S608
        )
        rows = cursor.fetchall()
    assert len({day for day, _ in rows}) == len(rows), "a date split over partitions"
    return dict(rows)


def partition_oid(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [name])
        return cursor.fetchone()[0]


@pytest.fixture
def history(march_portfolio):
    recompute(*DATES)
    return march_portfolio


def test_every_table_of_a_date_is_partitioned_by_month_with_a_default():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'p'",
            [list(SCORE_TABLES)],
        )
        keys = dict(cursor.fetchall())
    assert keys == dict.fromkeys(SCORE_TABLES, "RANGE (as_of)")
    for table in SCORE_TABLES:
        assert partition_oid(f"{table}_default")


def test_a_dates_snapshots_and_scores_land_in_that_months_partition(history):
    expected = {
        day: f"metrics_accountsnapshot_p{day:%Y%m}" for day in DATES
    }  # made by the recompute itself, not by the migration's months around today
    assert partitions_of(AccountSnapshot) == expected
    assert partitions_of(SnapshotHealth) == {
        day: name.replace("metrics_accountsnapshot", "healthscores_snapshothealth")
        for day, name in expected.items()
    }


def test_a_written_month_has_statistics_that_count_its_rows(march_portfolio):
    """Autovacuum may be off: the job analyses the month it wrote, so that the pages and the
    next night do not plan over a partition their statistics call empty."""
    recompute(date(2024, 3, 15))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
            [[f"{table}_p202403" for table in SCORE_TABLES[:2]]],
        )
        counted = dict(cursor.fetchall())
    accounts = AccountSnapshot.objects.filter(as_of=date(2024, 3, 15)).count()
    assert accounts > 0
    assert counted == {
        "metrics_accountsnapshot_p202403": accounts,
        "healthscores_snapshothealth_p202403": accounts,
    }


def test_reading_one_dates_health_reads_one_month_of_scores(history):
    plan = (
        AccountSnapshot.objects.filter(as_of=date(2024, 3, 15)).select_related("health").explain()
    )
    assert "healthscores_snapshothealth_p202403" in plan
    assert "healthscores_snapshothealth_p202402" not in plan
    assert "healthscores_snapshothealth_default" not in plan


def test_the_join_condition_changes_no_result(history):
    rows = AccountSnapshot.objects.filter(as_of__in=DATES).select_related("health")
    for row in rows:
        assert row.health.snapshot_id == row.id
        assert row.health.as_of == row.as_of
    red_or_not = AccountSnapshot.objects.filter(health__score__isnull=False).count()
    assert red_or_not == SnapshotHealth.objects.filter(score__isnull=False).count()


def test_retention_keeps_the_last_date_of_each_month_before_the_daily_window(history):
    accounts = Account.objects.all()
    before = normalised(portfolio_kpis(as_of=date(2024, 3, 31), accounts=accounts))
    march = partition_oid("metrics_accountsnapshot_p202403")

    thinned = retention.thin_old_months(3, today=date(2024, 7, 10))  # daily from April on

    assert [(t.month, t.kept, t.dates_removed) for t in thinned] == [
        (date(2024, 2, 1), date(2024, 2, 29), 1),
        (date(2024, 3, 1), date(2024, 3, 31), 1),
    ]
    kept = {date(2024, 2, 29), date(2024, 3, 31)}
    assert set(SnapshotRun.objects.values_list("as_of", flat=True)) == kept
    assert set(partitions_of(AccountSnapshot)) == kept
    assert set(partitions_of(SnapshotHealth)) == kept
    assert set(PortfolioRollup.objects.values_list("as_of", flat=True)) <= kept
    assert thinned[1].rows_kept == AccountSnapshot.objects.filter(as_of=date(2024, 3, 31)).count()
    # The old partition was dropped whole and a new one attached in its place.
    assert partition_oid("metrics_accountsnapshot_p202403") != march
    assert normalised(portfolio_kpis(as_of=date(2024, 3, 31), accounts=accounts)) == before
    assert retention.thin_old_months(3, today=date(2024, 7, 10)) == []


def test_months_inside_the_daily_window_keep_every_day(history):
    assert retention.thin_old_months(3, today=date(2024, 5, 20)) == []  # daily from February
    assert set(SnapshotRun.objects.values_list("as_of", flat=True)) == set(DATES)


def test_no_retention_by_default(history, settings):
    settings.SNAPSHOT_DAILY_MONTHS = 0
    assert retention.thin_old_months(today=date(2030, 1, 1)) == []
    assert AccountSnapshot.objects.filter(as_of__in=DATES).values("as_of").distinct().count() == 4


def test_churn_scores_are_thinned_with_their_snapshots(history):
    account = Account.objects.first()
    model_id = _churn_model_id()
    for day in DATES:
        ChurnScore.objects.create(
            account=account, as_of=day, horizon_days=90, probability=0.2, model_id=model_id
        )
    retention.thin_old_months(3, today=date(2024, 7, 10))
    assert set(ChurnScore.objects.values_list("as_of", flat=True)) == {
        date(2024, 2, 29),
        date(2024, 3, 31),
    }


def _churn_model_id() -> int:
    return ChurnModel.objects.create(
        kind="logistic", horizon_days=90, version=1,
        train_to=date(2023, 12, 31), test_from=date(2024, 1, 1),
    ).pk  # fmt: skip


def test_the_command_reports_each_month_it_thinned(history, capsys):
    call_command("snapshot_retention", daily_months=3)  # today is long after March 2024
    out = capsys.readouterr().out
    assert "2024-02: kept 2024-02-29" in out
    assert "2024-03: kept 2024-03-31" in out
    assert "removed 1 date(s)" in out


def test_the_storage_benchmark_measures_years_of_copies_thinned_by_retention_and_keeps_none(
    history,
):
    figures = benchmark.storage_over_years(sample_accounts=3, years=2, daily_months=3)
    # 2011-01-01 .. 2012-12-31; from 2013-01 back, October to December 2012 keep every day and
    # each of the 21 months before them its last day.
    assert figures["days"] == 731
    assert figures["rows_per_account"] == {"every_day": 731, "with_retention": 92 + 21}
    per_day = figures["bytes_per_account_day"]
    # (with 3 accounts, each partition's first index pages outweigh its rows: no ratio here)
    assert 0 < per_day["with_retention"] < per_day["every_day"]
    assert set(figures["bytes_with_retention"]) == set(SCORE_TABLES)
    assert not AccountSnapshot.objects.filter(as_of__year__in=(2011, 2012)).exists()
    assert not SnapshotHealth.objects.filter(as_of__year__in=(2011, 2012)).exists()
