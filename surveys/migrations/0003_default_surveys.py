"""Installs the three default surveys (NPS, CSAT, CES) and lets CSMs and admins send them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from surveys.defaults import grant_invite_permission, install_default_surveys


def install(apps, schema_editor):
    install_default_surveys(apps, schema_editor)
    # Permissions are normally created after all migrations; create ours now to assign them.
    app_config = apps.get_app_config("surveys")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    grant_invite_permission(apps, schema_editor)


def remove(apps, schema_editor):
    apps.get_model("surveys", "Survey").objects.filter(invitations=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_survey_invitation"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(install, remove)]
