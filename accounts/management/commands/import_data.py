"""`python manage.py import_data DIR`: load the CSV files of kpi-spec section 2, all or nothing."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.importer.loader import ImportFailed, import_directory


class Command(BaseCommand):
    help = "Import accounts, contacts, contracts, tickets, usage, surveys and costs CSV files."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="folder holding the CSV files")

    def handle(self, *args, directory: Path, verbosity: int, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory")
        progress = self._print_progress if verbosity >= 1 else None
        try:
            result = import_directory(directory, progress=progress)
        except ImportFailed as failure:
            for problem in failure.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Import failed with {len(failure.problems)} problem(s); nothing was written."
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused the import ({exc}); nothing was written."
            ) from None
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for kind, rows in result.rows.items():
            written = result.written.get(kind, 0)
            self.stdout.write(f"{kind}.csv: {rows:,} rows, {written:,} inserted or changed")
        total = sum(result.rows.values())
        rate = total / result.seconds if result.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {total:,} rows in {result.seconds:.1f} s ({rate:,.0f} rows/s)."
            )
        )

    def _print_progress(self, filename: str, rows: int, seconds: float) -> None:
        rate = rows / seconds if seconds else 0
        end = "\n" if not sys.stderr.isatty() else "\r"
        self.stderr.write(f"  {filename}: {rows:,} rows checked ({rate:,.0f} rows/s)", ending=end)
