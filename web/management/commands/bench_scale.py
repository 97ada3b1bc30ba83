"""`python manage.py bench_scale --accounts N`: the figures of issue 20 at one size, as JSON.

`make bench-scale` runs it at 10,000, 50,000 and 100,000 accounts, each in a freshly created
database (northstar_scale), then `bench_scale --combine DIR` prints the sizes side by side.
It reuses `bench`'s pieces (metrics.benchmark, web.page_benchmark) rather than copying them.
"""

import io
import json
import os
import re
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from metrics import benchmark
from metrics.models import AccountSnapshot
from metrics.services import snapshot_tables, yesterday
from web import page_benchmark

PROGRESS_LINE = re.compile(r"^  usage\.csv: ([0-9,]+) rows \(([0-9,]+) rows/s\)$", re.MULTILINE)


def usage_rate_over_the_load(seed_output: str) -> dict | None:
    """The usage file's rate in its first and last tenth, from seed_demo's progress lines
    (rows so far and the rate so far, every 100,000 rows): equal when the load does not slow
    down as the table grows."""
    counts = [
        (int(rows.replace(",", "")), int(rate.replace(",", "")))
        for rows, rate in PROGRESS_LINE.findall(seed_output)
    ]
    points = [(rows, rows / rate) for rows, rate in counts if rate]  # (rows, seconds)
    if len(points) < 20:
        return None
    tenth = len(points) // 10

    def rate(start, end):
        return round((end[0] - start[0]) / (end[1] - start[1]))

    return {
        "usage_rows": points[-1][0],
        "seconds": round(points[-1][1], 1),
        "rows_per_s": round(points[-1][0] / points[-1][1]),
        "first_tenth_rows_per_s": rate((0, 0.0), points[tenth - 1]),
        "last_tenth_rows_per_s": rate(points[-tenth - 1], points[-1]),
    }


def storage() -> dict:
    """Bytes of the snapshot and score tables (pg_total_relation_size of every partition: heap,
    indexes, TOAST) per snapshot row, that is per account and day, as the run leaves them."""
    tables = snapshot_tables()
    sizes = {table: benchmark.relation_bytes(table) for table in tables}
    rows = AccountSnapshot.objects.count()
    return {
        "bytes": sizes,
        "account_days": rows,
        "bytes_per_account_day": round(sum(sizes.values()) / rows) if rows else None,
    }


class Command(BaseCommand):
    help = "Issue 20's figures at one number of accounts (make bench-scale), as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=10_000)
        parser.add_argument("--page-requests", type=int, default=page_benchmark.REQUESTS)
        parser.add_argument("--import-rows", type=int, default=1_000_000)
        parser.add_argument(
            "--backfill-days", type=int, default=16, help="dates of the 1/2/4-process backfill"
        )
        parser.add_argument("--out", type=Path, help="also write the JSON to this file")
        parser.add_argument(
            "--combine", type=Path, help="print the JSON files of this folder side by side"
        )

    def handle(
        self, *args, accounts, page_requests, import_rows, backfill_days, out, combine, **options
    ):
        if combine:
            runs = {p.stem: json.loads(p.read_text()) for p in sorted(combine.glob("*.json"))}
            self.stdout.write(json.dumps(runs, indent=2))
            return
        if Account.objects.exists():
            raise CommandError("bench_scale seeds its own data: run it on an empty database.")
        figures = {"machine": benchmark.machine(), "load_average_before": os.getloadavg()}
        self.stderr.write(f"Seeding {accounts:,} accounts...")
        started = time.perf_counter()
        output = io.StringIO()
        call_command(
            "seed_demo", accounts=accounts, i_know_this_is_not_production=True, stdout=output
        )
        figures["seed_seconds"] = round(time.perf_counter() - started, 1)
        rate = re.search(
            r"Imported ([0-9,]+) rows in ([0-9.]+) s \(([0-9,]+) rows/s\)", output.getvalue()
        )
        figures["demo_import"] = {
            "rows": int(rate.group(1).replace(",", "")),
            "seconds": float(rate.group(2)),
            "rows_per_s": int(rate.group(3).replace(",", "")),
        }
        figures["usage_first_load"] = usage_rate_over_the_load(output.getvalue())
        figures["data"] = benchmark.data_size()
        self.stderr.write("VACUUM ANALYZE (this machine runs without autovacuum)...")
        figures["vacuum_analyze_seconds"] = benchmark.vacuum_analyze()
        self.stderr.write("Timing one as-of date...")
        figures["recompute_one_date_seconds"] = benchmark.recompute_seconds(yesterday())
        self.stderr.write("Timing the pages...")
        figures["pages"] = page_benchmark.page_figures(requests=page_requests)
        figures["storage"] = storage()
        self.stderr.write("Measuring three years of snapshots with retention...")
        figures["storage_three_years"] = benchmark.storage_over_years()
        if backfill_days:
            self.stderr.write(f"Timing a {backfill_days}-day backfill on 1, 2 and 4 processes...")
            figures["backfill"] = benchmark.backfill_over_workers(days=backfill_days)
        if import_rows:
            self.stderr.write(f"Timing a daily load of {import_rows:,} usage rows...")
            figures["daily_usage_load"] = benchmark.incremental_import_rate(import_rows)
        figures["load_average_after"] = os.getloadavg()
        text = json.dumps(figures, indent=2)
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
        self.stdout.write(text)
