"""`python manage.py bench_rescore`: how long rescoring a year of stored snapshots takes.

Part of `make bench` (on the 10,000-account data set): the goal is 10,000 accounts x 365 days
rescored in under 60 seconds, the admin's "rescore the last 365 days" after a model change.
"""

import json
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from healthscores.services import health_scores_recompute
from metrics.benchmark import machine
from metrics.models import SnapshotRun


class Command(BaseCommand):
    help = "Time a rescore of the latest N days of snapshots with the active models (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args, days: int, **options):
        latest = SnapshotRun.objects.order_by("-as_of").first()
        if latest is None:
            raise CommandError("no snapshot yet: run `make bench` (or recompute_snapshots) first")
        first, last = latest.as_of - timedelta(days=days - 1), latest.as_of
        self.stderr.write(f"Rescoring {first} to {last}...")
        started = time.perf_counter()
        rows = health_scores_recompute(first=first, last=last)
        seconds = time.perf_counter() - started
        figures = {
            "machine": machine(),
            "rescore": {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "rows": rows,
                "seconds": round(seconds, 1),
                "us_per_row": round(seconds / max(rows, 1) * 1e6, 1),
            },
        }
        self.stdout.write(json.dumps(figures, indent=2))
