"""`manage.py bench_api_events`: usage events per second through gunicorn (make bench-api)."""

import json

from django.core.management.base import BaseCommand, CommandError

from api.benchmark import events_rate


class Command(BaseCommand):
    help = "Start gunicorn, POST 1,000-event batches from one client process, print events/s."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=30, help="timed seconds")
        parser.add_argument("--warmup", type=float, default=3, help="untimed seconds first")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--connections", type=int, default=3, help="client connections")
        parser.add_argument("--batch", type=int, default=1000, help="events per request")
        parser.add_argument("--accounts", type=int, default=1000, help="accounts events name")

    def handle(self, *args, **options):
        self.stderr.write(
            f"Posting {options['batch']:,}-event batches for {options['seconds']:.0f} s "
            f"through gunicorn ({options['workers']} workers)..."
        )
        try:
            figures = events_rate(
                seconds=options["seconds"],
                warmup=options["warmup"],
                workers=options["workers"],
                connections=options["connections"],
                batch=options["batch"],
                accounts=options["accounts"],
            )
        except RuntimeError as exc:  # the server did not start: say so, no traceback
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(figures, indent=2))
        self.stderr.write(f"{figures['events_per_second']:,} events/s")
