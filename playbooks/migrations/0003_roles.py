"""Task and playbook permissions for the three roles (playbooks/roles.py)."""

from django.db import migrations

from playbooks.roles import grant_playbook_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("playbooks", "0002_default_playbooks"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_playbook_permissions, migrations.RunPython.noop)]
