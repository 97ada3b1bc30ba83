"""Audit entries are append-only for every role the application connects as.

A row trigger refuses UPDATE and DELETE, so neither the ORM, nor raw SQL, nor an injected
statement can rewrite or remove history. The one exception is `audit_prune(cutoff)`, the
retention job's function: it marks its own transaction with the cutoff (a transaction-local
setting) and the trigger lets through the deletes of rows older than that cutoff only.

TRUNCATE fires no row trigger and is left to privileges: Django's test flush truncates every
table, and a production role that is not the table's owner has no TRUNCATE privilege
(docs/audit.md gives the GRANTs for a separate migration role, which also stops the application
from dropping the trigger).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prune_before timestamptz := nullif(current_setting('northstar.audit_prune_before', true), '');
BEGIN
    IF TG_OP = 'DELETE' AND prune_before IS NOT NULL AND OLD.at < prune_before THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Entries older than AUDIT_RETENTION_DAYS are removed by audit_prune().';
END $$;

CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();

CREATE FUNCTION audit_prune(cutoff timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    deleted bigint;
BEGIN
    PERFORM set_config('northstar.audit_prune_before', cutoff::text, true);
    DELETE FROM audit_auditentry WHERE at < cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('northstar.audit_prune_before', '', true);
    RETURN deleted;
END $$;
"""

BACKWARD = """
DROP FUNCTION audit_prune(timestamptz);
DROP TRIGGER audit_entry_append_only ON audit_auditentry;
DROP FUNCTION audit_entry_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
