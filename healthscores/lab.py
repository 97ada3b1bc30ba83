"""The health lab: does a set of weights predict churn? Backtests over stored snapshots.

For every account that churned in the 12 months before the as-of date, its metrics 30, 60 and 90
days before its churn day; for every retained account (paying on the as-of date, no churn in
the window), its metrics the same number of days before the as-of date. A definition scores
both groups, and the ROC AUC says how often a churner scored below a retained account (0.5 is a
coin toss, 1.0 a perfect warning). Scores are recomputed from the stored metric values, so the
current model and a proposal are judged on exactly the same data.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection

from healthscores import sql as health_sql
from healthscores.scoring import Definition, band_of, weighted_score

HORIZONS = (30, 60, 90)
BANDS = ("green", "yellow", "red", "unknown")


@dataclass
class Sample:
    """Stored metric values of the backtest, per horizon: (account, churned?, values)."""

    as_of: date
    horizons: dict[int, list[tuple[int, bool, dict]]] = field(default_factory=dict)
    # Accounts paying 90 days before as_of, their values then, and whether they churned since.
    band_base: list[tuple[int, bool, dict]] = field(default_factory=list)
    # Every account's values on as_of, for the band distribution and band changes.
    latest: dict[int, dict] = field(default_factory=dict)

    @property
    def churners(self) -> int:
        return sum(1 for _a, churned, _v in self.horizons.get(90, []) if churned)


def load_sample(as_of: date) -> Sample:
    """Read the backtest's metric values from the snapshots (a handful of queries)."""
    first = as_of - timedelta(days=364)
    with connection.cursor() as cursor:
        churned_on = health_sql.churn_events(cursor, first=first, last=as_of)
        retained = health_sql.active_accounts_on(cursor, as_of) - set(churned_on)
        base_day = as_of - timedelta(days=90)
        base_accounts = health_sql.active_accounts_on(cursor, base_day)
        pairs = [(a, d - timedelta(days=h)) for a, d in churned_on.items() for h in HORIZONS]
        pairs += [(a, as_of - timedelta(days=h)) for a in retained for h in HORIZONS]
        pairs += [(a, base_day) for a in base_accounts]  # churners too, for churn by band
        pairs += [(a, as_of) for a in health_sql.all_account_ids(cursor)]
        values = health_sql.snapshot_values(cursor, pairs)
    sample = Sample(as_of=as_of)
    for h in HORIZONS:
        rows = [(a, True, values.get((a, d - timedelta(days=h)))) for a, d in churned_on.items()]
        rows += [(a, False, values.get((a, as_of - timedelta(days=h)))) for a in retained]
        sample.horizons[h] = [(a, churned, v) for a, churned, v in rows if v is not None]
    churned_since_base = {a for a, d in churned_on.items() if d > base_day}
    sample.band_base = [
        (a, a in churned_since_base, values[(a, base_day)])
        for a in base_accounts
        if (a, base_day) in values
    ]
    sample.latest = {a: v for (a, d), v in values.items() if d == as_of}
    return sample


def roc_auc(churner_scores: list[float], retained_scores: list[float]) -> float | None:
    """P(a churner scores below a retained account), ties counting half (Mann-Whitney U)."""
    if not churner_scores or not retained_scores:
        return None
    ranked = sorted([(s, 1) for s in churner_scores] + [(s, 0) for s in retained_scores])
    below = 0.0  # churner/retained pairs where the churner scores lower
    retained_seen = i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        tie = ranked[i:j]
        churners_here = sum(label for _s, label in tie)
        retained_here = len(tie) - churners_here
        # Churners at this score are below every retained account scoring higher.
        retained_above = len(retained_scores) - retained_seen - retained_here
        below += churners_here * (retained_above + 0.5 * retained_here)
        retained_seen += retained_here
        i = j
    return below / (len(churner_scores) * len(retained_scores))


@dataclass(frozen=True)
class Evaluation:
    auc: dict[int, float | None]
    mean_churner_score: dict[int, float | None]
    mean_retained_score: dict[int, float | None]
    churn_rate_by_band: dict[str, float | None]
    accounts_by_band: dict[str, int]
    band_distribution: dict[str, int]


