"""The snapshot's choice sets, apart from the models so that the totals can name them."""

from django.db import models


class Movement(models.TextChoices):
    NEW = "new", "New"
    REACTIVATION = "reactivation", "Reactivation"
    EXPANSION = "expansion", "Expansion"
    CONTRACTION = "contraction", "Contraction"
    CHURN = "churn", "Churn"


class HealthBand(models.TextChoices):
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    RED = "red", "Red"
    UNKNOWN = "unknown", "Unknown"
