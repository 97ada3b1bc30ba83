from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # The nightly job's rows are scored (replacing the date's scores), and alerts raised,
        # inside its transaction.
        from healthscores.models import SnapshotHealth
        from healthscores.services import score_snapshot_date
        from metrics import services

        if score_snapshot_date not in services.after_snapshot_hooks:
            services.after_snapshot_hooks.append(score_snapshot_date)
        # One score row per snapshot row: a backfill analyses it with the snapshots.
        if SnapshotHealth._meta.db_table not in services.per_account_tables:
            services.per_account_tables.append(SnapshotHealth._meta.db_table)
