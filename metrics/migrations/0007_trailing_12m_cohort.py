"""Trailing-12-month retention (kpi-spec section 3, nrr_12m and grr_12m).

Existing snapshot rows get their MRR of 12 months earlier computed from the contracts (PostgreSQL's
date - interval '12 months' takes the month's last day when the day does not exist, as the spec
says), and the rollup, which now has three more sums, is emptied and marked stale: pages read the
snapshot rows until the next nightly job or `recompute_snapshots` rebuilds it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0006_health_moves_out'),
    ]

    operations = [
        migrations.AddField(
            model_name='accountsnapshot',
            name='mrr_12m_ago',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_kept_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_start_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.RunSQL(
            """
            UPDATE metrics_accountsnapshot s
            SET mrr_12m_ago = m.mrr
            FROM (
                SELECT d.as_of, c.account_id, SUM(c.mrr) AS mrr
                FROM (SELECT DISTINCT as_of FROM metrics_accountsnapshot) d
                JOIN accounts_contract c
                  ON c.start_date <= (d.as_of - interval '12 months')::date
                 AND (c.end_date IS NULL OR c.end_date >= (d.as_of - interval '12 months')::date)
                GROUP BY d.as_of, c.account_id
            ) m
            WHERE s.as_of = m.as_of AND s.account_id = m.account_id AND m.mrr <> 0
            """,
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "DELETE FROM metrics_portfoliorollup; UPDATE metrics_snapshotrun SET rollup_built = false",
            migrations.RunSQL.noop,
        ),
    ]
