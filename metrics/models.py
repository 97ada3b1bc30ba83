"""Daily snapshots: one wide row per account per as-of date (kpi-spec sections 3 to 7).

Besides the account's own keys (section 7), each row carries the account's share of every
portfolio figure of its period (month to date): counts and sums, never ratios. A dashboard filtered
by segment, owner, region or stage sums these columns over the matching rows and derives the
ratios once, in the KPI registry, so no precomputed cube per filter is needed.
"""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from accounts.models import Account
from metrics.choices import HealthBand, Movement
from metrics.registry import PORTFOLIO
from metrics.totals import TOTALS, Kind


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _exact(**kwargs) -> models.DecimalField:
    """Sums that are money but not whole cents (prorated contract values)."""
    return models.DecimalField(max_digits=24, decimal_places=8, **kwargs)


class AccountSnapshot(models.Model):
    as_of = models.DateField()
    # No index of its own: snapshot_account_idx (account, as_of) leads with it, and serves the
    # cascade and the constraint's checks (issue 20: 11 bytes a row saved, 1 % of the row).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )

    # Revenue (section 3): m0 = MRR on the day before the period, m1 = MRR on the as-of date.
    mrr = _money()
    arr = _money()
    starting_mrr = _money()
    # NULL, not "", when there is no movement: kpi-spec section 7 prints it as null.
    movement = models.CharField(  # noqa: DJ001
        max_length=12, choices=Movement.choices, null=True, blank=True
    )
    # NULL with `movement`: the amount belongs to a movement (kpi-spec section 7).
    movement_mrr = _money(null=True)
    seats = models.IntegerField()
    days_to_renewal = models.IntegerField(null=True)
    customer_since = models.DateField(
        null=True, help_text="Start of the first contract with mrr > 0."
    )
    is_onboarding = models.BooleanField(
        default=False,
        help_text="The first paid contract started less than 90 days before D: the health "
        "score is provisional.",
    )

    # Usage (section 7), and the sums behind the portfolio's usage keys (section 6).
    active_users_30d = models.IntegerField()
    active_users_7d = models.IntegerField()
    active_user_days_30d = models.IntegerField(help_text="Distinct (user, day) active pairs.")
    events_30d = models.BigIntegerField()
    events_prev_30d = models.BigIntegerField()
    minutes_30d = models.FloatField()
    sessions_30d = models.BigIntegerField()
    features_used_30d = models.IntegerField()
    seat_utilization = models.FloatField(null=True)
    usage_trend = models.FloatField(null=True)
    feature_adoption = models.FloatField(null=True)
    time_on_platform_minutes = models.FloatField(null=True)

    # Support (section 7).
    open_tickets = models.IntegerField()
    tickets_90d = models.IntegerField()
    avg_first_response_hours_90d = models.FloatField(null=True)
    fcr_rate_90d = models.FloatField(null=True)

    # Sentiment (section 7).
    nps_180d = models.FloatField(null=True)
    csat_180d = models.FloatField(null=True)
    ces_180d = models.FloatField(null=True)
    champion_left_90d = models.SmallIntegerField()

    # This account's share of the period's portfolio figures (sections 3 to 5).
    paid_before_period = models.BooleanField(
        help_text="Has a contract with mrr > 0 that started before the period: reactivation."
    )
    renewals_eligible = models.IntegerField()
    renewals_renewed = models.IntegerField()
    contracts_started = models.IntegerField()
    contracts_started_arr = _exact()
    contracts_started_tcv = _exact()
    trial_started = models.BooleanField()
    trial_converted = models.BooleanField()
    onboarded = models.BooleanField()
    days_to_onboard = models.IntegerField(null=True)
    tickets_opened = models.IntegerField()
    first_responses = models.IntegerField()
    first_response_hours = models.FloatField()
    tickets_resolved = models.IntegerField()
    resolution_hours = models.FloatField()
    resolved_first_contact = models.IntegerField()
    nps_promoters = models.IntegerField()
    nps_detractors = models.IntegerField()
    nps_responses = models.IntegerField()
    csat_satisfied = models.IntegerField()
    csat_responses = models.IntegerField()
    ces_score_sum = models.IntegerField()
    ces_responses = models.IntegerField()
    # The 12 months ending with the period, newest first: MRR on the day before each month and
    # the MRR lost in it (churn + contraction), for CLV's mean revenue churn rate.
    monthly_starting_mrr = ArrayField(_money(), size=12)
    monthly_lost_mrr = ArrayField(_money(), size=12)
    # MRR on D12, the same day 12 months before D: the trailing-12-month cohort (kpi-spec
    # section 3, nrr_12m and grr_12m) is the accounts for which it is above 0.
    mrr_12m_ago = _money(default=0)
    # MRR on D3, the day before the trailing 3 months (the last day of the month 3 months before
    # D's): the cohort of the 3-month period's NRR, GRR and logo churn (metrics.periods).
    mrr_3m_ago = _money(default=0)
    # The account's numeric custom fields (accounts.CustomField) on the day of the run, by key,
    # so health models can score them and the lab backtest them (issue 16). Fields have no
    # history of their own: as for segment and owner, a backfill writes today's values.
    custom_numbers = models.JSONField(
        default=dict, db_default=models.Value({}, output_field=models.JSONField()), blank=True
    )

    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["as_of", "account"], name="snapshot_one_per_day"),
        ]
        indexes = [
            # An account's history (health and MRR charts) reads one account over many dates.
            models.Index(fields=["account", "as_of"], name="snapshot_account_idx"),
            # The health lab's backtest finds a year of churn events among millions of rows.
            models.Index(
                fields=["as_of"], condition=models.Q(movement="churn"), name="snapshot_churn_idx"
            ),
            # The portfolio's biggest renewals and accounts at risk: a date's rows by MRR. With
            # the two below, the accounts list's sorts read a page off an index (web/keyset.py).
            # Not NPS: a third index took the snapshots past 400 bytes per account and day.
            models.Index(fields=["as_of", "-mrr"], name="snapshot_date_mrr_idx"),
            models.Index(fields=["as_of", "days_to_renewal"], name="snapshot_date_renewal_idx"),
            models.Index(fields=["as_of", "open_tickets"], name="snapshot_date_tickets_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.as_of}"

    # Health (section 8) is stored by the healthscores app in its own narrow table
    # (healthscores.SnapshotHealth, `self.health`); read it with select_related("health").

    def _health(self):
        try:
            return self.health
        except ObjectDoesNotExist:  # not scored (yet)
            return None

    @property
    def health_score(self) -> float | None:
        health = self._health()
        return health.score if health else None

    @property
    def health_band(self) -> str:
        health = self._health()
        return health.band if health else HealthBand.UNKNOWN

    @property
    def health_model_version(self) -> int | None:
        health = self._health()
        return health.model_version_id if health else None

    @property
    def health_components(self) -> list[dict]:
        """Each component's metric, value, score, weight and contribution (kpi-spec section 8);
        select_related("health__model_version") to read it without a query per row."""
        health = self._health()
        return health.components if health else []


class SnapshotRun(models.Model):
    """One completed recompute of one as-of date: pages show the freshest, and its timing."""

    as_of = models.DateField(unique=True)
    accounts = models.IntegerField()
    seconds = models.FloatField()
    finished_at = models.DateTimeField()
    rollup_built = models.BooleanField(
        default=False,
        help_text="Whether the date's PortfolioRollup rows are current (pages then read them).",
    )

    class Meta:
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"snapshot of {self.as_of} ({self.accounts} accounts)"


class PortfolioRollup(models.Model):
    """The snapshot totals of one date for one (segment, region, owner): the portfolio page sums
    a few hundred of these rows instead of 13 dates x every account's wide snapshot row.

    Written with the snapshot, in its transaction (and again after a rescore). Grouped by the
    accounts' current segment, region and owner, so a trigger on accounts empties the rollup
    when one of those changes or an account is deleted; pages then read the snapshot rows until
    the next run rebuilds it (`SnapshotRun.rollup_built`)."""

    as_of = models.DateField()
    segment = models.CharField(max_length=100)
    region = models.CharField(max_length=100)
    owner_key = models.IntegerField(help_text="The owner's user id, 0 for no owner.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "segment", "region", "owner_key"], name="rollup_one_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"rollup {self.as_of} {self.segment}/{self.region}/{self.owner_key}"


_ROLLUP_FIELDS = {
    Kind.MONEY: lambda: models.DecimalField(max_digits=24, decimal_places=8),
    Kind.COUNT: models.BigIntegerField,
    Kind.HOURS: models.FloatField,
    Kind.OPTIONAL_COUNT: lambda: models.BigIntegerField(null=True),
}
for _key, (_kind, _aggregate) in TOTALS.items():
    PortfolioRollup.add_to_class(_key, _ROLLUP_FIELDS[_kind]())


class KpiTarget(models.Model):
    """A goal for one portfolio KPI, for the whole portfolio or one segment; the dashboard shows
    how close the figure is. Values are in the KPI's unit (95 means 95 % for a rate)."""

    key = models.CharField(
        max_length=40, help_text="A portfolio KPI key of the registry (metrics/registry.py)."
    )
    segment = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="Empty: the target of the whole portfolio; else the target of that segment.",
    )
    target = models.DecimalField(max_digits=16, decimal_places=4)
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["key", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["key", "segment"], name="kpitarget_one_per_segment"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.segment or 'portfolio'}: {self.target}"

    def clean(self) -> None:
        # Validated here rather than with `choices`, so adding a KPI to the registry needs no
        # migration.
        if self.key not in PORTFOLIO:
            raise ValidationError({"key": f"{self.key!r} is not a portfolio KPI key."})
