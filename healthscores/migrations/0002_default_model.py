"""Installs the default health model of kpi-spec section 8, active, with its first version."""

from django.db import migrations

from healthscores.defaults import (
    DEFAULT_COMPONENTS,
    DEFAULT_GREEN,
    DEFAULT_MODEL_NAME,
    DEFAULT_YELLOW,
    build_definition,
)


def install_default_model(apps, schema_editor):
    HealthModel = apps.get_model("healthscores", "HealthModel")
    HealthComponent = apps.get_model("healthscores", "HealthComponent")
    HealthModelVersion = apps.get_model("healthscores", "HealthModelVersion")
    if HealthModel.objects.filter(is_active=True, segment="").exists():
        return
    model = HealthModel.objects.create(
        name=DEFAULT_MODEL_NAME, segment="", is_active=True,
        green_threshold=DEFAULT_GREEN, yellow_threshold=DEFAULT_YELLOW,
    )  # fmt: skip
    HealthComponent.objects.bulk_create(
        HealthComponent(model=model, metric=metric, weight=weight, bad=bad, good=good)
        for metric, weight, bad, good in DEFAULT_COMPONENTS
    )
    definition = build_definition(DEFAULT_GREEN, DEFAULT_YELLOW, DEFAULT_COMPONENTS)
    HealthModelVersion.objects.create(model=model, number=1, definition=definition)


def remove_default_model(apps, schema_editor):
    apps.get_model("healthscores", "HealthModel").objects.filter(name=DEFAULT_MODEL_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("healthscores", "0001_initial")]

    operations = [migrations.RunPython(install_default_model, remove_default_model)]
