"""The health lab: does a set of weights predict churn? Backtests over stored snapshots.

For every account that churned in the 12 months before the as-of date, its metrics 30, 60 and 90
days before its churn day; for every retained account (paying on the as-of date, no churn in
the window), its metrics the same number of days before the as-of date. A definition scores
both groups, and the ROC AUC says how often a churner scored below a retained account (0.5 is a
coin toss, 1.0 a perfect warning). Scores are recomputed from the stored metric values, so the
current model and a proposal are judged on exactly the same data.

Suggested weights are fitted out of time: on the churn of the earlier half of the year, then
scored on the churn of the later half, which the search never saw. A suggestion is offered only
when it predicts the later churn better, with a warning when churners are few; the page shows
how it moves the book between bands and asks for confirmation when it moves most of it into one.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection

from healthscores import sql as health_sql
from healthscores.scoring import Definition, band_of, weighted_score

HORIZONS = (30, 60, 90)
BANDS = ("green", "yellow", "red", "unknown")
# The fit period is the backtest year's first half (churn up to as_of - FIT_SPLIT_DAYS); the
# suggestion is scored on the churn after it.
FIT_SPLIT_DAYS = 182
# Fewer churners than this in the fit period: a search over 8 weights fits their noise.
FEW_CHURNERS = 30
# A proposal moving more than this share of the book into one band needs a confirmation.
CONCENTRATION_SHARE = 50.0

Rows = list[tuple[int, bool, dict]]


@dataclass
class Sample:
    """Stored metric values of the backtest, per horizon: (account, churned?, values)."""

    as_of: date
    horizons: dict[int, list[tuple[int, bool, dict]]] = field(default_factory=dict)
    # Accounts paying 90 days before as_of, their values then, and whether they churned since.
    band_base: list[tuple[int, bool, dict]] = field(default_factory=list)
    # Every account's values on as_of, for the band distribution and band changes.
    latest: dict[int, dict] = field(default_factory=dict)
    # Out of time, per horizon: the earlier period's rows (churn up to `split`, the others read
    # h days before `split`) to fit weights on, and the later period's (churn after `split`,
    # the others read h days before as_of) to score them on.
    split: date | None = None
    fit: dict[int, Rows] = field(default_factory=dict)
    later: dict[int, Rows] = field(default_factory=dict)

    @property
    def churners(self) -> int:
        return sum(1 for _a, churned, _v in self.horizons.get(90, []) if churned)


def load_sample(as_of: date) -> Sample:
    """Read the backtest's metric values from the snapshots (a handful of queries)."""
    first = as_of - timedelta(days=364)
    split = as_of - timedelta(days=FIT_SPLIT_DAYS)
    with connection.cursor() as cursor:
        churned_on = health_sql.churn_events(cursor, first=first, last=as_of)
        retained = health_sql.active_accounts_on(cursor, as_of) - set(churned_on)
        base_day = as_of - timedelta(days=90)
        base_accounts = health_sql.active_accounts_on(cursor, base_day)
        # Paying on the split day and not churned by then: the fit period's retained accounts
        # (what happened after the split is the later period's, unseen by the fit).
        fit_retained = health_sql.active_accounts_on(cursor, split) - {
            a for a, d in churned_on.items() if d <= split
        }
        pairs = [(a, d - timedelta(days=h)) for a, d in churned_on.items() for h in HORIZONS]
        pairs += [(a, as_of - timedelta(days=h)) for a in retained for h in HORIZONS]
        pairs += [(a, split - timedelta(days=h)) for a in fit_retained for h in HORIZONS]
        pairs += [(a, base_day) for a in base_accounts]  # churners too, for churn by band
        pairs += [(a, as_of) for a in health_sql.all_account_ids(cursor)]
        values = health_sql.snapshot_values(cursor, pairs)
    sample = Sample(as_of=as_of, split=split)
    earlier = {a for a, d in churned_on.items() if d <= split}
    for h in HORIZONS:
        back = timedelta(days=h)
        churners = [(a, True, values.get((a, d - back))) for a, d in churned_on.items()]
        kept = [(a, False, values.get((a, as_of - back))) for a in retained]
        sample.horizons[h] = _present(churners + kept)
        sample.fit[h] = _present(
            [row for row in churners if row[0] in earlier]
            + [(a, False, values.get((a, split - back))) for a in fit_retained]
        )
        sample.later[h] = _present([row for row in churners if row[0] not in earlier] + kept)
    churned_since_base = {a for a, d in churned_on.items() if d > base_day}
    sample.band_base = [
        (a, a in churned_since_base, values[(a, base_day)])
        for a in base_accounts
        if (a, base_day) in values
    ]
    sample.latest = {a: v for (a, d), v in values.items() if d == as_of}
    return sample


