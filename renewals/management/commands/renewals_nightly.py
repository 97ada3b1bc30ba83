"""`python manage.py renewals_nightly [--date D]`: the renewal desk's nightly steps for one date
(outcomes from the contracts, then the day's forecast), as recompute_snapshots runs them; for a
backfill of forecasts or to debug without a worker."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from renewals.models import RenewalForecast, RenewalOutcome
from renewals.services import forecast_after_snapshot, outcomes_after_snapshot


class Command(BaseCommand):
    help = "Derive the renewals' outcomes from the contracts and store the day's forecast."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The as-of date, YYYY-MM-DD (default: today).")

    def handle(self, *args, **options):
        try:
            as_of = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from None
        as_of = as_of or timezone.localdate()
        outcomes_after_snapshot(as_of)
        self.stdout.write(f"  outcomes known on {as_of}: {RenewalOutcome.objects.count()}")
        forecast_after_snapshot(as_of)
        stored = RenewalForecast.objects.filter(as_of=as_of).count()
        self.stdout.write(f"  forecast rows stored for {as_of}: {stored}")
