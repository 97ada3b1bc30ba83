"""docs/kpis.md, generated from the KPI registry so that the documentation cannot drift."""

from pathlib import Path

from django.conf import settings

from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Kpi

KPI_DOCS_PATH = Path(settings.BASE_DIR) / "docs" / "kpis.md"

_DIRECTION = {True: "higher", False: "lower", None: "—"}


def _table(kpis: tuple[Kpi, ...]) -> list[str]:
    lines = ["| key | label | unit | better | definition |", "| --- | --- | --- | --- | --- |"]
    lines += [
        f"| `{kpi.key}` | {kpi.label} | {kpi.unit} | {_DIRECTION[kpi.higher_is_better]} "
        f"| {kpi.definition} |"
        for kpi in kpis
    ]
    return lines


def render_kpi_docs() -> str:
    lines = [
        "# KPI definitions",
        "",
        "Generated from `metrics/registry.py` by `python manage.py kpi_docs`; do not edit by "
        "hand (a test fails when this file is stale). The contract behind every formula is "
        "kpi-spec sections 3 to 8.",
        "",
        "**As-of date D**: the day a snapshot describes. **Period P**: the calendar month of D "
        "up to and including D (month to date). **Start of period**: the day before P's first "
        "day. Rates are percentages. A ratio with a zero denominator, or a mean over nothing, "
        "is empty (null), never 0. Trailing windows are inclusive: the last 30 days of D are "
        "[D-29, D].",
        "",
        "**Trailing 3 or 12 months** (the portfolio's period choice, `kpis --period 3m|12m`): "
        "the calendar months ending with D's month, each read on its last computed date (D for "
        "the last). Flows (new, reactivation, expansion, contraction and churned MRR, tickets, "
        "answers, contracts, trials, spends) are summed over the months and rates derived from "
        "those sums; starting MRR is MRR on the day before the period; stocks (MRR, customers, "
        "open tickets, the usage windows) are D's. NRR, GRR, customers at start, churned and new "
        "customers, logo churn and customer retention follow the fixed cohort of accounts paying "
        "on the day before the period: D3 = the last day of the month 3 months before D's month, "
        "and for 12 months D12 as `nrr_12m` defines it. The comparison is the previous period of "
        "the same length.",
        "",
        "## Portfolio",
        "",
        "Computed for any filter of accounts by summing the accounts' snapshot rows.",
        "",
    ]
    groups = dict.fromkeys(kpi.group for kpi in PORTFOLIO_KPIS)
    for group in groups:
        lines += [f"### {group}", ""]
        lines += _table(tuple(kpi for kpi in PORTFOLIO_KPIS if kpi.group == group))
        lines.append("")
    lines += ["## Per account", "", "One snapshot row per account per as-of date.", ""]
    lines += _table(ACCOUNT_KPIS)
    return "\n".join(lines) + "\n"
