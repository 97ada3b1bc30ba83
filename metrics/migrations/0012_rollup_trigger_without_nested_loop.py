"""The rollup's invalidation trigger without a nested loop over its transition tables.

Transition tables have no statistics: `old_rows JOIN new_rows ON id` was planned as a nested
loop, 10,000 x 10,000 comparisons for an UPDATE of every account (24.5 s of a bulk action's
25.6 s at 10,000 accounts; an import updating every account paid it too). EXCEPT compares the
rows by hashing or sorting, once each; it treats NULLs as equal, as IS DISTINCT FROM does, and
an UPDATE keeps every row's id, so "a row of old_rows missing from new_rows" is "an account
whose segment, region or owner changed".
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION metrics_rollup_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
  ELSIF NOT EXISTS (
    SELECT id, segment, region, owner_id FROM old_rows
    EXCEPT
    SELECT id, segment, region, owner_id FROM new_rows
  ) THEN
    RETURN NULL;
  END IF;
  DELETE FROM metrics_portfoliorollup;
  UPDATE metrics_snapshotrun SET rollup_built = false WHERE rollup_built;
  RETURN NULL;
END $$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION metrics_rollup_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
  ELSIF NOT EXISTS (
    SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.segment, o.region, o.owner_id) IS DISTINCT FROM (n.segment, n.region, n.owner_id)
  ) THEN
    RETURN NULL;
  END IF;
  DELETE FROM metrics_portfoliorollup;
  UPDATE metrics_snapshotrun SET rollup_built = false WHERE rollup_built;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("metrics", "0011_snapshot_custom_numbers")]

    operations = [migrations.RunSQL(FUNCTION, PREVIOUS)]
