"""The snapshot's own index on account_id goes (issue 20): snapshot_account_idx (account, as_of)
leads with the same column and serves the cascade and the foreign key's checks.

Only the index is dropped: Django's AlterField would also drop and re-add the foreign key,
which validates it over every snapshot row (millions) under a lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_account_ancestors"),
        ("metrics", "0012_rollup_trigger_without_nested_loop"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="accountsnapshot",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="snapshots",
                        to="accounts.account",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS "metrics_accountsnapshot_account_id_a973c797"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "metrics_accountsnapshot_account_id_a973c797" '
                    'ON "metrics_accountsnapshot" ("account_id")',
                ),
            ],
        ),
    ]
