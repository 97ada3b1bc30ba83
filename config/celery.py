"""The Celery app: one instance, configured from Django settings (keys prefixed CELERY_)."""

import os

from celery import Celery

# The same default as the web server's (config/wsgi.py): a worker started without
# DJANGO_SETTINGS_MODULE runs the production settings, never the development ones (DEBUG on, a
# throwaway secret key). `make demo` names the local settings itself.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("northstar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _nightly_crontab():
    from celery.schedules import crontab
    from django.conf import settings

    hour, minute = settings.NIGHTLY_AT.split(":")
    return crontab(hour=int(hour), minute=int(minute))


def _hourly_crontab():
    from celery.schedules import crontab

    return crontab(minute=0)


@app.on_after_configure.connect
def _beat_schedule(sender, **kwargs) -> None:
    """The beat schedule, in one place; times are in the workspace time zone (CELERY_TIMEZONE)."""
    sender.conf.beat_schedule = {
        # KPI snapshots and health scores of yesterday, for every account (spec sections 3-8).
        "nightly-snapshots": {"task": "metrics.nightly", "schedule": _nightly_crontab()},
        # The API's week-old Idempotency-Keys and old event session ids (docs/api.md), daily.
        "api-prune": {"task": "api.prune", "schedule": 86_400},
        # Usage partitions for the coming months, and dropping those past retention, daily.
        "accounts-partitions": {"task": "accounts.partitions", "schedule": 86_400},
        # Snapshot and score partitions ahead, and keeping month ends past the daily window.
        "metrics-retention": {"task": "metrics.retention", "schedule": 86_400},
        # Pulled connectors (Stripe) not synced for CONNECTOR_SYNC_EVERY_MINUTES, every minute.
        "connectors-sync-due": {"task": "connectors.sync_due", "schedule": 60},
        # An email to the admins about a connector failing for more than an hour, every 5 min.
        "connectors-alert-failing": {"task": "connectors.alert_failing", "schedule": 300},
        # Audit entries older than AUDIT_RETENTION_DAYS (docs/audit.md), daily.
        "audit-prune": {"task": "audit.prune", "schedule": 86_400},
        # Slack messages that waited (quiet hours, a snooze, an outage), every 5 minutes.
        "notifications-slack": {"task": "notifications.deliver_slack", "schedule": 300},
        # Digests at each user's local morning: beat checks at the top of every hour.
        "notifications-digests": {
            "task": "notifications.enqueue_digests",
            "schedule": _hourly_crontab(),
        },
    }
