from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"
    verbose_name = "Health scores"
