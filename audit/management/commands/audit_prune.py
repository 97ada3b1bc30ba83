"""`python manage.py audit_prune`: the audit log's retention (beat runs it as audit.prune)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.services import audit_prune


class Command(BaseCommand):
    help = "Delete the audit entries older than AUDIT_RETENTION_DAYS (0 keeps every entry)."

    def handle(self, *args, **options):
        days = settings.AUDIT_RETENTION_DAYS
        if days <= 0:
            self.stdout.write("AUDIT_RETENTION_DAYS is 0: every entry is kept.")
            return
        deleted = audit_prune()
        self.stdout.write(f"Deleted {deleted:,} audit entries older than {days} days.")
