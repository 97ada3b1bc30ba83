"""`python manage.py bench_rescore`: how long rescoring a year of stored snapshots takes.

Part of `make bench` (on the 10,000-account data set): the goal is 10,000 accounts x 365 days
rescored in under 60 seconds, the admin's "rescore the last 365 days" after a model change. The
admin queues the range as RESCORE_PARTS tasks that the worker processes run side by side; this
command runs the same parts side by side in threads (one database connection each), and also
in one piece when asked.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from healthscores.services import RESCORE_PARTS, health_scores_recompute, rescore_parts
from metrics.benchmark import machine
from metrics.models import SnapshotRun


def _rescore(part) -> int:
    try:
        return health_scores_recompute(first=part[0], last=part[1])
    finally:
        connection.close()  # each thread has its own connection


class Command(BaseCommand):
    help = "Time a rescore of the latest N days of snapshots with the active models (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument(
            "--parts", type=int, default=RESCORE_PARTS, help="date ranges scored side by side"
        )

    def handle(self, *args, days: int, parts: int, **options):
        latest = SnapshotRun.objects.order_by("-as_of").first()
        if latest is None:
            raise CommandError("no snapshot yet: run `make bench` (or recompute_snapshots) first")
        first, last = latest.as_of - timedelta(days=days - 1), latest.as_of
        ranges = rescore_parts(first, last, parts)
        self.stderr.write(f"Rescoring {first} to {last} in {len(ranges)} parts side by side...")
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            rows = sum(pool.map(_rescore, ranges))
        seconds = time.perf_counter() - started
        figures = {
            "machine": machine(),
            "rescore": {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "parts": len(ranges),
                "rows": rows,
                "seconds": round(seconds, 1),
                "us_per_row": round(seconds / max(rows, 1) * 1e6, 1),
            },
        }
        self.stdout.write(json.dumps(figures, indent=2))
