"""The health-score arithmetic of kpi-spec section 8 in plain Python.

The nightly job scores in SQL (healthscores/sql.py); the lab scores proposals here, over the
same stored snapshot values, and the tests hold the two to the same answers.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# A numeric custom field of accounts as a component's metric: "custom.<key>", scored from the
# snapshot's custom_numbers (metrics.AccountSnapshot), so the lab backtests it like the rest.
CUSTOM_METRIC_PREFIX = "custom."
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # accounts.CustomField's key_shape constraint


def custom_metric_key(metric: str) -> str | None:
    """The custom field's key of a "custom.<key>" metric (None for the registry's metrics)."""
    if not metric.startswith(CUSTOM_METRIC_PREFIX):
        return None
    key = metric.removeprefix(CUSTOM_METRIC_PREFIX)
    return key if _CUSTOM_KEY.match(key) else None


@dataclass(frozen=True)
class Component:
    metric: str
    weight: float
    bad: float
    good: float

    def score(self, value: float | None) -> float | None:
        """0 at bad, 100 at good, linear between, clamped; None without a value."""
        if value is None:
            return None
        raw = (float(value) - self.bad) / (self.good - self.bad) * 100
        return min(100.0, max(0.0, raw))


@dataclass(frozen=True)
class Definition:
    green: float
    yellow: float
    components: tuple[Component, ...]

    @classmethod
    def from_json(cls, data: Mapping) -> "Definition":
        components = sorted(data["components"], key=lambda c: c.get("position", 0))
        return cls(
            green=float(data["green"]),
            yellow=float(data["yellow"]),
            components=tuple(
                Component(c["metric"], float(c["weight"]), float(c["bad"]), float(c["good"]))
                for c in components
            ),
        )

    def to_json(self) -> dict:
        return {
            "green": self.green,
            "yellow": self.yellow,
            "components": [
                {"position": i, "metric": c.metric, "weight": c.weight, "bad": c.bad,
                 "good": c.good}
                for i, c in enumerate(self.components)
            ],
        }  # fmt: skip

    def with_weights(self, weights: Sequence[float]) -> "Definition":
        components = tuple(
            Component(c.metric, float(w), c.bad, c.good)
            for c, w in zip(self.components, weights, strict=True)
        )
        return Definition(self.green, self.yellow, components)


@dataclass(frozen=True)
class Scored:
    score: float | None
    band: str
    components: list[dict]


def band_of(score: float | None, green: float, yellow: float) -> str:
    """Bands are taken on the score rounded to 2 decimals."""
    if score is None:
        return "unknown"
    rounded = Decimal(repr(score)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded >= Decimal(repr(green)):
        return "green"
    if rounded >= Decimal(repr(yellow)):
        return "yellow"
    return "red"


def weighted_score(weights: Sequence[float], scores: Sequence[float | None]) -> float | None:
    """sum(w x s) / sum(w) over the components with a score; None when none or all weights 0."""
    total = weighted = 0.0
    for weight, score in zip(weights, scores, strict=True):
        if score is not None:
            total += weight
            weighted += weight * score
    return weighted / total if total else None


def score(definition: Definition, values: Mapping[str, float | None]) -> Scored:
    component_scores = [c.score(values.get(c.metric)) for c in definition.components]
    weights = [c.weight for c in definition.components]
    health = weighted_score(weights, component_scores)
    present = sum(w for w, s in zip(weights, component_scores, strict=True) if s is not None)
    components = [
        {
            "metric": c.metric,
            "value": values.get(c.metric),
            "score": s,
            "weight": c.weight,
            "contribution": (c.weight * s / present) if s is not None and present else None,
        }
        for c, s in zip(definition.components, component_scores, strict=True)
    ]
    return Scored(health, band_of(health, definition.green, definition.yellow), components)
