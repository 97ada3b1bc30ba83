"""Installs the default playbooks (playbooks/defaults.py), inactive until an admin turns them on."""

from django.db import migrations

from playbooks.defaults import DEFAULT_NAMES, install_default_playbooks


def remove_default_playbooks(apps, schema_editor):
    apps.get_model("playbooks", "Playbook").objects.filter(name__in=DEFAULT_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_initial")]

    operations = [migrations.RunPython(install_default_playbooks, remove_default_playbooks)]
