"""The renewal desk: the CSM's call on a renewal, the outcome the contracts show, the reasons an
account leaves, and the forecast of each day kept to be scored against what happened.

A renewal is a committed term (accounts.models.Contract.is_committed_term) with MRR above 0; it
is known by its contract. Its outcome is never typed: the nightly chain derives it from the
contracts (renewals.sql.OUTCOMES). Only the reason of a churn or downsell is a person's choice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Call(models.TextChoices):
    COMMIT = "commit", "Commit"
    MOST_LIKELY = "most_likely", "Most likely"
    AT_RISK = "at_risk", "At risk"


# The churn probability a call stands for when the CSM gives none (the CSM forecast needs a
# number for every call; a call with its own probability uses that).
CALL_CHURN_PROBABILITY = {Call.COMMIT: 0.05, Call.MOST_LIKELY: 0.25, Call.AT_RISK: 0.6}


class Stage(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMMITTED = "committed", "Committed"
    AT_RISK = "at_risk", "At risk"
    RENEWED = "renewed", "Renewed"
    DOWNSOLD = "downsold", "Downsold"
    CHURNED = "churned", "Churned"


class OutcomeKind(models.TextChoices):
    RENEWED = "renewed", "Renewed"
    DOWNSOLD = "downsold", "Downsold"
    CHURNED = "churned", "Churned"


class RenewalCall(models.Model):
    """The CSM's call on one renewal: kept apart from the model's number, which it never
    changes (the forecast shows both and their blend)."""

    contract = models.OneToOneField(
        "accounts.Contract", on_delete=models.CASCADE, related_name="renewal_call"
    )
    call = models.CharField(max_length=12, choices=Call.choices)
    churn_probability = models.FloatField(
        null=True, blank=True, help_text="Her own chance that the account does not renew, 0 to 1."
    )
    note = models.TextField(max_length=2000, blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(churn_probability__gte=0, churn_probability__lte=1),
                name="renewal_call_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.get_call_display()}"

    @property
    def effective_probability(self) -> float:
        """Her probability, else the one her call stands for."""
        if self.churn_probability is not None:
            return self.churn_probability
        return CALL_CHURN_PROBABILITY[Call(self.call)]


class ChurnReason(models.Model):
    """One entry of the library of reasons admins edit; a retired reason stays on the outcomes
    that chose it (PROTECT) but is no longer offered."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class RenewalOutcome(models.Model):
    """What a renewal became, derived from the contracts: renewed (a successor term of the same
    account started within the grace period, at the same MRR or more), downsold (at a lower
    MRR) or churned (none by the end of the grace period)."""

    contract = models.OneToOneField(
        "accounts.Contract", on_delete=models.CASCADE, related_name="renewal_outcome"
    )
    # Copies of the contract's account and end, so the reports group outcomes without joins.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="renewal_outcomes"
    )
    ended_on = models.DateField()
    kind = models.CharField(max_length=10, choices=OutcomeKind.choices)
    mrr_before = models.DecimalField(max_digits=14, decimal_places=2)
    mrr_after = models.DecimalField(max_digits=14, decimal_places=2)
    decided_on = models.DateField(help_text="The as-of date of the night that first knew it.")
    reason = models.ForeignKey(
        ChurnReason, null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    reason_note = models.TextField(max_length=2000, blank=True, default="")
    reason_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("record_churn_reason", "Can give the reason of a churn or downsell")]
        indexes = [
            # The reasons report groups outcomes by the month they ended.
            models.Index(fields=["ended_on"], name="renewal_outcome_ended_idx"),
            # My day: an owner's open outcomes without a reason.
            models.Index(
                fields=["account"],
                condition=Q(reason__isnull=True) & ~Q(kind="renewed"),
                name="renewal_outcome_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.kind}"

    @property
    def arr_lost(self):
        return (self.mrr_before - self.mrr_after) * 12


class ForecastSource(models.TextChoices):
    MODEL = "model", "Model"
    CSM = "csm", "CSM calls"
    BLEND = "blend", "Blend"


class RenewalForecast(models.Model):
    """One night's forecast of a quarter's renewals, for the whole portfolio (owner null) and
    for each owner's book, by each source: kept so a closed quarter can be scored."""

    as_of = models.DateField()
    quarter_start = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=6, choices=ForecastSource.choices)
    renewals = models.PositiveIntegerField()
    unscored = models.PositiveIntegerField(help_text="Renewals with no probability of their own.")
    arr_at_stake = models.DecimalField(max_digits=16, decimal_places=2)
    expected_arr = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    low_arr = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    high_arr = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    expected_net_arr = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "quarter_start", "owner", "source"],
                nulls_distinct=False,
                name="renewal_forecast_unique",
            ),
        ]
        indexes = [
            # A quarter's scorecard reads its forecasts of a few dates.
            models.Index(fields=["quarter_start", "as_of"], name="renewal_forecast_quarter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quarter_start} as of {self.as_of} ({self.source})"
