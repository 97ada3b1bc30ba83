from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # Scores are computed in the nightly job's own INSERT; alerts follow in its transaction.
        from healthscores.services import health_columns_for_snapshot, score_snapshot_date
        from metrics import services

        services.extra_columns_provider = health_columns_for_snapshot
        if score_snapshot_date not in services.after_snapshot_hooks:
            services.after_snapshot_hooks.append(score_snapshot_date)
