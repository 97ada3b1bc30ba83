"""Health models (kpi-spec section 8): weighted components that admins tune, and their versions.

A model applies to one segment, or to every account without a model of its own (segment blank).
Every change to an active model's weights or thresholds publishes a new HealthModelVersion, and
each stored score records the version that produced it, so a trend never silently mixes formulas.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from accounts.models import CustomField, CustomFieldTarget, CustomFieldType
from healthscores.scoring import CUSTOM_METRIC_PREFIX, Definition, custom_metric_key
from metrics.choices import HealthBand
from metrics.registry import ACCOUNT, SCORABLE_ACCOUNT_METRICS

METRIC_CHOICES = [(key, ACCOUNT[key].label) for key in SCORABLE_ACCOUNT_METRICS]


def metric_choices() -> list[tuple[str, str]]:
    """What a component may score: the registry's scorable metrics, then the accounts' numeric
    custom fields (one query; forms call it when they render or validate)."""
    fields = CustomField.objects.filter(
        target=CustomFieldTarget.ACCOUNT, field_type=CustomFieldType.NUMBER
    ).order_by("label")
    return [*METRIC_CHOICES] + [
        (f"{CUSTOM_METRIC_PREFIX}{key}", f"{label} (custom field)")
        for key, label in fields.values_list("key", "label")
    ]


def metric_label(metric: str) -> str:
    """A component's metric as people read it (a custom field by its key when unknown)."""
    if metric in ACCOUNT:
        return ACCOUNT[metric].label
    return dict(metric_choices()).get(metric, metric)


