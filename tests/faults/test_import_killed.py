"""An import killed half-way (SIGKILL, as by the OOM killer or a lost SSH session) leaves the
database exactly as it was: the import is one transaction, and PostgreSQL rolls it back when
its client disappears."""

import os
import signal
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection

from tests.faults.conftest import ROOT, database_url_for_tests, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

USAGE_ROWS = 600_000


def fingerprint() -> dict[str, tuple[int, str]]:
    """Every project table's row count and a digest of all its rows."""
    prints = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                f"FROM {table} t"
            )
            prints[model._meta.label] = cursor.fetchone()
    return prints


APP_NAME = "northstar-import-killed"  # the import's connections, told apart in pg_stat_activity


def import_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        return cursor.fetchone()[0]


def write_import(directory, accounts: int, usage_rows: int, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["external_id,name,segment"]
    lines += [f"ACC{i},{name} {i},SMB" for i in range(accounts)]
    (directory / "accounts.csv").write_text("\n".join(lines) + "\n")
    first = date(2024, 1, 1)
    with (directory / "usage.csv").open("w") as usage:
        usage.write("account_external_id,user_id,date,feature,events\n")
        for row in range(usage_rows):
            day = first + timedelta(days=row // (accounts * 10) % 365)
            usage.write(f"ACC{row % accounts},u{row // accounts % 10},{day},f{row % 7},3\n")


def run(directory, **popen) -> subprocess.Popen:
    """`manage.py import_data directory` in its own process, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_tests(),
        "PGAPPNAME": APP_NAME,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_data", str(directory)], cwd=ROOT, env=env, **popen
    )


def test_an_import_killed_half_way_leaves_the_database_exactly_as_before(tmp_path):
    """An import_data killed with SIGKILL in the middle of a 600,000-row usage file: every
    table's rows are exactly as before it started (counts and contents)."""
    write_import(tmp_path / "first", accounts=50, usage_rows=2_000, name="First")
    assert run(tmp_path / "first", stdout=subprocess.DEVNULL).wait(timeout=120) == 0
    before = fingerprint()

    write_import(tmp_path / "second", accounts=200, usage_rows=USAGE_ROWS, name="Renamed")
    progress = tmp_path / "progress.log"
    importing = run(tmp_path / "second", stdout=subprocess.DEVNULL, stderr=progress.open("w"))
    wait_for(
        lambda: (
            "usage.csv: 100,000 rows checked" in progress.read_text()
            or importing.poll() is not None
        ),
        seconds=120,
        what="the import to reach 100,000 usage rows",
    )
    assert importing.poll() is None, "the import finished before it could be killed"
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=10)
    wait_for(lambda: import_backends() == 0, seconds=60, what="its backend to roll back")

    assert fingerprint() == before
