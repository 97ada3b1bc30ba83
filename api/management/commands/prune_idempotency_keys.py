"""`python manage.py prune_idempotency_keys`: the daily prune, by hand."""

from django.core.management.base import BaseCommand

from api.services import IDEMPOTENCY_KEEP, idempotency_keys_prune


class Command(BaseCommand):
    help = "Delete the usage events' Idempotency-Keys older than a week."

    def handle(self, *args, **options):
        deleted = idempotency_keys_prune()
        self.stdout.write(
            f"Deleted {deleted:,} Idempotency-Keys older than {IDEMPOTENCY_KEEP.days} days."
        )
