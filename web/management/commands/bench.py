"""`python manage.py bench`: seed the scale data set once, then print the speed figures as JSON."""

import json
import os
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import Account
from churn import benchmark as churn_benchmark
from metrics import benchmark
from metrics.services import yesterday
from web import page_benchmark


class Command(BaseCommand):
    help = "Benchmark the import, the nightly job and the pages at 10,000 accounts (make bench)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=10_000)
        parser.add_argument(
            "--backfill-days",
            type=int,
            default=14,
            help="dates recomputed in a row to time a backfill",
        )
        parser.add_argument(
            "--import-rows",
            type=int,
            default=1_000_000,
            help="rows of the usage.csv import benchmark (0 skips it)",
        )
        pages = parser.add_mutually_exclusive_group()
        pages.add_argument(
            "--pages",
            action="store_true",
            help="time the pages only (no recompute, backfill or import)",
        )
        pages.add_argument("--skip-pages", action="store_true", help="do not time the pages")
        parser.add_argument(
            "--page-requests",
            type=int,
            default=page_benchmark.REQUESTS,
            help="timed requests of each page",
        )

    def handle(self, *args, accounts: int, backfill_days: int, import_rows: int, **options):
        figures = {"machine": benchmark.machine()}
        if Account.objects.count() < accounts:
            self.stderr.write(f"Seeding the scale data set ({accounts:,} accounts, once)...")
            started = time.perf_counter()
            # Every account in a company group (issue 16): the nightly job's group roll-ups and
            # the group owners' access rule are timed on a real tree.
            call_command("seed_demo", accounts=accounts, hierarchy=True)
            figures["seed_seconds"] = round(time.perf_counter() - started, 1)
        figures["data"] = benchmark.data_size()
        self.stderr.write(f"Computing the missing snapshots of {benchmark.HISTORY_DAYS} days...")
        figures["history_seconds"] = benchmark.history_seconds()
        figures["vacuum_seconds"] = benchmark.vacuum_analyze()
        if not options["skip_pages"]:
            self.stderr.write("Timing the pages...")
            figures["pages"] = page_benchmark.page_figures(requests=options["page_requests"])
            self.stderr.write("Timing the header's search...")
            figures["search"] = page_benchmark.search_figures()
            figures["load_average_after_pages"] = [round(x, 2) for x in os.getloadavg()]
        if options["pages"]:
            figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            self.stdout.write(json.dumps(figures, indent=2))
            return
        self.stderr.write("Timing the floor and one as-of date...")
        figures["floor_seconds"] = benchmark.floor_seconds()
        figures["recompute_one_date_seconds"] = benchmark.recompute_seconds(yesterday())
        figures["recompute_vs_floor"] = round(
            figures["recompute_one_date_seconds"] / figures["floor_seconds"]["total"], 2
        )
        self.stderr.write("Timing the same date without the company groups...")
        flat = benchmark.recompute_flat_seconds(yesterday())
        if flat:
            figures["recompute_without_groups_seconds"] = flat
            figures["groups_cost_percent"] = round(
                (figures["recompute_one_date_seconds"] / flat - 1) * 100, 1
            )
        self.stderr.write("Timing the same date with churn models scoring every account...")
        figures["churn_scoring"] = churn_benchmark.scoring_cost(yesterday())
        self.stderr.write(f"Timing a {backfill_days}-day backfill...")
        figures["backfill"] = benchmark.backfill_seconds(backfill_days)
        if import_rows:
            self.stderr.write(f"Timing the import of a {import_rows:,}-row usage.csv...")
            figures["import"] = benchmark.import_rate(import_rows)
        figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.stdout.write(json.dumps(figures, indent=2))
