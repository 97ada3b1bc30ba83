"""The three roles: CSM (own accounts), Leader (every account, read), Admin (everything)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEADER_PERMISSIONS = ["view_all_accounts", "view_account", "view_contact", "view_contract",
                      "view_ticket", "view_usagedaily", "view_note", "view_costmonth"]
CSM_PERMISSIONS = ["view_account", "view_contact", "view_contract", "view_ticket",
                   "view_usagedaily", "view_note", "add_note"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now to assign them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    accounts_perms = Permission.objects.filter(content_type__app_label="accounts")
    csm, _ = Group.objects.get_or_create(name="CSM")
    csm.permissions.add(*accounts_perms.filter(codename__in=CSM_PERMISSIONS))
    leader, _ = Group.objects.get_or_create(name="Leader")
    leader.permissions.add(*accounts_perms.filter(codename__in=LEADER_PERMISSIONS))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*Permission.objects.all())


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["CSM", "Leader", "Admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("surveys", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
