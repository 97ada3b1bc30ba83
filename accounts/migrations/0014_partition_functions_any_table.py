"""The month-partition functions of 0008 work for any table partitioned by a date column
(snapshots and scores are partitioned by `as_of` from metrics 0014, healthscores 0011, churn
0004), and a third function turns a table into a partitioned one or back.

- `northstar_month_partition(parent, month)` reads the partition column from the catalog
  instead of assuming `date`, and takes the table's SHARE UPDATE EXCLUSIVE lock first, so that
  two workers backfilling dates of the same new month do not both create it (the one that
  waited gets NULL, and `northstar_ensure_month_partitions` counts only what it created).
- `northstar_repartition(table, column, primary_key)` rebuilds `table` partitioned by month on
  `column` (or, with `column` NULL, as a plain table again): the same columns, defaults, checks
  and identity, every row, the sequence's position, then its unique and foreign keys and its
  indexes re-created from their definitions in the catalog (so it needs no column list and
  keeps up with columns added later). `primary_key` is the new key's column list: a partitioned
  table's keys must contain the partition column. It refuses a table that other tables' foreign
  keys point to (none of the partitioned ones has one).
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION northstar_month_partition(parent text, month date)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    start date := date_trunc('month', month)::date;
    stop date := (date_trunc('month', month) + interval '1 month')::date;
    name text := parent || '_p' || to_char(month, 'YYYYMM');
    fallback text := parent || '_default';
    key text;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    -- Self-conflicting, as ATTACH PARTITION is, yet no obstacle to reads and writes; taking a
    -- table lock also reads the catalog changes committed meanwhile (an advisory lock does not).
    EXECUTE format('LOCK TABLE %I IN SHARE UPDATE EXCLUSIVE MODE', parent);
    IF to_regclass(name) IS NOT NULL THEN  -- created by another session while this one waited
        RETURN NULL;
    END IF;
    SELECT a.attname INTO key
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent::regclass;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   name, parent);
    IF to_regclass(fallback) IS NOT NULL THEN
        -- Rows that arrived before their month's partition existed move to it.
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L '
                       'RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       fallback, key, start, key, stop, name);
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, name, start, stop);
    RETURN name;
END $$;

CREATE OR REPLACE FUNCTION northstar_ensure_month_partitions(parent text, first date, last date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first)::date;
    made integer := 0;
BEGIN
    IF to_regclass(parent || '_default') IS NULL THEN
        -- Self-conflicting, as ATTACH PARTITION is, yet no obstacle to reads and writes; taking a
    -- table lock also reads the catalog changes committed meanwhile (an advisory lock does not).
    EXECUTE format('LOCK TABLE %I IN SHARE UPDATE EXCLUSIVE MODE', parent);
        IF to_regclass(parent || '_default') IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
        END IF;
    END IF;
    WHILE month <= last LOOP
        IF to_regclass(parent || '_p' || to_char(month, 'YYYYMM')) IS NULL THEN
            IF northstar_month_partition(parent, month) IS NOT NULL THEN
                made := made + 1;
            END IF;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END $$;

CREATE OR REPLACE FUNCTION northstar_repartition(
    tbl text, partition_column text, primary_key text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_rebuilt';
    index_definitions text[];
    constraint_definitions text[];
    definition text;
    first_day date;
    last_day date;
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE confrelid = tbl::regclass AND contype = 'f') THEN
        RAISE EXCEPTION 'northstar_repartition: foreign keys point to %', tbl;
    END IF;
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', tbl);
    -- Indexes that no constraint owns (those come back with their constraint), and the unique,
    -- foreign-key and exclusion constraints, as the catalog defines them.
    SELECT coalesce(array_agg(regexp_replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')),
                    '{}')
    INTO index_definitions
    FROM pg_index i
    WHERE i.indrelid = tbl::regclass
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid
                      AND c.conrelid = tbl::regclass);
    SELECT coalesce(array_agg(format('ALTER TABLE %I ADD CONSTRAINT %I %s',
                                     tbl, c.conname, pg_get_constraintdef(c.oid))), '{}')
    INTO constraint_definitions
    FROM pg_constraint c
    WHERE c.conrelid = tbl::regclass AND c.contype IN ('u', 'f', 'x');

    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    IF partition_column IS NULL THEN
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                       'INCLUDING IDENTITY)', tbl, old);
    ELSE
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                       'INCLUDING IDENTITY) PARTITION BY RANGE (%I)', tbl, old, partition_column);
        EXECUTE format('SELECT min(%I), max(%I) FROM %I', partition_column, partition_column, old)
        INTO first_day, last_day;
        PERFORM northstar_ensure_month_partitions(
            tbl, coalesce(first_day, current_date),
            (date_trunc('month', greatest(current_date, coalesce(last_day, current_date)))
             + interval '3 months')::date);
    END IF;
    EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', tbl, old);
    -- The identity's new sequence continues where the old one was, and takes its name.
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl::regclass AND attname = 'id'
               AND attidentity <> '') THEN
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), '
                       'coalesce((SELECT max(id) FROM %I), 0) + 1, false)', tbl, old);
        EXECUTE format('DROP TABLE %I CASCADE', old);
        EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(tbl, 'id'),
                       tbl || '_id_seq');
    ELSE
        EXECUTE format('DROP TABLE %I CASCADE', old);  -- CASCADE: a partitioned one's partitions
    END IF;
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)',
                   tbl, tbl || '_pkey', primary_key);
    FOREACH definition IN ARRAY constraint_definitions LOOP
        EXECUTE definition;
    END LOOP;
    FOREACH definition IN ARRAY index_definitions LOOP
        EXECUTE definition;
    END LOOP;
    EXECUTE format('ANALYZE %I', tbl);
END $$;
"""

# 0008's version, for going back.
OLD_MONTH_PARTITION = """
CREATE OR REPLACE FUNCTION northstar_month_partition(parent text, month date)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    start date := date_trunc('month', month)::date;
    stop date := (date_trunc('month', month) + interval '1 month')::date;
    name text := parent || '_p' || to_char(month, 'YYYYMM');
    fallback text := parent || '_default';
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   name, parent);
    IF to_regclass(fallback) IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE date >= %L AND date < %L '
                       'RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       fallback, start, stop, name);
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, name, start, stop);
    RETURN name;
END $$;
CREATE OR REPLACE FUNCTION northstar_ensure_month_partitions(parent text, first date, last date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first)::date;
    made integer := 0;
BEGIN
    IF to_regclass(parent || '_default') IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
    END IF;
    WHILE month <= last LOOP
        IF to_regclass(parent || '_p' || to_char(month, 'YYYYMM')) IS NULL THEN
            PERFORM northstar_month_partition(parent, month);
            made := made + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END $$;
DROP FUNCTION IF EXISTS northstar_repartition(text, text, text);
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_account_ancestors")]

    operations = [migrations.RunSQL(sql=FUNCTIONS, reverse_sql=OLD_MONTH_PARTITION)]
