"""`manage.py recompute_snapshots --date D`, `--from D1 --to D2` or `--last-days N`.

A range runs in this process, or with `--on-workers` as date chunks on the Celery queue, so that
every worker process (on this machine or others) takes chunks and the time divides among them.
"""

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.services import (
    rollup_rebuild_stale,
    snapshot_recompute,
    snapshot_recompute_range,
    yesterday,
)
from metrics.tasks import BACKFILL_CHUNK_DAYS, backfill


class Command(BaseCommand):
    help = "Recompute the KPI snapshots (and health scores) of one date or a range of dates."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            metavar="D",
            help="one as-of date (default: yesterday)",
        )
        parser.add_argument("--from", dest="first", type=date.fromisoformat, metavar="D1")
        parser.add_argument("--to", dest="last", type=date.fromisoformat, metavar="D2")
        parser.add_argument(
            "--last-days", type=int, metavar="N", help="the N days ending yesterday (a backfill)"
        )
        parser.add_argument(
            "--on-workers",
            action="store_true",
            help="send the range to the Celery workers in date chunks and wait for them",
        )
        parser.add_argument(
            "--chunk-days",
            type=int,
            default=BACKFILL_CHUNK_DAYS,
            metavar="N",
            help=f"dates per chunk with --on-workers (default {BACKFILL_CHUNK_DAYS})",
        )

    def handle(self, *args, verbosity: int, **options):
        first, last = self._range(options)
        stale = rollup_rebuild_stale()
        if stale:
            self.stdout.write(
                f"Portfolio rollup rebuilt for {stale:,} dates an account change had made stale"
            )
        if first is None:
            run = snapshot_recompute(as_of=options["date"] or yesterday())
            self.stdout.write(
                f"Snapshot of {run.as_of}: {run.accounts:,} accounts in {run.seconds:.2f} s"
            )
            return
        days = (last - first).days + 1
        if options["on_workers"]:
            self._on_workers(first, last, options["chunk_days"], verbosity)
            return
        with tqdm(total=days, unit="day", disable=verbosity < 1, desc="Snapshots") as bar:
            runs = snapshot_recompute_range(
                first=first, last=last, on_date=lambda run: bar.update(1)
            )
        seconds = sum(run.seconds for run in runs)
        self.stdout.write(
            f"Snapshots of {first} to {last}: {len(runs)} dates, "
            f"{runs[-1].accounts:,} accounts each, {seconds:.1f} s"
        )

    def _on_workers(self, first: date, last: date, chunk_days: int, verbosity: int) -> None:
        if chunk_days < 1:
            raise CommandError("--chunk-days takes a positive number of days")
        started = time.perf_counter()
        chunks = backfill(first=first, last=last, chunk_days=chunk_days)
        with tqdm(total=len(chunks), unit="chunk", disable=verbosity < 1, desc="Chunks") as bar:
            while not chunks.ready():
                bar.update(chunks.completed_count() - bar.n)
                time.sleep(1)
            bar.update(len(chunks) - bar.n)
        try:
            dates = sum(chunk["dates"] for chunk in chunks.get(propagate=True))
        except Exception as error:  # a chunk's own failure, as the worker reported it
            raise CommandError(f"a chunk failed on its worker: {error}") from None
        self.stdout.write(
            f"Snapshots of {first} to {last}: {dates} dates in {len(chunks)} chunks on the "
            f"workers, {time.perf_counter() - started:.1f} s"
        )

    def _range(self, options) -> tuple[date | None, date | None]:
        one, first, last, last_days = (
            options["date"], options["first"], options["last"], options["last_days"]
        )  # fmt: skip
        if sum(x is not None for x in (one, first or last, last_days)) > 1:
            raise CommandError("give one of --date, --from/--to or --last-days")
        if last_days is not None:
            if last_days < 1:
                raise CommandError("--last-days takes a positive number of days")
            return yesterday() - timedelta(days=last_days - 1), yesterday()
        if (first is None) != (last is None):
            raise CommandError("--from and --to go together")
        if first is not None and last < first:
            raise CommandError(f"--to {last} is before --from {first}")
        return first, last
