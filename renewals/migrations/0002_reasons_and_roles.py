"""The default library of churn reasons (admins edit it), and the roles' permissions: CSMs call
their renewals and give the reason of a churn; leaders read; admins may do everything."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REASONS = [
    "Price", "Product fit", "Champion left", "Acquired", "Budget cut", "Moved to competitor",
    "Poor adoption", "Support experience", "Company closed",
]  # fmt: skip
CSM = ["add_renewalcall", "change_renewalcall", "view_renewalcall", "record_churn_reason",
       "view_renewaloutcome", "view_renewalforecast"]  # fmt: skip
LEADER = ["view_renewalcall", "view_renewaloutcome", "view_renewalforecast", "view_churnreason"]
ADMIN = [*CSM, *LEADER, "add_churnreason", "change_churnreason", "delete_churnreason"]


def forward(apps, schema_editor):
    ChurnReason = apps.get_model("renewals", "ChurnReason")
    for position, name in enumerate(REASONS):
        ChurnReason.objects.get_or_create(name=name, defaults={"position": position})
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="renewals")
    for name, codenames in (("CSM", CSM), ("Leader", LEADER), ("Admin", ADMIN)):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*ours.filter(codename__in=codenames))


def backward(apps, schema_editor):
    apps.get_model("renewals", "ChurnReason").objects.filter(
        name__in=REASONS, outcomes__isnull=True
    ).delete()
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["CSM", "Leader", "Admin"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="renewals"))


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0001_initial"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