class HealthModel(models.Model):
    name = models.CharField(max_length=100)
    segment = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="Accounts of this segment use this model; blank: every other account.",
    )
    is_active = models.BooleanField(default=False)
    green_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=70)
    yellow_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=40)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["segment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment"], condition=Q(is_active=True), name="one_active_model_per_segment"
            ),
            models.CheckConstraint(
                condition=Q(yellow_threshold__gt=0)
                & Q(green_threshold__gt=F("yellow_threshold"))
                & Q(green_threshold__lte=100),
                name="health_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        scope = self.segment or "all segments"
        return f"{self.name} ({scope}{', active' if self.is_active else ''})"


class HealthComponent(models.Model):
    """One scored metric: 0 points at `bad`, 100 at `good`, linear between, clamped."""

    model = models.ForeignKey(HealthModel, on_delete=models.CASCADE, related_name="components")
    # A registry metric (METRIC_CHOICES) or a numeric custom field (metric_choices): the forms
    # offer and check them, since custom fields are rows and cannot be fixed choices here.
    metric = models.CharField(max_length=60)
    weight = models.DecimalField(max_digits=7, decimal_places=2)
    bad = models.FloatField()
    good = models.FloatField()

    class Meta:
        ordering = ["-weight", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["model", "metric"], name="one_component_per_metric"),
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="component_weight_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(bad=F("good")), name="component_bad_differs_from_good"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} x {self.weight}"


class HealthModelVersion(models.Model):
    """A frozen definition of a model: what produced the scores that cite it."""

    model = models.ForeignKey(HealthModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField(help_text="Thresholds and components as they were.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(
        blank=True, default="", help_text="Why the model changed, as its author gave it."
    )

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="one_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.number}"


class RescoreJob(models.Model):
    """A rescore of a range of snapshot dates, queued in parts (healthscores.services
    .rescore_enqueue); each worker adds the dates it finished to `done_dates`, so the admin can
    show how far it got, and a failed part is counted rather than lost."""

    model = models.ForeignKey(
        HealthModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="rescore_jobs"
    )
    version = models.ForeignKey(
        HealthModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first = models.DateField()
    last = models.DateField()
    total_dates = models.PositiveIntegerField()
    done_dates = models.PositiveIntegerField(default=0)
    failed_parts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"rescore {self.first}..{self.last}: {self.done_dates}/{self.total_dates}"

    @property
    def status(self) -> str:
        if self.failed_parts:
            return "failed"
        if self.done_dates >= self.total_dates:
            return "done"
        return "running" if self.done_dates else "queued"

    @property
    def percent(self) -> float:
        return 100 * self.done_dates / self.total_dates if self.total_dates else 100.0


class SameDateOneToOneField(models.OneToOneField):
    """A one-to-one to a snapshot whose joins also match the date (`h.as_of = s.as_of`).

    Snapshots and scores are partitioned by month on `as_of` (metrics migration 0014): a join on
    the snapshot's id alone would read every month's partition of the scores, while the date
    lets PostgreSQL read only the months of the snapshots at hand. The condition is redundant
    (a score's date is its snapshot's), so no result changes; Django adds it to every join,
    `select_related("health")` and `health__...` filters alike, through the same hook that
    generic relations use for their content type."""

    def get_extra_restriction(self, alias, related_alias):
        if alias is None or related_alias is None:  # a subquery trimmed to the key alone
            return None
        snapshot_date = self.remote_field.model._meta.get_field("as_of").get_col(alias)
        own_date = self.model._meta.get_field("as_of").get_col(related_alias)
        return WhereNode([Exact(own_date, snapshot_date)], connector=AND)


class SnapshotHealth(models.Model):
    """The health score of one snapshot row, its band, the version that produced it and the
    score of each of that version's components, in the version's order.

    A narrow table rather than columns of the wide snapshot row: rescoring a year of 10,000
    accounts after a model change writes 3.65 million rows of ~100 bytes instead of rewriting as
    many 1.7 kB snapshot rows (measured at 10,000 accounts: 16 vs 131 µs a row). The values are
    the snapshot's own columns; weights come from the version, so each component's contribution
    is derived exactly as the SQL derived the score (see `components`)."""

    # No database constraint: checking it doubled the cost of a rescore's INSERT. Scoring a
    # date replaces its rows by date (the nightly job's snapshot ids are new every night), and
    # Django's cascade removes them when an account goes.
    snapshot = SameDateOneToOneField(
        "metrics.AccountSnapshot",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="health",
        db_constraint=False,
    )
    # Copies of the snapshot's date, account and MRR: a range of dates is deleted, and the
    # portfolio's band totals recomputed after a rescore, without reading the wide snapshots.
    as_of = models.DateField()
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.DO_NOTHING,
        related_name="health_scores",
        db_constraint=False,
        db_index=False,  # snapshothealth_account_idx (account, as_of) leads with it
    )  # removed with the snapshot, which cascades from the account
    mrr = models.DecimalField(max_digits=14, decimal_places=2)
    score = models.FloatField(null=True)
    band = models.CharField(max_length=8, choices=HealthBand.choices, default=HealthBand.UNKNOWN)
    # Versions are never deleted (PROTECT); no database constraint, to keep bulk inserts cheap.
    model_version = models.ForeignKey(
        HealthModelVersion,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # versions are never deleted: 7 bytes a row for nothing
    )
    component_scores = ArrayField(models.FloatField(null=True), default=list)

    class Meta:
        indexes = [
            # Rescores and the nightly job delete a range of dates; the accounts list sorted by
            # health reads a date's scores in order from it (web/keyset.py). (A block-range
            # index was cheaper to insert into, but rows of one date end up scattered after
            # rescores in parallel parts, and a night's delete then scanned most of the table.)
            models.Index(fields=["as_of", "score"], name="snapshothealth_as_of_score_idx"),
            # An account's health chart: a year of its scores in one index-only range scan
            # (joining them to the snapshots by id cost one random read per day, 48 ms cold).
            models.Index(
                fields=["account", "as_of"],
                include=["score", "band", "model_version"],
                name="snapshothealth_account_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"health of snapshot {self.snapshot_id}: {self.score} ({self.band})"

    @property
    def components(self) -> list[dict]:
        """metric, value, score, weight and contribution of each component: contribution is
        weight x score / the sum of the weights of the components with a value, the points the
        component adds to the score (kpi-spec section 8)."""
        if self.model_version is None:
            return []
        definition = Definition.from_json(self.model_version.definition)
        scores = list(self.component_scores) + [None] * len(definition.components)
        weights = [float(c.weight) for c in definition.components]
        present = 0.0
        for weight, score in zip(weights, scores, strict=False):
            if score is not None:
                present += weight
        return [
            {
                "metric": c.metric,
                "value": _float(snapshot_value(self.snapshot, c.metric)),
                "score": score,
                "weight": weight,
                "contribution": weight * score / present if score is not None and present else None,
                "note": _left_out_note(self.snapshot, c.metric) if score is None else "",
            }
            for c, weight, score in zip(definition.components, weights, scores, strict=False)
        ]


def snapshot_value(snapshot, metric: str):
    """A component's value on a snapshot row: its column, or its custom field's number."""
    key = custom_metric_key(metric)
    if key is not None:
        return (snapshot.custom_numbers or {}).get(key)
    return getattr(snapshot, metric, None)


NO_USAGE_60D = "No usage in the last 60 days"


def _left_out_note(snapshot, metric: str) -> str:
    """Why a component is left out, when the reason is a signal in itself. The usage trend of
    an account with no events in either 30-day window is 0 / 0, null (kpi-spec sections 1 and
    7), so the spec leaves it out of the score; the page says so instead of a bare "left out".
    (A fall from a positive base to zero is -100 % and scores at the bad end.)"""
    if metric == "usage_trend" and snapshot.events_30d == 0 and snapshot.events_prev_30d == 0:
        return NO_USAGE_60D
    return ""


def _float(value) -> float | None:
    return None if value is None else float(value)


class AlertReason(models.TextChoices):
    ENTERED_RED = "entered_red", "Entered red"
    SCORE_DROP = "score_drop", "Health fell 15+ points in 30 days"
    CHAMPION_LEFT = "champion_left", "Champion left"
    RENEWAL_AT_RISK = "renewal_at_risk", "Renewal within 90 days, not green"
    DETRACTOR = "detractor", "Detractor response"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


class Alert(models.Model):
    """A signal for the account's owner. At most one unclosed alert per account and reason."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="alerts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    reason = models.CharField(max_length=20, choices=AlertReason.choices)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    as_of = models.DateField(help_text="The snapshot date that raised it.")
    details = models.TextField(blank=True, default="")
    due_on = models.DateField(null=True, blank=True)
    arr = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="The account's ARR on as_of."
    )  # lists put the biggest account first
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="one_unclosed_alert_per_reason",
            ),
        ]
        indexes = [
            # A CSM's home lists their unclosed alerts, newest first.
            models.Index(fields=["owner", "status", "-created_at"], name="alert_owner_status_idx"),
            # Every list page's header shows the biggest unclosed alerts: read in this order,
            # the first few, instead of sorting them all (21 ms at 100,000 accounts, 0.1 ms).
            models.Index(
                F("arr").desc(),
                "due_on",
                F("created_at").desc(),
                "id",
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_unclosed_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.account}"


class SentimentOverride(models.Model):
    """A CSM's own reading of an account. Shown beside the score, never replacing it; every
    entry is kept, with its author and time, as the audit trail."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sentiment_overrides"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    band = models.CharField(
        max_length=8, choices=[("green", "Green"), ("yellow", "Yellow"), ("red", "Red")]
    )
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"], name="override_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.band} for {self.account_id} by {self.author_id}"
