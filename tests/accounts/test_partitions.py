"""Usage rows partitioned by month: inserts always land, months are created ahead, retention drops
partitions (accounts/partitions.py, migration 0008)."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts import partitions
from accounts.models import Account, UsageDaily, add_months

pytestmark = pytest.mark.django_db(transaction=True)


def _partition_of(row_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM accounts_usagedaily WHERE id = %s", [row_id]
        )
        return cursor.fetchone()[0]


def test_rows_without_a_partition_land_in_the_default_and_move_to_their_month():
    account = Account.objects.create(external_id="A-1", name="Acme")
    old = UsageDaily.objects.create(
        account=account, user_id="u", date=dt.date(2019, 5, 7), feature="f", events=3
    )
    assert _partition_of(old.id) == "accounts_usagedaily_default"
    assert partitions.ensure(dt.date(2019, 5, 1), dt.date(2019, 6, 1)) == 2
    assert _partition_of(old.id) == "accounts_usagedaily_p201905"
    assert UsageDaily.objects.get(id=old.id).events == 3
    assert dt.date(2019, 5, 1) in partitions.months()


def test_ensure_creates_the_coming_months(settings):
    settings.USAGE_PARTITION_MONTHS_AHEAD = 5
    partitions.ensure()
    today = timezone.localdate().replace(day=1)
    ahead = add_months(today, 5)
    assert {today, ahead} <= set(partitions.months())


def test_retention_drops_whole_partitions_older_than_the_setting():
    account = Account.objects.create(external_id="A-1", name="Acme")
    partitions.ensure(dt.date(2020, 1, 1), dt.date(2020, 4, 1))
    for month in (1, 2, 3, 4):
        UsageDaily.objects.create(
            account=account, user_id="u", date=dt.date(2020, month, 2), feature="f", events=1
        )
    dropped = partitions.drop_expired(2, today=dt.date(2020, 4, 15))
    # (earlier tests' partitions of 2019 may still exist: a flush empties tables, drops none)
    assert "accounts_usagedaily_p202001" in dropped
    assert all(name < "accounts_usagedaily_p202002" for name in dropped)
    assert sorted(UsageDaily.objects.values_list("date__month", flat=True)) == [2, 3, 4]
    assert partitions.drop_expired(0) == []


def test_unique_key_still_holds_across_the_partitioned_table():
    from django.db import IntegrityError

    account = Account.objects.create(external_id="A-1", name="Acme")
    day = timezone.localdate()
    UsageDaily.objects.create(account=account, user_id="u", date=day, feature="f", events=1)
    with pytest.raises(IntegrityError):
        UsageDaily.objects.create(account=account, user_id="u", date=day, feature="f", events=2)


def test_two_sessions_creating_the_same_month_do_not_collide():
    """Two backfill workers reaching a new month at once: the second waits for the first's
    partition (the table lock ATTACH PARTITION takes) and finds it made, instead of failing."""
    import threading

    from django.db import connections

    created_first, results = threading.Event(), {}
    release = threading.Event()

    def first():
        with transaction.atomic():
            results["first"] = partitions.ensure(dt.date(2018, 1, 1), dt.date(2018, 1, 1))
            created_first.set()
            release.wait(5)
        connections.close_all()

    def second():
        created_first.wait(5)
        try:
            results["second"] = partitions.ensure(dt.date(2018, 1, 1), dt.date(2018, 1, 1))
        except Exception as error:
            results["second"] = error
        connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    created_first.wait(5)
    threading.Timer(0.5, release.set).start()  # the second session is waiting by then
    for thread in threads:
        thread.join(10)
    assert results == {"first": 1, "second": 0}
