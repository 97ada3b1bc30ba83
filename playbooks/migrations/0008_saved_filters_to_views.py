"""Every saved filter becomes a shared view of the same name, its conditions the view's
criteria in the playbook vocabulary (accounts.filters.Criterion), and the playbooks that
fired on it fire on the view: the same accounts, and their runs' signal `filter:<id>` renamed
to the view's id, so an account that entered once never enters again. Backwards, the views
playbooks name become saved filters again (their runs' signals renamed back)."""

from django.db import migrations


def _values(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def saved_filters_to_views(apps, schema_editor) -> None:
    SavedFilter = apps.get_model("playbooks", "SavedFilter")
    Playbook = apps.get_model("playbooks", "Playbook")
    PlaybookRun = apps.get_model("playbooks", "PlaybookRun")
    View = apps.get_model("accounts", "View")
    taken = set(View.objects.filter(owner__isnull=True).values_list("name", flat=True))
    for saved in SavedFilter.objects.order_by("pk"):
        conditions = [
            [c.field, c.operator, _values(c.value)] for c in saved.conditions.order_by("pk")
        ]
        name = saved.name
        while name in taken:
            name = f"{name} (saved filter)"[:100]
        taken.add(name)
        view = View.objects.create(
            name=name,
            description=saved.description,
            visibility="shared",
            definition={"conditions": conditions} if conditions else {},
        )
        playbooks = Playbook.objects.filter(saved_filter=saved)
        PlaybookRun.objects.filter(playbook__in=playbooks, signal=f"filter:{saved.pk}").update(
            signal=f"filter:{view.pk}"
        )
        playbooks.update(view=view, saved_filter=None)
        saved.conditions.all().delete()
        saved.delete()


def views_to_saved_filters(apps, schema_editor) -> None:
    SavedFilter = apps.get_model("playbooks", "SavedFilter")
    Condition = apps.get_model("playbooks", "Condition")
    Playbook = apps.get_model("playbooks", "Playbook")
    PlaybookRun = apps.get_model("playbooks", "PlaybookRun")
    View = apps.get_model("accounts", "View")
    for view in View.objects.filter(playbooks__isnull=False).distinct().order_by("pk"):
        saved = SavedFilter.objects.create(name=view.name, description=view.description)
        for field, operator, values in (view.definition or {}).get("conditions", []):
            Condition.objects.create(
                saved_filter=saved, field=field, operator=operator, value=", ".join(values)
            )
        playbooks = Playbook.objects.filter(view=view)
        PlaybookRun.objects.filter(playbook__in=playbooks, signal=f"filter:{view.pk}").update(
            signal=f"filter:{saved.pk}"
        )
        playbooks.update(saved_filter=saved, view=None)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0007_playbook_view")]

    operations = [migrations.RunPython(saved_filters_to_views, views_to_saved_filters)]
