"""A churn probability per account, date and horizon, learned from Northstar's own history.

A `ChurnModel` is one trained, versioned model (its parameters, the dates it was trained and
tested on, and its out-of-time figures); the active one per horizon scores every account in the
nightly chain. A `ChurnScore` is that night's number for one account, or the reason it has none:
too little history is a stated reason, never a made-up probability.
"""

from django.db import models

HORIZONS = (30, 90, 180)


class ChurnModelKind(models.TextChoices):
    LOGISTIC = "logistic", "Logistic regression (standardized, calibrated)"
    BOOSTED = "boosted", "Gradient-boosted trees (calibrated)"


class ChurnModel(models.Model):
    kind = models.CharField(max_length=12, choices=ChurnModelKind.choices)
    horizon_days = models.PositiveSmallIntegerField(choices=[(h, f"{h} days") for h in HORIZONS])
    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False)
    features = models.JSONField(default=list, help_text="Feature names, in the model's order.")
    parameters = models.JSONField(
        default=dict,
        help_text="What scoring needs: for the logistic model the means, scales, coefficients, "
        "intercept and calibration map; for trees, a reference to the stored estimator.",
    )
    estimator = models.BinaryField(null=True, blank=True, editable=False)
    train_to = models.DateField()
    test_from = models.DateField()
    metrics = models.JSONField(default=dict, help_text="The out-of-time backtest's figures.")
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["horizon_days", "version"], name="churn_model_version_unique"
            ),
            models.UniqueConstraint(
                fields=["horizon_days"],
                condition=models.Q(is_active=True),
                name="churn_model_one_active_per_horizon",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.horizon_days} d · v{self.version}"


class ChurnScore(models.Model):
    # No index of its own: churn_score_unique leads with the account. No database constraint
    # on either key (Django still cascades and protects): 30,000 rows a night paid 60,000
    # deferred foreign-key checks at commit, about 250 ms, more than scoring itself.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="churn_scores",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    as_of = models.DateField()
    horizon_days = models.PositiveSmallIntegerField()
    probability = models.FloatField(null=True, blank=True)
    no_score_reason = models.CharField(max_length=200, blank=True, default="")
    # No index: 30,000 more index entries a night for a model's deletion, which PROTECT
    # refuses anyway once it has scores.
    model = models.ForeignKey(
        ChurnModel, on_delete=models.PROTECT, related_name="scores", db_index=False,
        db_constraint=False,
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "as_of", "horizon_days"], name="churn_score_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True, no_score_reason__gt="")
                | models.Q(probability__gte=0, probability__lte=1),
                name="churn_score_probability_or_reason",
            ),
        ]
        # No index on (as_of, horizon): a date's scores are found (and replaced) through the
        # accounts and churn_score_unique, and every page reads them by account.

    def __str__(self) -> str:
        shown = f"{self.probability:.0%}" if self.probability is not None else self.no_score_reason
        return f"{self.account_id} · {self.as_of} · {self.horizon_days} d: {shown}"
