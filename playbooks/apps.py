from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = "Playbooks and tasks"

    def ready(self) -> None:
        # Hooks into other apps, which never import this one: the nightly job (after the health
        # scores and alerts, so playbooks see that night's scores), the access rule (a task's
        # assignee may open its account), the account timeline (tasks and runs), and survey
        # answers (a detractor's is evaluated at once).
        from accounts import access
        from accounts import selectors as account_selectors
        from metrics import services as metrics_services
        from playbooks.selectors import task_account_ids, timeline_entries
        from playbooks.services import evaluate_after_snapshot, response_recorded_receiver
        from surveys.signals import response_recorded

        if evaluate_after_snapshot not in metrics_services.after_snapshot_hooks:
            metrics_services.after_snapshot_hooks.append(evaluate_after_snapshot)
        if task_account_ids not in access.extra_visible_account_ids:
            access.extra_visible_account_ids.append(task_account_ids)
        if timeline_entries not in account_selectors.timeline_sources:
            account_selectors.timeline_sources.append(timeline_entries)
        response_recorded.connect(
            response_recorded_receiver, dispatch_uid="playbooks.response_recorded"
        )
