from django.apps import AppConfig


class ChurnConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "churn"
    verbose_name = "Churn probability"
