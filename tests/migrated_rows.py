"""The rows the migrations install (the roles and their permissions, the default health model,
surveys and playbooks), put back by every flush, so each test starts from the migrated database
whatever ran before it.

Tests that really commit (live server, Celery workers, `transaction=True`) end with Django's
flush: it empties every table, and its post_migrate signal recreates the content types and
permissions under new ids, but not the rows of our data migrations. Django's answer,
`serialized_rollback`, loads a copy at the next such test's start, by the old ids: a flush without
it had recreated the content types under it (duplicate key on django_content_type), and once
Playwright runs, Django hands out a context-local connection that lacks the copy altogether. So
this module keeps its own copy, taken once when the test database is made, with natural keys for
content types, permissions and groups, and loads it inside the flush, right after Django's own
post_migrate handlers. The suite therefore refuses `serialized_rollback` (tests/conftest.py).
"""

from django.apps import apps
from django.core import serializers
from django.db import router, transaction
from django.db.models.signals import post_migrate

# Recreated by Django's own post_migrate handlers, before ours runs.
RECREATED_BY_DJANGO = {"contenttypes.contenttype", "auth.permission"}

_copies: dict[str, list[dict]] = {}


def migrated_models(using: str) -> list:
    """Every table a flush empties, models before the models naming them by natural key."""
    models = [
        model
        for model in apps.get_models()
        if model._meta.can_migrate(using) and router.allow_migrate_model(using, model)
    ]
    labels = {model._meta.app_label for model in models}
    app_list = [(config, None) for config in apps.get_app_configs() if config.label in labels]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [model for model in ordered if model in models]


def copy_rows(using: str, models: list) -> list[dict]:
    """The rows of `models`, by natural key where the model has one, so they load under
    whatever ids the flush's post_migrate gave the rows they name. Python values, not JSON:
    JSON keeps datetimes to the millisecond, so a row written at .000250 would come back as
    .000000."""
    objects = (obj for model in models for obj in model._base_manager.using(using).order_by("pk"))
    return serializers.serialize(
        "python", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True
    )


def load_rows(using: str, rows: list[dict]) -> None:
    """Save `rows` (from copy_rows) in one transaction."""
    with transaction.atomic(using=using):
        for row in serializers.deserialize("python", rows, using=using):
            row.save(using=using)


def keep(using: str) -> None:
    """Copy the migrated rows of the test database `using`; every flush from now restores them."""
    models = migrated_models(using)
    _copies[using] = copy_rows(
        using, [model for model in models if model._meta.label_lower not in RECREATED_BY_DJANGO]
    )
    # post_migrate is sent app by app, to apps with a models module: load after the last one's.
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    post_migrate.connect(restore, sender=last, dispatch_uid="tests.migrated_rows.restore")


def restore(sender, using: str, plan=None, **kwargs) -> None:
    """post_migrate receiver: a flush sends it without a plan (`migrate` sends one)."""
    if plan is not None or using not in _copies:
        return
    load_rows(using, _copies[using])
