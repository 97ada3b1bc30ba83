"""Writes of the healthscores app: scoring snapshots and publishing model versions."""

from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from audit import services as audit
from healthscores import sql as health_sql
from healthscores.defaults import build_definition
from healthscores.models import (
    Alert,
    AlertStatus,
    HealthComponent,
    HealthModel,
    HealthModelVersion,
    RescoreJob,
    SentimentOverride,
)

# A long rescore is split in this many date ranges, queued as separate tasks so that the
# workers' processes (two in the default deployment) score them side by side.
RESCORE_PARTS = 2
# A model change rescores this many days, the lab's backtest year: every comparison a page makes
# (30-day change, this week's fall, the lab's 90-day horizon) then reads one version's scores.
RESCORE_DAYS = 365
# A part is scored (and committed) this many dates at a time, its progress counted after each.
RESCORE_CHUNK_DAYS = 30


def rescore_parts(first: date, last: date, parts: int = RESCORE_PARTS) -> list[tuple[date, date]]:
    """first..last cut into at most `parts` consecutive ranges of (nearly) equal length."""
    days = (last - first).days + 1
    size = -(-days // max(1, min(parts, days)))  # ceiling division
    return [
        (first + timedelta(days=start), min(last, first + timedelta(days=start + size - 1)))
        for start in range(0, days, size)
    ]


def rescore_job_run(*, job_id: int | None, first: date, last: date) -> int:
    """Score one part of a rescore job, RESCORE_CHUNK_DAYS dates per transaction, adding each
    chunk's dates to the job's progress; a failure is recorded on the job, then raised."""
    jobs = RescoreJob.objects.filter(pk=job_id)
    rows = 0
    try:
        for chunk_first, chunk_last in _chunks(first, last, RESCORE_CHUNK_DAYS):
            with transaction.atomic():
                rows += health_scores_recompute(first=chunk_first, last=chunk_last)
                jobs.update(done_dates=F("done_dates") + (chunk_last - chunk_first).days + 1)
    except Exception as exc:
        jobs.update(failed_parts=F("failed_parts") + 1, error=f"{first}..{last}: {exc}"[:2000])
        raise
    jobs.filter(done_dates__gte=F("total_dates"), finished_at=None).update(
        finished_at=timezone.now()
    )
    return rows


def _chunks(first: date, last: date, size: int) -> list[tuple[date, date]]:
    days = (last - first).days + 1
    return [
        (first + timedelta(days=start), min(last, first + timedelta(days=start + size - 1)))
        for start in range(0, days, size)
    ]


def health_scores_recompute(*, first: date, last: date) -> int:
    """(Re)score the stored snapshots of first..last with the active models' latest versions.
    Reads only snapshot columns, so it is cheap enough to rerun over a year after a change."""
    with transaction.atomic(), connection.cursor() as cursor:
        rows = health_sql.score_snapshots(cursor, first=first, last=last)
        health_sql.refresh_rollup_bands(cursor, first=first, last=last)
    return rows


def score_snapshot_date(as_of: date) -> None:
    """The hook the nightly job calls after writing a date, inside its transaction: score the
    date's rows, and raise alerts when it is the newest day, not during a backfill of the past,
    which would alert on history."""
    with connection.cursor() as cursor:
        health_sql.score_snapshots(cursor, first=as_of, last=as_of)
    if as_of >= timezone.localdate() - timedelta(days=1):
        alerts_raise(as_of=as_of)


def alerts_raise(*, as_of: date) -> int:
    """Open alerts for the owners of accounts that entered red, fell 15+ points in 30 days, lost
    a champion, or renew within 90 days while not green; returns how many were opened."""
    with transaction.atomic(), connection.cursor() as cursor:
        return health_sql.raise_alerts(cursor, as_of)


def alert_acknowledge(*, alert: Alert, user: AbstractBaseUser) -> None:
    if alert.status == AlertStatus.OPEN:
        before = audit.values_of(alert, ["status", "acknowledged_by_id", "acknowledged_at"])
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        with transaction.atomic():
            alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
            audit.record_changed("alert.acknowledge", alert, before)


def alert_close(*, alert: Alert, user: AbstractBaseUser) -> None:
    if alert.status != AlertStatus.CLOSED:
        before = audit.values_of(
            alert, ["status", "closed_at", "closed_by_id", "acknowledged_by_id", "acknowledged_at"]
        )
        alert.status = AlertStatus.CLOSED
        alert.closed_at, alert.closed_by = timezone.now(), user
        if alert.acknowledged_by is None:
            alert.acknowledged_by, alert.acknowledged_at = user, alert.closed_at
        with transaction.atomic():
            alert.save(
                update_fields=[
                    "status", "closed_at", "closed_by", "acknowledged_by", "acknowledged_at"
                ]
            )  # fmt: skip
            audit.record_changed("alert.close", alert, before)


def sentiment_override_add(
    *, account: Account, author: AbstractBaseUser, band: str, reason: str
) -> SentimentOverride:
    """Record a CSM's own view; earlier entries stay as the audit trail."""
    with transaction.atomic():
        override = SentimentOverride.objects.create(
            account=account, author=author, band=band, reason=reason.strip()
        )
        audit.record_created("sentimentoverride.create", override, label=f"Sentiment of {account}")
    return override


def health_model_definition(model: HealthModel) -> dict:
    components = model.components.order_by("pk")  # the order they were added in
    return build_definition(
        model.green_threshold,
        model.yellow_threshold,
        ((c.metric, c.weight, c.bad, c.good) for c in components),
    )


def health_model_publish(
    *, model: HealthModel, user: AbstractBaseUser | None = None, reason: str = ""
) -> HealthModelVersion | None:
    """Record a new version, with the author's reason, when the model's weights or thresholds
    differ from its latest version; returns it, or None when nothing changed."""
    definition = health_model_definition(model)
    latest = model.versions.order_by("-number").first()
    if latest is not None and latest.definition == definition:
        return None
    version = HealthModelVersion.objects.create(
        model=model,
        number=(latest.number + 1) if latest else 1,
        definition=definition,
        created_by=user if user and user.is_authenticated else None,
        reason=reason.strip(),
    )
    audit.record(
        "healthmodel.publish",
        obj=model,
        changes={"definition": [latest.definition if latest else None, definition]},
        details={"version": version.number, "reason": version.reason},
    )
    return version


def rescore_enqueue(
    *,
    days: int = RESCORE_DAYS,
    model: HealthModel | None = None,
    user: AbstractBaseUser | None = None,
) -> RescoreJob | None:
    """Queue a rescore of the `days` latest snapshot dates, in parts, recorded as a RescoreJob
    whose progress the workers update; None when there is no snapshot yet. The admin and the lab
    both come here. Raises kombu's OperationalError when the broker cannot be reached (the job
    is then marked failed)."""
    from healthscores.tasks import rescore
    from metrics.selectors import latest_snapshot_run

    latest = latest_snapshot_run()
    if latest is None:
        return None
    first = latest.as_of - timedelta(days=days - 1)
    job = RescoreJob.objects.create(
        model=model,
        version=model.versions.order_by("-number").first() if model else None,
        first=first,
        last=latest.as_of,
        total_dates=days,
        created_by=user if user and user.is_authenticated else None,
    )
    # A long range goes as RESCORE_PARTS tasks that worker processes run side by side. Nobody
    # waits for the result: ignore_result keeps the web process off the result backend, which,
    # with Redis down, retried for 20 s and then raised RuntimeError, not this error.
    try:
        for part_first, part_last in rescore_parts(first, latest.as_of):
            rescore.apply_async(
                args=[part_first.isoformat(), part_last.isoformat(), job.pk],
                retry=False,
                ignore_result=True,
            )
    except Exception as exc:
        RescoreJob.objects.filter(pk=job.pk).update(
            failed_parts=F("failed_parts") + 1, error=f"not queued: {exc}"[:2000]
        )
        raise
    return job


def health_model_apply(
    *, model: HealthModel, definition, user: AbstractBaseUser, reason: str = ""
) -> HealthModelVersion | None:
    """Give the model the thresholds and components of a lab proposal and publish the version;
    returns it, or None when nothing changed."""
    with transaction.atomic():
        model.green_threshold = definition.green
        model.yellow_threshold = definition.yellow
        model.save(update_fields=["green_threshold", "yellow_threshold", "updated_at"])
        model.components.all().delete()
        HealthComponent.objects.bulk_create(
            HealthComponent(model=model, metric=c.metric, weight=c.weight, bad=c.bad, good=c.good)
            for c in definition.components
        )
        return health_model_publish(model=model, user=user, reason=reason)
