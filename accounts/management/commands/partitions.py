"""Create the coming months' usage partitions and drop the expired ones (accounts/partitions.py)."""

from django.core.management.base import BaseCommand

from accounts import partitions


class Command(BaseCommand):
    help = "Create the coming months' usage partitions and drop those past USAGE_RETENTION_MONTHS."

    def handle(self, *args, **options):
        result = partitions.maintain()
        self.stdout.write(
            f"created {result['created']} partition(s); dropped {len(result['dropped'])}: "
            + (", ".join(result["dropped"]) or "none")
        )
