"""The forecast's arithmetic, apart from the database: expected renewing ARR and its interval.

A quarter's undecided renewals each renew (keeping their ARR a) or churn (losing it) with their
own probability p, independently: the renewing ARR is a sum of weighted Bernoullis. Its mean is
sum a(1 - p); its distribution has no closed form once the weights differ (the Poisson-binomial
recursion is exact only for equal weights), so the 80 % interval is read from a seeded
Monte-Carlo of SIMULATIONS quarters: the same inputs always give the same interval.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

SIMULATIONS = 4000
SEED = 17  # fixed: a forecast is reproducible, and a page and the nightly job agree
INTERVAL = (10.0, 90.0)  # percentiles: the central 80 %
_CHUNK = 500  # simulations drawn at once (500 x 10,000 renewals is 40 MB of floats)


@dataclass(frozen=True)
class Forecast:
    renewals: int
    unscored: int
    arr_at_stake: Decimal
    expected_arr: Decimal | None  # renewing ARR, each renewal kept at most at its ARR (GRR)
    low_arr: Decimal | None
    high_arr: Decimal | None
    expected_net_arr: Decimal | None  # with known expansions and downsells (NRR)

    @property
    def grr(self) -> float | None:
        return _rate(self.expected_arr, self.arr_at_stake)

    @property
    def nrr(self) -> float | None:
        return _rate(self.expected_net_arr, self.arr_at_stake)


def _rate(part: Decimal | None, whole: Decimal) -> float | None:
    return None if part is None or not whole else float(part / whole * 100)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def renewing_interval(
    arr: Sequence[float], p: Sequence[float], *, simulations: int = SIMULATIONS, seed: int = SEED
) -> tuple[float, float]:
    """The 10th and 90th percentiles of sum(a x [renews]) when each renews with 1 - p."""
    weights, churn = np.asarray(arr, dtype=float), np.asarray(p, dtype=float)
    if weights.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    totals = np.empty(simulations)
    for start in range(0, simulations, _CHUNK):
        size = min(_CHUNK, simulations - start)
        renews = rng.random((size, weights.size)) >= churn
        totals[start : start + size] = renews @ weights
    low, high = np.percentile(totals, INTERVAL, method="inverted_cdf")
    return float(low), float(high)


@dataclass(frozen=True)
class Item:
    """One renewal of the quarter: its ARR at stake, and either its outcome's ARR (decided) or
    its churn probability (None when it has none)."""

    arr: Decimal
    p: float | None = None
    decided_arr: Decimal | None = None  # the successor terms' ARR, once known


def forecast(items: Sequence[Item]) -> Forecast:
    """The quarter's forecast. An undecided renewal without a probability takes the mean of
    those with one (counted as unscored); with none at all there is no forecast."""
    open_items = [item for item in items if item.decided_arr is None]
    scored = [item.p for item in open_items if item.p is not None]
    at_stake = sum((item.arr for item in items), Decimal(0))
    unscored = len(open_items) - len(scored)
    if open_items and not scored:
        return Forecast(len(items), unscored, at_stake, None, None, None, None)
    fill = float(np.mean(scored)) if scored else 0.0
    kept = sum((min(i.decided_arr, i.arr) for i in items if i.decided_arr is not None), Decimal(0))
    net = sum((i.decided_arr for i in items if i.decided_arr is not None), Decimal(0))
    arr = [float(item.arr) for item in open_items]
    p = [fill if item.p is None else item.p for item in open_items]
    expected = float(np.dot(arr, 1 - np.asarray(p))) if arr else 0.0
    low, high = renewing_interval(arr, p)
    return Forecast(
        renewals=len(items),
        unscored=unscored,
        arr_at_stake=at_stake,
        expected_arr=kept + _money(expected),
        low_arr=kept + _money(low),
        high_arr=kept + _money(high),
        expected_net_arr=net + _money(expected),
    )
