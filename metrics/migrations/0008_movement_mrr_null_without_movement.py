"""movement_mrr is NULL when there is no movement (kpi-spec section 7): the column takes NULL and
the stored rows without a movement lose their 0, so old and new dates read the same."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_trailing_12m_cohort"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accountsnapshot",
            name="movement_mrr",
            field=models.DecimalField(decimal_places=2, max_digits=14, null=True),
        ),
        migrations.RunSQL(
            "UPDATE metrics_accountsnapshot SET movement_mrr = NULL WHERE movement IS NULL",
            # Going back, the NOT NULL column needs its old 0 again.
            reverse_sql=(
                "UPDATE metrics_accountsnapshot SET movement_mrr = 0 WHERE movement_mrr IS NULL"
            ),
        ),
    ]
