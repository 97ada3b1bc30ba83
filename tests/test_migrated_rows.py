"""A test that commits ends with a flush; the next test, whichever it is, still finds every row
the migrations installed (tests/migrated_rows.py)."""

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS

from healthscores.models import HealthModel
from tests.migrated_rows import copy_rows, load_rows, migrated_models


def every_row() -> list[dict]:
    """Each row of each table, content types and permissions included, by natural key where the
    model has one (the ids of those change with each flush)."""
    rows = json.loads(
        serializers.serialize(
            "json",
            (
                obj
                for model in migrated_models(DEFAULT_DB_ALIAS)
                for obj in model._base_manager.order_by("pk")
            ),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
    )
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


@pytest.mark.django_db
def test_the_copy_keeps_a_timestamp_to_the_microsecond():
    # JSON keeps milliseconds: a row written at .000250 came back as .000000 (a 1-in-1000 flake).
    written = datetime(2026, 12, 3, 14, 31, 31, 250, tzinfo=UTC)
    HealthModel.objects.filter(name="Default").update(updated_at=written)
    copy = copy_rows(DEFAULT_DB_ALIAS, [HealthModel])
    HealthModel.objects.filter(name="Default").update(updated_at=written.replace(microsecond=0))

    load_rows(DEFAULT_DB_ALIAS, copy)

    assert HealthModel.objects.get(name="Default").updated_at == written
