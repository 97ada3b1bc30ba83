"""`python manage.py api_prune`: the API's daily prune (Celery beat runs it as api.prune)."""

from django.core.management.base import BaseCommand

from api.services import (
    IDEMPOTENCY_KEEP,
    SESSION_KEEP,
    event_sessions_prune,
    idempotency_keys_prune,
)


class Command(BaseCommand):
    help = "Delete week-old Idempotency-Keys and the event session ids of days past two weeks."

    def handle(self, *args, **options):
        keys, sessions = idempotency_keys_prune(), event_sessions_prune()
        self.stdout.write(
            f"Deleted {keys:,} Idempotency-Keys older than {IDEMPOTENCY_KEEP.days} days and "
            f"{sessions:,} event session ids of days before the last {SESSION_KEEP.days}."
        )