def _component_scores(definition: Definition, values: dict) -> list[float | None]:
    return [c.score(values.get(c.metric)) for c in definition.components]


def _scores(definition: Definition, rows) -> list[tuple[bool, float | None]]:
    weights = [c.weight for c in definition.components]
    return [(churned, weighted_score(weights, _component_scores(definition, v)))
            for _a, churned, v in rows]  # fmt: skip


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def evaluate(definition: Definition, sample: Sample) -> Evaluation:
    auc, churner_mean, retained_mean = {}, {}, {}
    for h, rows in sample.horizons.items():
        scored = [(churned, s) for churned, s in _scores(definition, rows) if s is not None]
        churners = [s for churned, s in scored if churned]
        kept = [s for churned, s in scored if not churned]
        auc[h], churner_mean[h], retained_mean[h] = (
            roc_auc(churners, kept),
            _mean(churners),
            _mean(kept),
        )
    bands = [(band_of(s, definition.green, definition.yellow), churned)
             for churned, s in _scores(definition, sample.band_base)]  # fmt: skip
    totals = Counter(band for band, _c in bands)
    churned = Counter(band for band, c in bands if c)
    latest = [(a, False, v) for a, v in sample.latest.items()]
    distribution = Counter(
        band_of(s, definition.green, definition.yellow) for _c, s in _scores(definition, latest)
    )
    return Evaluation(
        auc=auc,
        mean_churner_score=churner_mean,
        mean_retained_score=retained_mean,
        churn_rate_by_band={
            b: (100 * churned[b] / totals[b] if totals[b] else None) for b in BANDS
        },
        accounts_by_band={b: totals[b] for b in BANDS},
        band_distribution={b: distribution[b] for b in BANDS},
    )


def band_changes(current: Definition, proposal: Definition, sample: Sample) -> list[dict]:
    """Accounts whose band on the as-of date differs between the two definitions."""
    changes = []
    for account_id, values in sample.latest.items():
        before = _scores(current, [(account_id, False, values)])[0][1]
        after = _scores(proposal, [(account_id, False, values)])[0][1]
        band_before = band_of(before, current.green, current.yellow)
        band_after = band_of(after, proposal.green, proposal.yellow)
        if band_before != band_after:
            changes.append({"account_id": account_id, "before": band_before,
                            "after": band_after, "score_before": before,
                            "score_after": after, "mrr": values.get("mrr") or 0})  # fmt: skip
    return sorted(changes, key=lambda change: -change["mrr"])


def suggest_weights(
    definition: Definition, sample: Sample, *, horizon: int = 90, rounds: int = 6
) -> tuple[Definition, float | None, float | None]:
    """Coordinate search over the weights (bad/good values kept) for a higher AUC at `horizon`.
    Starts from the given weights and only accepts improvements, so it never makes AUC worse.
    Returns (suggestion, AUC before, AUC after)."""
    rows = sample.horizons.get(horizon, [])
    matrix = [(churned, _component_scores(definition, v)) for _a, churned, v in rows]

    def auc_of(weights: list[float]) -> float | None:
        scored = [(c, weighted_score(weights, s)) for c, s in matrix]
        return roc_auc([s for c, s in scored if c and s is not None],
                       [s for c, s in scored if not c and s is not None])  # fmt: skip

    weights = [c.weight for c in definition.components]
    best = start = auc_of(weights)
    if best is None:
        return definition, None, None
    steps = (0.0, 0.5, 2.0, 5.0, 10.0, 20.0, 30.0)
    for _ in range(rounds):
        improved = False
        for index in range(len(weights)):
            for step in steps:
                candidate = [*weights[:index], step, *weights[index + 1 :]]
                if not any(candidate):
                    continue
                value = auc_of(candidate)
                if value is not None and value > best + 1e-9:
                    best, weights, improved = value, candidate, True
        if not improved:
            break
    return definition.with_weights(weights), start, best
