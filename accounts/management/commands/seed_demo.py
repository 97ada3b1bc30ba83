"""`python manage.py seed_demo`: demo logins plus three years of demo data, through the import.

It creates a superuser `admin` with a published password, so it runs only where DEBUG is on
(`make demo`'s local settings) or when told `--i-know-this-is-not-production`; it never changes a
user that exists already.
"""

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from accounts import sql as accounts_sql
from accounts.demo.files import demo_files_write
from accounts.demo.users import DEMO_PASSWORD, DEMO_USERS, demo_users_ensure
from accounts.importer.loader import ImportFailed, import_directory


class Command(BaseCommand):
    help = "Create the demo logins and load deterministic demo data through the CSV import."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300, help="accounts (default 300)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="as-of date YYYY-MM-DD ending the three years (default: today)",
        )
        parser.add_argument(
            "--out", type=Path, help="write the CSV files here (default: a temporary folder)"
        )
        parser.add_argument(
            "--hierarchy",
            action="store_true",
            help="put every account in a company group of 10, three levels deep (make bench)",
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the temporary folder with the CSV files"
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            help="run with DEBUG off (the demo logins' password is published)",
        )

    def handle(self, *args, accounts: int, seed: int, today, out, keep, verbosity, **options):
        if not settings.DEBUG and not options["i_know_this_is_not_production"]:
            raise CommandError(
                "seed_demo creates a superuser 'admin' whose password (northstar-demo) is "
                "published, and demo data, so it runs only with DEBUG on. On a database that "
                "is not production, run it with --i-know-this-is-not-production."
            )
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        today = today or timezone.localdate()
        self.verbose = verbosity >= 1
        self.kept = demo_users_ensure()
        directory = out or Path(tempfile.mkdtemp(prefix="northstar-demo-"))
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self._say(
                f"Generating {accounts:,} accounts (seed {seed}, as of {today}) in {directory}"
            )
            started = time.perf_counter()
            counts = demo_files_write(
                directory,
                accounts=accounts,
                seed=seed,
                today=today,
                zone=settings.TIME_ZONE,
                log=self._say,
                hierarchy=options["hierarchy"],
            )
            total = sum(counts.values())
            self._say(f"Generated {total:,} rows in {time.perf_counter() - started:.1f} s")
            self._import(directory, today)
        finally:
            if out is None and not keep:
                shutil.rmtree(directory, ignore_errors=True)
            elif out is None:
                self._say(f"The CSV files are kept in {directory}")
        self._print_logins()

    def _import(self, directory: Path, today: date) -> None:
        self._say("Importing")
        try:
            result = import_directory(directory, progress=self._progress if self.verbose else None)
        except ImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The demo data failed the import with {len(failure.problems)} problem(s)."
            ) from None
        except DatabaseError as exc:
            raise CommandError(f"The database refused the demo data ({exc}).") from None
        if today != timezone.localdate():
            # The import derives lifecycle stages as of the real date; a demo ending on another
            # day would show every account as churned (or not yet started) without this.
            with connection.cursor() as cursor:
                accounts_sql.refresh_lifecycle_stages(cursor, today)
        total = sum(result.rows.values())
        rate = total / result.seconds if result.seconds else 0
        for kind, rows in result.rows.items():
            self._say(
                f"  {kind}: {rows:,} rows, {result.written.get(kind, 0):,} inserted or changed"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {total:,} rows in {result.seconds:.1f} s ({rate:,.0f} rows/s)."
            )
        )

    def _progress(self, filename: str, rows: int, seconds: float) -> None:
        rate = rows / seconds if seconds else 0
        self.stdout.write(f"  {filename}: {rows:,} rows ({rate:,.0f} rows/s)")

    def _print_logins(self) -> None:
        self.stdout.write("\nOpen http://127.0.0.1:8000 and log in with any of:")
        for user in DEMO_USERS:
            if user.username in self.kept:
                self.stdout.write(f"  {user.username:<8} (existed already: left unchanged)")
                continue
            self.stdout.write(
                f"  {user.username:<8} {DEMO_PASSWORD}  ({user.group}, "
                f"{user.first_name} {user.last_name})"
            )

    def _say(self, message: str) -> None:
        if self.verbose:
            self.stdout.write(message)
