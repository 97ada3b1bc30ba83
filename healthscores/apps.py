from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # The nightly job's rows are scored (replacing the date's scores), and alerts raised,
        # inside its transaction.
        from healthscores.services import score_snapshot_date
        from metrics import services

        if score_snapshot_date not in services.after_snapshot_hooks:
            services.after_snapshot_hooks.append(score_snapshot_date)
