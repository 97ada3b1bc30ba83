"""Installs the default playbooks added since 0002 ("Health entered red"), inactive: an account
red for a while (entered red during a backfill, before any alert ran) still gets a task once the
defaults are on, since a band streak enrols from its first day."""

from django.db import migrations

from playbooks.defaults import install_default_playbooks


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0004_survey_action")]

    operations = [migrations.RunPython(install_default_playbooks, migrations.RunPython.noop)]
