"""Trailing 3- and 12-month periods on the portfolio (issue 21): the 3-month cohort.

Existing snapshot rows get their MRR on D3, the day before the 3 calendar months ending with
D's month (the last day of the month 3 months before), computed from the contracts in one
statement, as 0007 did for D12; the rollup, which now has nine more sums (the 3-month cohort's
MRR and both cohorts' customers), is emptied and marked stale: pages read the snapshot rows until
the next nightly job or `recompute_snapshots` rebuilds it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0009_leaders_set_targets'),
    ]

    operations = [
        migrations.AddField(
            model_name='accountsnapshot',
            name='mrr_3m_ago',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_churned',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_customers',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_12m_joined',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_churned',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_customers',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_joined',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_kept_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='portfoliorollup',
            name='cohort_3m_start_mrr',
            field=models.DecimalField(decimal_places=8, default=0, max_digits=24),
            preserve_default=False,
        ),
        migrations.RunSQL(
            """
            UPDATE metrics_accountsnapshot s
            SET mrr_3m_ago = m.mrr
            FROM (
                SELECT d.as_of, c.account_id, SUM(c.mrr) AS mrr
                FROM (
                    SELECT as_of,
                        (date_trunc('month', as_of) - interval '2 months' - interval '1 day')::date
                            AS d3
                    FROM (SELECT DISTINCT as_of FROM metrics_accountsnapshot) dates
                ) d
                JOIN accounts_contract c
                  ON c.start_date <= d.d3 AND (c.end_date IS NULL OR c.end_date >= d.d3)
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
