"""Churn scores become a table partitioned by month on `as_of`, like the snapshots they are
computed from (metrics 0014): the primary key becomes (id, as_of); `churn_score_unique
(account_id, as_of, horizon_days)` already holds the date."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_partition_functions_any_table"),
        ("churn", "0003_scores_without_database_keys_or_date_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql="SELECT northstar_repartition('churn_churnscore', 'as_of', 'id, as_of')",
            reverse_sql="SELECT northstar_repartition('churn_churnscore', NULL, 'id')",
        )
    ]
