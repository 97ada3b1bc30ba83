"""Reads of the healthscores app for pages: alerts, overrides, versions, why a score moved."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.access import accounts_visible_to
from accounts.models import Account
from healthscores.models import Alert, AlertStatus, HealthModelVersion, SentimentOverride
from metrics.models import AccountSnapshot, HealthBand
from metrics.registry import ACCOUNT


def open_alerts_for_user(*, user: AbstractBaseUser, limit: int | None = None) -> QuerySet[Alert]:
    """Unclosed alerts on the accounts the user may see: a CSM's own, everything for leaders;
    the biggest account (ARR when raised) first, then the soonest due. With `limit`, the first
    `limit` are chosen from the alert rows alone and only they are joined to their accounts
    and owners, in the same statement (csm1's home joined her 1,729 alerts before keeping 9:
    7 ms at 10,000 accounts)."""
    order = ("-arr", "due_on", "-created_at", "pk")
    alerts = Alert.objects.filter(
        account__in=accounts_visible_to(user).values("pk"),
        status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
    )
    if limit is not None:
        alerts = Alert.objects.filter(pk__in=alerts.order_by(*order).values("pk")[:limit])
    return alerts.select_related("account", "owner").order_by(*order)


def account_alerts(*, account: Account, limit: int = 20) -> list[Alert]:
    return list(account.alerts.select_related("owner").order_by("-created_at")[:limit])


def latest_override(*, account: Account) -> SentimentOverride | None:
    return account.sentiment_overrides.select_related("author").first()


def override_history(*, account: Account, limit: int = 20) -> list[SentimentOverride]:
    return list(account.sentiment_overrides.select_related("author")[:limit])


def version_labels(version_ids: set[int]) -> dict[int, str]:
    """'Default v3' for each model version id, for chart annotations."""
    versions = HealthModelVersion.objects.filter(pk__in=version_ids).select_related("model")
    return {v.pk: f"{v.model.name} v{v.number}" for v in versions}


@dataclass(frozen=True)
class ComponentChange:
    metric: str
    label: str
    value_before: float | None
    value_after: float | None
    contribution_before: float | None
    contribution_after: float | None

    @property
    def contribution_change(self) -> float:
        return (self.contribution_after or 0.0) - (self.contribution_before or 0.0)


@dataclass(frozen=True)
class ScoreMovement:
    before: AccountSnapshot
    after: AccountSnapshot
    changes: list[ComponentChange]

    @property
    def score_change(self) -> float | None:
        if self.before.health_score is None or self.after.health_score is None:
            return None
        return self.after.health_score - self.before.health_score

    @property
    def same_model_version(self) -> bool:
        return self.before.health_model_version == self.after.health_model_version


def why_moved(*, account: Account, first: date, second: date) -> ScoreMovement | None:
    """Each component's change in value and contribution between two dates, largest change in
    contribution first: the score's change is the sum of the contribution changes."""
    rows = {
        row.as_of: row
        for row in AccountSnapshot.objects.filter(
            account=account, as_of__in=[first, second]
        ).select_related("health__model_version")
    }
    if first not in rows or second not in rows:
        return None
    before = {c["metric"]: c for c in rows[first].health_components}
    after = {c["metric"]: c for c in rows[second].health_components}
    changes = [
        ComponentChange(
            metric=metric,
            label=ACCOUNT[metric].label if metric in ACCOUNT else metric,
            value_before=before.get(metric, {}).get("value"),
            value_after=after.get(metric, {}).get("value"),
            contribution_before=before.get(metric, {}).get("contribution"),
            contribution_after=after.get(metric, {}).get("contribution"),
        )
        for metric in dict.fromkeys([*before, *after])
    ]
    changes.sort(key=lambda change: -abs(change.contribution_change))
    return ScoreMovement(before=rows[first], after=rows[second], changes=changes)


def override_disagreement(*, as_of: date) -> dict:
    """How often the latest CSM sentiment of each account disagrees with its computed band."""
    # The latest view each CSM had recorded by the end of that day, not later ones.
    latest = (
        SentimentOverride.objects.filter(created_at__date__lte=as_of)
        .order_by("account_id", "-created_at")
        .distinct("account_id")
    )
    bands = dict(
        AccountSnapshot.objects.filter(
            as_of=as_of, account_id__in=[o.account_id for o in latest]
        ).values_list("account_id", Coalesce("health__band", Value(HealthBand.UNKNOWN)))
    )
    compared = [(o.band, bands[o.account_id]) for o in latest if o.account_id in bands]
    disagreements = sum(1 for mine, computed in compared if mine != computed)
    return {
        "overrides": len(compared),
        "disagreements": disagreements,
        "rate": (100 * disagreements / len(compared)) if compared else None,
    }


@dataclass(frozen=True)
class ComponentDiff:
    metric: str
    before: tuple[float, float, float] | None  # (weight, bad, good); None: not in the older
    after: tuple[float, float, float] | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed" if self.before != self.after else ""


@dataclass(frozen=True)
class VersionDiff:
    thresholds_before: tuple[float, float] | None  # (green, yellow)
    thresholds_after: tuple[float, float]
    components: list[ComponentDiff]

    @property
    def changed(self) -> list[ComponentDiff]:
        return [c for c in self.components if c.change]


def _by_metric(definition: dict | None) -> dict[str, tuple[float, float, float]]:
    components = (definition or {}).get("components", [])
    return {
        c["metric"]: (float(c["weight"]), float(c["bad"]), float(c["good"])) for c in components
    }


def version_diff(older: dict | None, newer: dict) -> VersionDiff:
    """What changed from one version's definition to the next: thresholds, and each component's
    weight, bad and good (added, removed, changed or the same), in the newer version's order."""
    before, after = _by_metric(older), _by_metric(newer)
    metrics = list(dict.fromkeys([*after, *before]))
    return VersionDiff(
        thresholds_before=(float(older["green"]), float(older["yellow"])) if older else None,
        thresholds_after=(float(newer["green"]), float(newer["yellow"])),
        components=[ComponentDiff(m, before.get(m), after.get(m)) for m in metrics],
    )


def definition_changes(model, *, green, yellow, components: list[dict]) -> bool:
    """Whether these thresholds and (metric, weight, bad, good) rows differ from the model's
    latest version, whatever their order: saving them would publish a new version."""
    latest = model.versions.order_by("-number").first() if model.pk else None
    if latest is None:
        return True
    proposed = {
        "green": float(green),
        "yellow": float(yellow),
        "components": [
            {"metric": c["metric"], "weight": c["weight"], "bad": c["bad"], "good": c["good"]}
            for c in components
        ],
    }
    diff = version_diff(latest.definition, proposed)
    return bool(diff.changed) or diff.thresholds_before != diff.thresholds_after
