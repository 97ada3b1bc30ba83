from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # The nightly job's rows are scored, and alerts raised, inside its transaction; the
        # scores of the rows it replaces go first.
        from healthscores.services import clear_snapshot_date_scores, score_snapshot_date
        from metrics import services

        if clear_snapshot_date_scores not in services.before_snapshot_delete_hooks:
            services.before_snapshot_delete_hooks.append(clear_snapshot_date_scores)
        if score_snapshot_date not in services.after_snapshot_hooks:
            services.after_snapshot_hooks.append(score_snapshot_date)
