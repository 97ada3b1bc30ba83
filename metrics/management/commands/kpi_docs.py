"""`python manage.py kpi_docs [--check]`: write (or check) docs/kpis.md from the registry."""

from django.core.management.base import BaseCommand, CommandError

from metrics.docs import KPI_DOCS_PATH, render_kpi_docs


class Command(BaseCommand):
    help = "Regenerate docs/kpis.md from the KPI registry."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail when the file is stale")

    def handle(self, *args, check: bool, **options):
        text = render_kpi_docs()
        if check:
            if not KPI_DOCS_PATH.is_file() or KPI_DOCS_PATH.read_text() != text:
                raise CommandError(f"{KPI_DOCS_PATH} is stale: run python manage.py kpi_docs")
            self.stdout.write(f"{KPI_DOCS_PATH} is up to date.")
            return
        KPI_DOCS_PATH.write_text(text)
        self.stdout.write(f"Wrote {KPI_DOCS_PATH}.")
