"""Usage rows become a table partitioned by month on `date` (docs/performance.md, issue 20).

The model is unchanged (same name, columns, constraint names): only the physical layout moves.
PostgreSQL wants every unique key of a partitioned table to hold the partition key, so the primary
key becomes (id, date); `usage_daily_unique` already starts with `date` and keeps its meaning.
Two functions stay in the database for the partition maintenance (accounts/partitions.py):
`northstar_month_partition` creates one month's partition (moving that month's rows out of the
default partition first), `northstar_ensure_month_partitions` every month of a date range.
"""

from django.db import migrations

FUNCTIONS = """
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
        -- Rows that arrived before their month's partition existed move to it.
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
"""

FORWARD = """
LOCK TABLE accounts_usagedaily IN ACCESS EXCLUSIVE MODE;
ALTER TABLE accounts_usagedaily RENAME TO accounts_usagedaily_unpartitioned;
CREATE TABLE accounts_usagedaily (
    LIKE accounts_usagedaily_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
    INCLUDING IDENTITY
) PARTITION BY RANGE (date);
SELECT northstar_ensure_month_partitions(
    'accounts_usagedaily',
    COALESCE((SELECT min(date) FROM accounts_usagedaily_unpartitioned), current_date),
    (date_trunc('month', GREATEST(current_date,
        COALESCE((SELECT max(date) FROM accounts_usagedaily_unpartitioned), current_date)))
     + interval '3 months')::date
);
INSERT INTO accounts_usagedaily OVERRIDING SYSTEM VALUE
SELECT * FROM accounts_usagedaily_unpartitioned ORDER BY date, account_id, user_id, feature;
SELECT setval(pg_get_serial_sequence('accounts_usagedaily', 'id'),
              COALESCE((SELECT max(id) FROM accounts_usagedaily_unpartitioned), 0) + 1, false);
DROP TABLE accounts_usagedaily_unpartitioned;
ALTER TABLE accounts_usagedaily ADD CONSTRAINT accounts_usagedaily_pkey PRIMARY KEY (id, date);
ALTER TABLE accounts_usagedaily ADD CONSTRAINT usage_daily_unique
    UNIQUE (date, account_id, user_id, feature);
CREATE TRIGGER accounts_usage_features
AFTER INSERT ON accounts_usagedaily
REFERENCING NEW TABLE AS new_usage_rows
FOR EACH STATEMENT EXECUTE FUNCTION accounts_usage_features_add();
ANALYZE accounts_usagedaily;
"""

BACKWARD = """
LOCK TABLE accounts_usagedaily IN ACCESS EXCLUSIVE MODE;
ALTER TABLE accounts_usagedaily RENAME TO accounts_usagedaily_partitioned;
CREATE TABLE accounts_usagedaily (
    LIKE accounts_usagedaily_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
    INCLUDING IDENTITY
);
INSERT INTO accounts_usagedaily OVERRIDING SYSTEM VALUE
SELECT * FROM accounts_usagedaily_partitioned ORDER BY date, account_id, user_id, feature;
SELECT setval(pg_get_serial_sequence('accounts_usagedaily', 'id'),
              COALESCE((SELECT max(id) FROM accounts_usagedaily_partitioned), 0) + 1, false);
DROP TABLE accounts_usagedaily_partitioned CASCADE;
ALTER TABLE accounts_usagedaily ADD CONSTRAINT accounts_usagedaily_pkey PRIMARY KEY (id);
ALTER TABLE accounts_usagedaily ADD CONSTRAINT usage_daily_unique
    UNIQUE (date, account_id, user_id, feature);
CREATE TRIGGER accounts_usage_features
AFTER INSERT ON accounts_usagedaily
REFERENCING NEW TABLE AS new_usage_rows
FOR EACH STATEMENT EXECUTE FUNCTION accounts_usage_features_add();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_sso_and_sessions")]

    operations = [
        migrations.RunSQL(
            sql=FUNCTIONS,
            reverse_sql="""
                DROP FUNCTION IF EXISTS northstar_ensure_month_partitions(text, date, date);
                DROP FUNCTION IF EXISTS northstar_month_partition(text, date);
            """,
        ),
        migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD),
    ]
