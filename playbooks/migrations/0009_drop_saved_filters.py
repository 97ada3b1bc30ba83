"""Saved filters are views now (0008): their model, and conditions' link to them, go."""

import django.db.models.deletion
from django.db import migrations, models


def forget_saved_filter_type(apps, schema_editor) -> None:
    """Its permissions (granted to roles by 0003) and content type go with the model: a stale
    type left behind would name a model that no longer exists."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="playbooks", model="savedfilter").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("playbooks", "0008_saved_filters_to_views"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="condition", name="condition_belongs_to_one_owner"),
        migrations.RemoveField(model_name="condition", name="saved_filter"),
        migrations.RemoveField(model_name="playbook", name="saved_filter"),
        migrations.AlterField(
            model_name="condition",
            name="playbook",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="conditions",
                to="playbooks.playbook",
            ),
        ),
        migrations.DeleteModel(name="SavedFilter"),
        # Backwards the type and its permissions are made again after migrating (post_migrate).
        migrations.RunPython(forget_saved_filter_type, migrations.RunPython.noop),
    ]
