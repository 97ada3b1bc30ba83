"""Leaders set the portfolio's targets on the page (issue 21): the Leader role gets the KPI
target permissions (admins have every permission already)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TARGET_PERMISSIONS = ["add_kpitarget", "change_kpitarget", "delete_kpitarget"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="metrics", codename__in=TARGET_PERMISSIONS
    )
    for name in ("Leader", "Admin"):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    leader = Group.objects.filter(name="Leader").first()
    if leader is not None:
        leader.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="metrics", codename__in=TARGET_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0008_movement_mrr_null_without_movement"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
