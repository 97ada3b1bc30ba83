"""What each role may do with tasks and playbooks (data migration 0003 grants it).

CSMs add and work on tasks; leaders read tasks and playbooks (the team view, dry runs); admins
may do everything, editing playbooks included. The playbook pages are for users who see every
account (a run names its account), so CSMs do not get to read playbooks.
"""

CSM_PERMISSIONS = ["view_task", "add_task", "change_task"]
LEADER_PERMISSIONS = ["view_task", "view_playbook", "view_playbookrun"]


def grant_playbook_permissions(apps, schema_editor=None) -> None:
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create ours now to assign them
    # (a migration's app registry says the app has no models module: pretend for a moment).
    config = apps.get_app_config("playbooks")
    if getattr(config, "models_module", None) is None:
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    else:
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="playbooks")
    for name, codenames in (("CSM", CSM_PERMISSIONS), ("Leader", LEADER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*ours.filter(codename__in=codenames))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*ours)
