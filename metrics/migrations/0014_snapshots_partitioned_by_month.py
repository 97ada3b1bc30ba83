"""Snapshots become a table partitioned by month on `as_of` (issue 20, docs/scaling.md).

Only the physical layout moves: the model, columns, constraint and index names are unchanged.
The primary key becomes (id, as_of), since a partitioned table's keys must hold the partition
column; `snapshot_one_per_day (as_of, account_id)` already does. A night's job, the pages of one
date and retention (metrics/retention.py) then read or replace one month's partition, and
dropping daily rows of old months replaces a partition instead of deleting from a big table.
"""

from django.db import migrations

# Retention (metrics/retention.py): a month's partition is replaced by a new one holding only the
# rows of the day kept (its last snapshot date), then the old partition is dropped whole: no
# DELETE of 29 days' rows, no dead tuples, no vacuum. Any table partitioned by month works.
KEEP_ONE_DAY = r"""
CREATE OR REPLACE FUNCTION northstar_keep_one_day(parent text, month date, kept date)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    start date := date_trunc('month', month)::date;
    stop date := (date_trunc('month', month) + interval '1 month')::date;
    name text := parent || '_p' || to_char(month, 'YYYYMM');
    replacement text := parent || '_p' || to_char(month, 'YYYYMM') || '_kept';
    key text;
    rows bigint;
BEGIN
    IF to_regclass(name) IS NULL THEN
        RETURN 0;
    END IF;
    SELECT a.attname INTO key
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent::regclass;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   replacement, parent);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I = %L', replacement, name, key, kept);
    GET DIAGNOSTICS rows = ROW_COUNT;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, name);
    EXECUTE format('DROP TABLE %I', name);
    EXECUTE format('ALTER TABLE %I RENAME TO %I', replacement, name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, name, start, stop);
    RETURN rows;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_partition_functions_any_table"),
        ("metrics", "0013_snapshot_indexes_lead_with_account"),
    ]

    operations = [
        migrations.RunSQL(
            sql=KEEP_ONE_DAY,
            reverse_sql="DROP FUNCTION IF EXISTS northstar_keep_one_day(text, date, date)",
        ),
        migrations.RunSQL(
            sql="SELECT northstar_repartition('metrics_accountsnapshot', 'as_of', 'id, as_of')",
            reverse_sql="SELECT northstar_repartition('metrics_accountsnapshot', NULL, 'id')",
        )
    ]
