"""The application's database role cannot alter or remove an audit entry: the trigger refuses
UPDATE and DELETE whatever the statement, and only the retention function deletes, and only
entries older than its cutoff."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit import services
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def refused(sql: str, params=()) -> str:
    """Run `sql` as the application's role; the database's message when it is refused."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(caught.value)


def an_entry(**fields) -> AuditEntry:
    return services.record(
        "account.update", label="Acme", changes={"name": ["A", "Acme"]}, **fields
    )


def test_the_application_role_can_neither_update_nor_delete_an_entry_in_raw_sql():
    entry = an_entry()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        role = cursor.fetchone()[0]
    assert role == connection.settings_dict["USER"]  # the role the application runs as

    assert "append-only: UPDATE" in refused(
        "UPDATE audit_auditentry SET actor_label = 'nobody' WHERE id = %s", [entry.pk]
    )
    assert "append-only: DELETE" in refused("DELETE FROM audit_auditentry")
    assert "append-only" in refused("UPDATE audit_auditentry SET at = now() - interval '10 years'")
    entry.refresh_from_db()
    assert (entry.actor_label, entry.changes) == ("system", {"name": ["A", "Acme"]})


def test_the_orm_is_refused_too_and_the_entry_stays():
    entry = an_entry()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "account.update"


def test_an_old_entry_still_cannot_be_deleted_outside_the_retention_function():
    entry = an_entry()
    # Inserted with an old date (inserting is allowed; changing the date is not).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, actor_kind, actor_label, action, object_id, "
            "object_label, changes, details) VALUES (now() - interval '3 years', 'system', "
            "'system', 'account.update', '', 'old', '{}', '{}') RETURNING id"
        )
        (old_id,) = cursor.fetchone()
    assert "append-only" in refused("DELETE FROM audit_auditentry WHERE id = %s", [old_id])
    assert AuditEntry.objects.filter(pk__in=[entry.pk, old_id]).count() == 2


@override_settings(AUDIT_RETENTION_DAYS=365)
def test_the_retention_deletes_only_entries_older_than_the_setting():
    recent = an_entry()
    with connection.cursor() as cursor:
        for days in (400, 366, 300):
            cursor.execute(
                "INSERT INTO audit_auditentry (at, actor_kind, actor_label, action, object_id, "
                "object_label, changes, details) VALUES (now() - %s, 'system', 'system', "
                "'account.update', '', %s, '{}', '{}')",
                [timedelta(days=days), f"{days} days old"],
            )

    assert services.audit_prune(now=timezone.now()) == 2

    left = set(AuditEntry.objects.values_list("object_label", flat=True))
    assert left == {recent.object_label, "300 days old"}
    # The function's permission ends with it: the next DELETE is refused again.
    assert "append-only" in refused("DELETE FROM audit_auditentry")


@override_settings(AUDIT_RETENTION_DAYS=0)
def test_a_retention_of_zero_days_keeps_every_entry():
    an_entry()
    assert services.audit_prune() == 0
    assert AuditEntry.objects.count() == 1
