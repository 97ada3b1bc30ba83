"""Planner statistics after large writes, on a server where autovacuum may be off (this
project's own is one): a write that changes more than a tenth of a table's rows, or fills a
table never analysed, ends with an ANALYZE of it, in the import, a backfill and the API."""

import contextlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Account
from accounts.sql import analyze_if_changed, analyze_wanted
from tests.api.conftest import bearer, key, make_key  # noqa: F401 (fixtures)
from tests.metrics.conftest import march_portfolio  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def statistics(table: str) -> tuple[float, bool]:
    """(reltuples, whether the table was ANALYZEd by hand during this test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read the stats as they are now
        cursor.execute(
            "SELECT c.reltuples, COALESCE(s.last_analyze >= now(), false) "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = %s::regclass",
            [table],
        )
        return cursor.fetchone()


def test_an_import_into_empty_tables_leaves_them_with_statistics(run_import, csv_dir, write_csv):
    accounts = "".join(f"A{n},Account {n}\n" for n in range(120))
    usage = "".join(f"A{n % 120},u{n},2024-03-{n % 28 + 1:02d},reports,3\n" for n in range(700))
    write_csv(csv_dir, "accounts.csv", "external_id,name\n" + accounts)
    write_csv(csv_dir, "usage.csv", "account_external_id,user_id,date,feature,events\n" + usage)

    result = run_import(csv_dir)

    assert result.error is None, result.stderr
    assert statistics("accounts_account") == (120, True)
    assert statistics("accounts_usagedaily") == (700, True)


def test_a_refused_import_analyses_nothing(run_import, csv_dir, write_csv):
    write_csv(csv_dir, "accounts.csv", "external_id,name\nA1,Acme\nA2,\n")

    run_import(csv_dir)

    assert statistics("accounts_account")[1] is False


@pytest.mark.parametrize(
    ("reltuples", "live", "changed", "written", "wanted"),
    [
        (-1, 0, 0, 1, True),  # never analysed: no statistics at all
        (0, 0, 0, 1, True),  # analysed empty
        (200, 200, 0, 20, False),  # a tenth
        (200, 200, 0, 21, True),
        (200, 200, 15, 6, True),  # with the changes counted since the last ANALYZE
        (200, 200, 0, 0, False),  # nothing written
        (18_000, 0, 0, 700, True),  # reltuples of rows rolled back; the table is empty
    ],
)
def test_a_table_is_analysed_when_a_write_changes_more_than_a_tenth_of_it(
    reltuples, live, changed, written, wanted
):
    decided = analyze_wanted(reltuples=reltuples, live=live, changed=changed, written=written)

    assert decided is wanted


def test_statistics_of_rows_rolled_back_do_not_hold_back_the_next_analyze(db):
    with connection.cursor() as cursor:
        with contextlib.suppress(RuntimeError), transaction.atomic():
            Account.objects.bulk_create(Account(external_id=f"A{n}", name="A") for n in range(500))
            analyze_if_changed(cursor, "accounts_account", 500)  # reltuples: 500, kept
            raise RuntimeError("the import failed after its ANALYZE")

        Account.objects.bulk_create(Account(external_id=f"B{n}", name="B") for n in range(30))

        assert analyze_if_changed(cursor, "accounts_account", 30)  # 30 rows, not 500 + 30
    assert statistics("accounts_account")[0] == 30


def test_a_backfill_leaves_the_snapshot_and_score_tables_with_statistics(march_portfolio):  # noqa: F811
    call_command(
        "recompute_snapshots", "--from", "2024-03-01", "--to", "2024-03-10", stdout=io.StringIO()
    )

    assert statistics("metrics_accountsnapshot") == (80, True)  # 8 accounts x 10 dates
    assert statistics("healthscores_snapshothealth") == (80, True)
    assert statistics("metrics_portfoliorollup")[1] is True


def test_a_large_api_write_into_an_empty_table_leaves_it_with_statistics(client, key):  # noqa: F811
    items = [{"external_id": f"A{n}", "name": f"Account {n}"} for n in range(150)]

    response = client.post(
        "/api/v1/accounts",
        data=json.dumps({"items": items}),
        content_type="application/json",
        headers=bearer(key),
    )

    assert response.status_code == 200, response.content
    assert statistics("accounts_account") == (150, True)
