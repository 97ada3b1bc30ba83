"""`manage.py recompute_snapshots --date D` or `--from D1 --to D2`: the nightly job by hand."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.services import snapshot_recompute, snapshot_recompute_range, yesterday


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

    def handle(
        self,
        *args,
        date: date | None,
        first: date | None,
        last: date | None,
        verbosity: int,
        **options,
    ):
        if (first is None) != (last is None):
            raise CommandError("--from and --to go together")
        if date and first:
            raise CommandError("give either --date or --from/--to, not both")
        if first is None:
            run = snapshot_recompute(as_of=date or yesterday())
            self.stdout.write(
                f"Snapshot of {run.as_of}: {run.accounts:,} accounts in {run.seconds:.2f} s"
            )
            return
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}")
        total_days = (last - first).days + 1
        with tqdm(
            total=total_days, unit="day", disable=verbosity < 1, desc="Recomputing snapshots"
        ) as bar:
            runs = snapshot_recompute_range(
                first=first, last=last, on_date=lambda run: bar.update(1)
            )
        seconds = sum(run.seconds for run in runs)
        self.stdout.write(
            f"Snapshots of {first} to {last}: {len(runs)} dates, "
            f"{runs[-1].accounts:,} accounts each, {seconds:.1f} s"
        )
