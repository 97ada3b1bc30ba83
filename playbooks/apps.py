from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = "Playbooks and tasks"

    def ready(self) -> None:
        # Survey answers: a detractor's is evaluated at once. (The nightly job, the access rule
        # and the account timeline read this app's functions from lists in settings.)
        from playbooks.services import response_recorded_receiver
        from surveys.signals import response_recorded

        response_recorded.connect(
            response_recorded_receiver, dispatch_uid="playbooks.response_recorded"
        )
