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
