"""Parsers for one CSV cell each: they return a Python value or raise ValueError with the message.

The rules are kpi-spec section 2's, kept here once so that the import and the API say the same
thing about the same bad value.
"""

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.workspace import workspace_zone

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# ISO 8601 date, optional time (T or space), optional fraction, optional Z or +hh[:mm] offset.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
    r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_MONEY_MAX = Decimal("999999999999.99")
_INT_MAX = 2**31 - 1
_BIGINT_MAX = 2**63 - 1
CENT = Decimal("0.01")
# Messages quote the value they refuse, cut to this many characters: a 10 MB cell is named, not
# echoed back into a report or a 422 body.
SHOWN_MAX = 80
# No column holds a number of more digits than this (a bigint has 19, money 14).
DIGITS_MAX = 30


def cut(text: str) -> str:
    """`text` cut to SHOWN_MAX characters (the last one an ellipsis when cut)."""
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "\u2026"


def shown(value: object) -> str:
    """A value as a message quotes it: a string's repr, anything else as printed; cut."""
    return cut(repr(value) if isinstance(value, str) else str(value))


def text(max_length: int):
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise ValueError(f"longer than {max_length} characters ({len(raw)})")
        if "\x00" in raw:  # PostgreSQL text cannot hold it; it is never meant
            raise ValueError("contains a NUL character (0x00)")
        return raw

    return parse


@lru_cache(maxsize=8192)  # usage files repeat the same few hundred dates a million times
def parse_date(raw: str) -> date:
    if not _DATE.fullmatch(raw):
        raise ValueError(f"{shown(raw)} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{shown(raw)} is not a valid calendar date") from None


def parse_month(raw: str) -> date:
    match = _MONTH.fullmatch(raw)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{shown(raw)} is not a month (YYYY-MM)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_timestamp(raw: str) -> datetime:
    """ISO 8601; a value without offset is local time in the workspace time zone."""
    if not _TIMESTAMP.fullmatch(raw):
        raise ValueError(f"{shown(raw)} is not an ISO 8601 timestamp")
    try:
        # fromisoformat refuses the lower-case z that _TIMESTAMP (like RFC 3339) accepts.
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{shown(raw)} is not a valid timestamp") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=workspace_zone())
    return value.astimezone(UTC)


def parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{shown(raw)} is not a boolean (true/false, 1/0, yes/no)")


def _whole(raw: str) -> int:
    """int() of a matched whole number; past any column's range it is refused before Python
    converts it (which takes quadratic time and refuses past 4,300 digits with advice for
    programmers)."""
    if len(raw.lstrip("+-").lstrip("0")) > DIGITS_MAX:
        raise ValueError(f"{cut(raw)} has more than {DIGITS_MAX} digits")
    return int(raw)


def _non_negative_integer(raw: str, maximum: int) -> int:
    # The common case first, without a regex.
    if (raw.isascii() and raw.isdigit()) or _INTEGER.fullmatch(raw):
        value = _whole(raw)
    else:
        raise ValueError(f"{shown(raw)} is not a whole number")
    if value < 0:
        raise ValueError(f"must be >= 0, got {cut(str(value))}")
    if value > maximum:
        raise ValueError(f"{cut(str(value))} is too large (at most {maximum})")
    return value


def non_negative_int(raw: str) -> int:
    return _non_negative_integer(raw, _INT_MAX)


def non_negative_bigint(raw: str) -> int:
    return _non_negative_integer(raw, _BIGINT_MAX)


def non_negative_float(raw: str) -> float:
    if not (raw.isascii() and raw.isdigit()) and not _NUMBER.fullmatch(raw):
        raise ValueError(f"{shown(raw)} is not a number")
    value = float(raw)
    if value < 0:
        raise ValueError(f"must be >= 0, got {cut(raw)}")
    if value > 1e12:
        raise ValueError(f"{cut(raw)} is too large")
    return value


def money(raw: str) -> Decimal:
    """A non-negative amount, rounded half-up to cents (money is stored with 2 places)."""
    if not _NUMBER.fullmatch(raw):
        raise ValueError(f"{shown(raw)} is not an amount")
    try:
        value = Decimal(raw).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{shown(raw)} is not an amount") from None
    if value < 0:
        raise ValueError(f"must be >= 0, got {cut(raw)}")
    if value > _MONEY_MAX:
        raise ValueError(f"{cut(raw)} is too large (at most {_MONEY_MAX})")
    return value


def integer_in(low: int, high: int):
    def parse(raw: str) -> int:
        if not _INTEGER.fullmatch(raw):
            raise ValueError(f"{shown(raw)} is not a whole number")
        value = _whole(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {cut(str(value))}")
        return value

    return parse


def choice(options: tuple[str, ...]):
    allowed = {option.lower(): option for option in options}

    def parse(raw: str) -> str:
        try:
            return allowed[raw.lower()]
        except KeyError:
            raise ValueError(f"{shown(raw)} is not one of {', '.join(options)}") from None

    return parse


def email(raw: str) -> str:
    if len(raw) > 254:
        raise ValueError("longer than 254 characters")
    try:
        validate_email(raw)
    except ValidationError:
        raise ValueError(f"{shown(raw)} is not an email address") from None
    return raw.lower()


_NUMBER_MAX = Decimal("1e15")


def number(raw: str) -> Decimal:
    """A signed number with at most 15 digits before the point (an admin's numeric field)."""
    if not _NUMBER.fullmatch(raw):
        raise ValueError(f"{shown(raw)} is not a number")
    value = Decimal(raw)
    if abs(value) >= _NUMBER_MAX:
        raise ValueError(f"{cut(raw)} is too large")
    return value
