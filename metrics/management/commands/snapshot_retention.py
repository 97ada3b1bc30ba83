"""Create the coming months' snapshot and score partitions and thin the months past the daily
window (metrics/retention.py); the beat task `metrics.retention` runs the same daily."""

from django.core.management.base import BaseCommand, CommandError

from metrics import retention


class Command(BaseCommand):
    help = (
        "Create the coming months' snapshot partitions and keep only the last snapshot date of "
        "months older than SNAPSHOT_DAILY_MONTHS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--daily-months",
            type=int,
            help="months before this one that keep every day (default: SNAPSHOT_DAILY_MONTHS)",
        )

    def handle(self, *args, daily_months, **options):
        if daily_months is not None and daily_months < 3:
            raise CommandError("--daily-months must be 3 or more (a date reads 59 days back).")
        result = retention.maintain(
            daily_months=daily_months,
            progress=lambda t: self.stdout.write(
                f"{t.month:%Y-%m}: kept {t.kept} ({t.rows_kept:,} snapshot rows), "
                f"removed {t.dates_removed} date(s)"
            ),
        )
        self.stdout.write(f"created {result['created']} partition(s)")
        if not result["thinned"]:
            self.stdout.write("nothing to thin")
