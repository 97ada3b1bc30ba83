"""`manage.py bench_segment`: Segment messages per second through gunicorn (make bench-api)."""

import json

from django.core.management.base import BaseCommand, CommandError

from connectors.benchmark import segment_rate


class Command(BaseCommand):
    help = "Start gunicorn, POST Segment batches of track calls from one client, print msgs/s."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=30, help="timed seconds")
        parser.add_argument("--warmup", type=float, default=3, help="untimed seconds first")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--connections", type=int, default=3, help="client connections")
        parser.add_argument("--batch", type=int, default=100, help="messages per batch")
        parser.add_argument("--accounts", type=int, default=1000, help="accounts named")

    def handle(self, *args, **options):
        self.stderr.write(
            f"Posting {options['batch']}-message Segment batches for {options['seconds']:.0f} s "
            f"through gunicorn ({options['workers']} workers)..."
        )
        try:
            figures = segment_rate(
                seconds=options["seconds"], warmup=options["warmup"],
                workers=options["workers"], connections=options["connections"],
                batch=options["batch"], accounts=options["accounts"],
            )  # fmt: skip
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(figures, indent=2))
        self.stderr.write(f"{figures['messages_per_second']:,} Segment messages/s")
