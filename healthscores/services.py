"""Writes of the healthscores app: scoring snapshots and publishing model versions."""

from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from healthscores import sql as health_sql
from healthscores.defaults import build_definition
from healthscores.models import HealthModel, HealthModelVersion


def health_scores_recompute(*, first: date, last: date) -> int:
    """(Re)score the stored snapshots of first..last with the active models' latest versions.
    Reads only snapshot columns, so it is cheap enough to rerun over a year after a change."""
    with transaction.atomic(), connection.cursor() as cursor:
        return health_sql.score_snapshots(cursor, first=first, last=last)


def score_snapshot_date(as_of: date) -> None:
    """The hook the nightly job calls after writing a date's KPIs, inside its transaction."""
    health_scores_recompute(first=as_of, last=as_of)


def health_model_definition(model: HealthModel) -> dict:
    components = model.components.order_by("pk")  # the order they were added in
    return build_definition(
        model.green_threshold,
        model.yellow_threshold,
        ((c.metric, c.weight, c.bad, c.good) for c in components),
    )


def health_model_publish(
    *, model: HealthModel, user: AbstractBaseUser | None = None
) -> HealthModelVersion | None:
    """Record a new version when the model's weights or thresholds differ from its latest
    version; returns it, or None when nothing changed."""
    definition = health_model_definition(model)
    latest = model.versions.order_by("-number").first()
    if latest is not None and latest.definition == definition:
        return None
    return HealthModelVersion.objects.create(
        model=model,
        number=(latest.number + 1) if latest else 1,
        definition=definition,
        created_by=user if user and user.is_authenticated else None,
    )


def rescore_enqueue(*, days: int) -> tuple[date, date] | None:
    """Queue a rescore of the `days` latest snapshot dates; None when there is no snapshot yet.
    Raises kombu's OperationalError when the broker cannot be reached."""
    from healthscores.tasks import rescore
    from metrics.selectors import latest_snapshot_run

    latest = latest_snapshot_run()
    if latest is None:
        return None
    first = latest.as_of - timedelta(days=days - 1)
    rescore.apply_async(args=[first.isoformat(), latest.as_of.isoformat()], retry=False)
    return first, latest.as_of
