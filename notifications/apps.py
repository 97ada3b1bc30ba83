from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # A detractor's answer is committed outside the nightly chain: it reaches its owner's
        # bell and Slack from the surveys app's own signal (sent after commit).
        from notifications.services import response_recorded_receiver
        from surveys.signals import response_recorded

        response_recorded.connect(
            response_recorded_receiver, dispatch_uid="notifications.response_recorded"
        )
