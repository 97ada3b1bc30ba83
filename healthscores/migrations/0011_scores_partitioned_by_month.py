"""Health scores become a table partitioned by month on `as_of`, like their snapshots (metrics
0014). The primary key becomes (snapshot_id, as_of); the relation to the snapshot joins on the
date too (SameDateOneToOneField), so a join reads only the snapshots' months of scores."""

import django.db.models.deletion
from django.db import migrations

import healthscores.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_partition_functions_any_table"),
        ("healthscores", "0010_snapshot_indexes_lead_with_account"),
        ("metrics", "0014_snapshots_partitioned_by_month"),
    ]

    operations = [
        migrations.AlterField(
            model_name="snapshothealth",
            name="snapshot",
            field=healthscores.models.SameDateOneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="health",
                serialize=False,
                to="metrics.accountsnapshot",
            ),
        ),
        migrations.RunSQL(
            sql="SELECT northstar_repartition("
            "'healthscores_snapshothealth', 'as_of', 'snapshot_id, as_of')",
            reverse_sql="SELECT northstar_repartition("
            "'healthscores_snapshothealth', NULL, 'snapshot_id')",
        ),
    ]
