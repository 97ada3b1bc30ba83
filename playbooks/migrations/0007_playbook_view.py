"""Playbooks trigger on views (accounts.View): the view field and the triggers "enters a view"
and "leaves a view" (issue 16). Saved filters become views in 0008 and go in 0009."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_views"),
        ("playbooks", "0006_task_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="playbook",
            name="view",
            field=models.ForeignKey(
                blank=True,
                help_text="The view an account matches, enters or leaves.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="playbooks",
                to="accounts.view",
            ),
        ),
        migrations.AlterField(
            model_name="playbook",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("band_entered", "Health entered a band"),
                    ("health_fell", "Health fell by N points in D days"),
                    ("renewal_within", "Renewal in N days"),
                    ("champion_left", "A champion left"),
                    ("detractor", "A detractor response"),
                    ("usage_below", "Usage trend below X %"),
                    ("seats_above", "Seat utilisation above X %"),
                    ("onboarding", "An account started onboarding (its first contract)"),
                    ("filter_match", "An account matches a view for the first time"),
                    ("view_entered", "An account enters a view"),
                    ("view_left", "An account leaves a view"),
                ],
                max_length=20,
            ),
        ),
    ]
