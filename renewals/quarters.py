"""Calendar quarters, the forecast's periods."""

from datetime import date, timedelta


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_end(start: date) -> date:
    return next_quarter(start) - timedelta(days=1)


def next_quarter(start: date) -> date:
    month = start.month + 3
    return date(start.year + (month > 12), (month - 1) % 12 + 1, 1)


def quarter_label(start: date) -> str:
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


# A closed quarter is scored on the forecasts made this many days before its end.
SCORED_LEADS = (90, 60, 30)
# A forecast stored up to this many days before a lead's date stands in for it (a night missed).
LEAD_TOLERANCE_DAYS = 7
