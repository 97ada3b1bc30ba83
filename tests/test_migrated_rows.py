"""A test that commits ends with a flush; the next test, whichever it is, still finds every row
the migrations installed (tests/migrated_rows.py)."""

import json

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS

from tests.migrated_rows import migrated_models, rows_as_json


def every_row() -> list[dict]:
    """Each row of each table, content types and permissions included, by natural key where the
    model has one (the ids of those change with each flush)."""
    rows = json.loads(rows_as_json(DEFAULT_DB_ALIAS, migrated_models(DEFAULT_DB_ALIAS)))
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


@pytest.fixture
def flush():
    """Django's flush, as a transactional test's teardown runs it, inside this test's
    transaction (rolled back after it, content types and their cache too)."""
    yield lambda: call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()


@pytest.mark.django_db
def test_a_flush_puts_back_every_row_the_migrations_installed(flush):
    migrated = every_row()
    assert {"CSM", "Leader", "Admin"} <= set(Group.objects.values_list("name", flat=True))

    flush()

    assert every_row() == migrated
