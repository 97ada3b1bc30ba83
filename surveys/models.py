"""Survey responses: the voice of the customer that NPS, CSAT, CES and health scores read."""

from django.db import models
from django.db.models import Q

from accounts.models import Account, Contact


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"


# The score range of each kind (kpi-spec section 2), inclusive.
SCORE_RANGES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5), SurveyKind.CES: (1, 7)}


def _score_in_range() -> Q:
    condition = Q()
    for kind, (low, high) in SCORE_RANGES.items():
        condition |= Q(kind=kind, score__gte=low, score__lte=high)
    return condition


class SurveyResponse(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="survey_responses")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True, default="")
    responded_at = models.DateTimeField()

    class Meta:
        ordering = ["-responded_at"]
        constraints = [
            models.CheckConstraint(condition=_score_in_range(), name="survey_score_in_range"),
        ]
        indexes = [
            # Per-account trailing 180 days, and the account page's latest comments.
            models.Index(fields=["account", "responded_at"], name="survey_account_resp_idx"),
            # Portfolio sentiment of a month, by kind.
            models.Index(fields=["responded_at", "kind"], name="survey_responded_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} from {self.account_id}"