def _present(rows) -> Rows:
    return [(a, churned, v) for a, churned, v in rows if v is not None]


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
    distribution = _book_bands(definition, sample)
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


def _customers(sample: Sample) -> Rows:
    """The book: customers on as_of (MRR > 0, metrics.totals.CUSTOMER), the accounts a band
    counts."""
    return [(a, False, v) for a, v in sample.latest.items() if (v.get("mrr") or 0) > 0]


def _book_bands(definition: Definition, sample: Sample) -> Counter:
    scores = _scores(definition, _customers(sample))
    return Counter(band_of(s, definition.green, definition.yellow) for _c, s in scores)


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


@dataclass(frozen=True)
class BandMove:
    """How a proposal moves the book (customers on as_of) between bands."""

    book: int
    before: dict[str, int]
    after: dict[str, int]
    moved_into: dict[str, int]  # accounts in another band before, in this one after

    @property
    def concentrated(self) -> tuple[str, int] | None:
        """(band, accounts) when more than CONCENTRATION_SHARE % of the book moves into one
        band: a proposal that repaints the book rather than ranks it."""
        for band, moved in sorted(self.moved_into.items(), key=lambda item: -item[1]):
            if self.book and 100 * moved / self.book > CONCENTRATION_SHARE:
                return band, moved
        return None


def band_move(current: Definition, proposal: Definition, sample: Sample) -> BandMove:
    rows = _customers(sample)
    before = [band_of(s, current.green, current.yellow) for _c, s in _scores(current, rows)]
    after = [band_of(s, proposal.green, proposal.yellow) for _c, s in _scores(proposal, rows)]
    moved = Counter(b for a, b in zip(before, after, strict=True) if a != b)
    return BandMove(
        book=len(rows),
        before={b: before.count(b) for b in BANDS},
        after={b: after.count(b) for b in BANDS},
        moved_into={b: moved[b] for b in BANDS},
    )


def _auc(weights: list[float], matrix) -> float | None:
    scored = [(c, weighted_score(weights, s)) for c, s in matrix]
    return roc_auc([s for c, s in scored if c and s is not None],
                   [s for c, s in scored if not c and s is not None])  # fmt: skip


def _matrix(definition: Definition, rows: Rows) -> list[tuple[bool, list[float | None]]]:
    return [(churned, _component_scores(definition, v)) for _a, churned, v in rows]


def fit_weights(
    definition: Definition, rows: Rows, *, rounds: int = 6
) -> tuple[Definition, float | None, float | None]:
    """Coordinate search over the weights (bad/good values kept) for a higher AUC on `rows`.
    Starts from the given weights and only accepts improvements, so it never makes their AUC
    worse. Returns (fitted, AUC before, AUC after), both on `rows`."""
    matrix = _matrix(definition, rows)
    weights = [c.weight for c in definition.components]
    best = start = _auc(weights, matrix)
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
                value = _auc(candidate, matrix)
                if value is not None and value > best + 1e-9:
                    best, weights, improved = value, candidate, True
        if not improved:
            break
    return definition.with_weights(weights), start, best


@dataclass(frozen=True)
class Suggestion:
    """Weights fitted on the earlier period and scored on the later one (out of time)."""

    current: Definition
    fitted: Definition
    fit_churners: int
    later_churners: int
    fit_before: float | None
    fit_after: float | None
    later_before: float | None  # the current weights' AUC on the later period
    later_after: float | None  # the fitted weights' AUC there
    move: BandMove

    @property
    def offered(self) -> bool:
        """Only weights that predict the later, unseen churn better than the current ones."""
        return (
            self.fitted != self.current
            and self.later_before is not None
            and self.later_after is not None
            and self.later_after > self.later_before + 1e-9
        )

    @property
    def definition(self) -> Definition:
        return self.fitted if self.offered else self.current

    @property
    def few_churners(self) -> bool:
        return self.fit_churners < FEW_CHURNERS


def suggest_weights(definition: Definition, sample: Sample, *, horizon: int = 90) -> Suggestion:
    """Fit weights on the sample's earlier period at `horizon`, score them on the later one."""
    fit_rows, later_rows = sample.fit.get(horizon, []), sample.later.get(horizon, [])
    fitted, fit_before, fit_after = fit_weights(definition, fit_rows)
    later_before = _auc([c.weight for c in definition.components], _matrix(definition, later_rows))
    later_after = _auc([c.weight for c in fitted.components], _matrix(fitted, later_rows))
    return Suggestion(
        current=definition,
        fitted=fitted,
        fit_churners=sum(1 for _a, churned, _v in fit_rows if churned),
        later_churners=sum(1 for _a, churned, _v in later_rows if churned),
        fit_before=fit_before,
        fit_after=fit_after,
        later_before=later_before,
        later_after=later_after,
        move=band_move(definition, fitted, sample),
    )
