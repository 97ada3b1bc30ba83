"""`manage.py run_playbooks [--date D] [--dry-run]`: the nightly evaluation, by hand.

Enrols the accounts entering each active playbook on the snapshot of D (default: the newest)
and queues the actions of new runs and of runs whose steps have come due; --dry-run prints who
would enter each playbook, active or not, and writes nothing.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from metrics.selectors import latest_snapshot_run
from playbooks.models import Playbook
from playbooks.selectors import playbook_dry_run
from playbooks.services import playbooks_evaluate


class Command(BaseCommand):
    help = "Enrol accounts into the active playbooks for a snapshot date and queue their actions."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, metavar="D",
                            help="snapshot date (default: the newest snapshot)")  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="print, write nothing")

    def handle(self, *args, date, dry_run, **options):
        if date is None:
            latest = latest_snapshot_run()
            if latest is None:
                raise CommandError("No snapshot yet: run `manage.py recompute_snapshots` first.")
            date = latest.as_of
        if dry_run:
            for playbook in Playbook.objects.prefetch_related("conditions", "actions"):
                result = playbook_dry_run(playbook=playbook, as_of=date)
                state = "active" if playbook.is_active else "off"
                self.stdout.write(
                    f"{playbook.name} ({state}): {result.entering} would enter, "
                    f"{result.blocked} kept out by re-enrolment rules"
                )
            return
        runs = playbooks_evaluate(as_of=date)
        self.stdout.write(f"Playbooks on {date}: {len(runs)} new runs queued.")
