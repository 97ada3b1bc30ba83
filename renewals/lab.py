"""The churn reasons as the health lab's labels (settings.HEALTH_LAB_PANELS lists this panel).

The lab's backtest asks whether the score warns of churn in general. The reasons owners give
(renewals.models.ChurnReason) split that churn by kind, and the kinds are not equally
foreseeable: poor adoption should show in the score months ahead, an acquisition never will.
So per reason, over the last 12 months of churns and downsells, the panel shows how many had a
red or yellow score WARNING_DAYS before their term ended and how well that earlier score ranks
them below the accounts that stayed (the lab's ROC AUC, per reason). A reason the score cannot
see is a reason to add a component, or to stop counting it against the model.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max

from healthscores.lab import roc_auc
from healthscores.models import SnapshotHealth
from renewals import sql

TEMPLATE = "renewals/lab_panel.html"
WARNING_DAYS = 90
WINDOW_DAYS = 365
NO_REASON = "No reason yet"
WARNED_BANDS = frozenset({"red", "yellow"})


@dataclass(frozen=True)
class ReasonLine:
    reason: str
    outcomes: int
    churned: int
    arr_lost: float
    scored: int  # with a health score WARNING_DAYS before
    warned: int  # of those, red or yellow
    mean_score: float | None
    auc: float | None  # against the retained accounts' scores on the same lead

    @property
    def warned_percent(self) -> float | None:
        return 100 * self.warned / self.scored if self.scored else None


def reason_lines(*, last, warning: int = WARNING_DAYS) -> tuple[list[ReasonLine], int]:
    """One line per reason (and one for outcomes still without a reason), the largest ARR lost
    first, and the number of retained accounts they are ranked against."""
    first = last - timedelta(days=WINDOW_DAYS)
    lost, retained = sql.lost_with_earlier_health(first=first, last=last, warning=warning)
    grouped = defaultdict(list)
    for reason, kind, arr, score, band in lost:
        grouped[reason or NO_REASON].append((kind, float(arr), score, band))
    lines = []
    for reason, rows in grouped.items():
        scores = [score for _k, _a, score, _b in rows if score is not None]
        lines.append(
            ReasonLine(
                reason=reason,
                outcomes=len(rows),
                churned=sum(1 for kind, *_ in rows if kind == "churned"),
                arr_lost=sum(arr for _k, arr, _s, _b in rows),
                scored=len(scores),
                warned=sum(1 for *_, band in rows if band in WARNED_BANDS),
                mean_score=sum(scores) / len(scores) if scores else None,
                auc=roc_auc(scores, retained),
            )
        )
    lines.sort(key=lambda line: (-line.arr_lost, line.reason))
    return lines, len(retained)


def lab_panel() -> dict:
    """The panel's context: the lines as of the newest scored day."""
    last = SnapshotHealth.objects.aggregate(last=Max("as_of"))["last"]
    context = {"template": TEMPLATE, "lines": [], "retained": 0, "last": last,
               "warning_days": WARNING_DAYS}  # fmt: skip
    if last is not None:
        context["lines"], context["retained"] = reason_lines(last=last)
    return context
