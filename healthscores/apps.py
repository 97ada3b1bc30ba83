from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # Score each date right after the nightly job writes its KPIs, in the same transaction.
        from healthscores.services import score_snapshot_date
        from metrics.services import after_snapshot_hooks

        if score_snapshot_date not in after_snapshot_hooks:
            after_snapshot_hooks.append(score_snapshot_date)
