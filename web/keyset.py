"""Keyset pagination of the accounts list: a page is "the 50 rows after (or before) this row in
the sort order", never OFFSET n, so page 2,000 costs what page 1 costs.

The list's order is (sort column NULLS LAST, name, pk): pk makes it total, so rows with equal
sort values (ties) are neither skipped nor repeated. A cursor is the (sort value, name, pk) of a
page's last row (next) or first row (previous), plus that row's position for "Showing x-y";
it is signed (django.core.signing), so a tampered or stale cursor falls back to the first page.

A sort on a snapshot or score column reads its page in two parts, each off an index: the rows
with a value, in the column's index order (`ORDER BY mrr DESC, name, pk` over
`(as_of, mrr DESC)`: nested loops from the first index entries, not a sort of every account),
then, if the page is not full, the rows without one (NULLS LAST: no snapshot yet, no survey) in
(name, pk) order. A single `ORDER BY mrr DESC NULLS LAST` over the LEFT JOIN from accounts can
use no index: it joined and sorted the whole book (190 ms at 100,000 accounts; 2 ms this way).

The count is capped: COUNT(*) over at most COUNT_CAP + 1 rows of the filtered list, shown as
"10,000+" beyond the cap. An exact count of every account behind a filter would read the whole
book on each page view; the cap bounds it whatever the number of accounts.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db.models import F, Q, QuerySet

COUNT_CAP = 10_000
_SALT = "web.keyset.accounts"


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def cursor_encode(values: tuple, position: int) -> str:
    return signing.dumps({"v": [_plain(v) for v in values], "i": position}, salt=_SALT)


def cursor_decode(cursor: str | None) -> tuple[list, int] | None:
    """The cursor's (sort value, name, pk) and position, or None for a missing or bad one."""
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
        values, position = data["v"], int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if not isinstance(values, list) or len(values) != 3 or position < 1:
        return None
    return values, position


def _tie(name, pk, after: bool) -> Q:
    op = "gt" if after else "lt"
    return Q(**{f"name__{op}": name}) | Q(name=name, **{f"pk__{op}": pk})


def _beyond(column: str, values: list, *, descending: bool, after: bool) -> Q:
    """The rows after (or before) the cursor row in (column NULLS LAST, name, pk) order."""
    value, name, pk = values
    tie = Q(**{column: value}) & _tie(name, pk, after) if value is not None else None
    if after:
        if value is None:
            return Q(**{f"{column}__isnull": True}) & _tie(name, pk, True)
        past = Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
        return past | Q(**{f"{column}__isnull": True}) | tie
    if value is None:
        return Q(**{f"{column}__isnull": False}) | (
            Q(**{f"{column}__isnull": True}) & _tie(name, pk, False)
        )
    return Q(**{f"{column}__{'gt' if descending else 'lt'}": value}) | tie


# The list's columns (web.selectors.SORT_FIELDS) with an index on (as_of, column) behind them.
INDEXED_COLUMNS = frozenset({"mrr", "health_score", "days_to_renewal", "open_tickets"})


def _ordered(rows: QuerySet, column: str, descending: bool, *, limit: int, beyond: Q | None,
             cursor_value, backwards: bool) -> list:  # fmt: skip
    """Up to `limit` rows beyond the cursor in list order (reversed when `backwards`)."""
    if beyond is not None:
        rows = rows.filter(beyond)
    if column not in INDEXED_COLUMNS:
        if not backwards:
            return list(rows[:limit])
        order = F(column).asc(nulls_first=True) if descending else F(column).desc(nulls_first=True)
        return list(rows.order_by(order, "-name", "-pk")[:limit])
    # NULLS FIRST/LAST left to the default: the part has no NULL, and the index's order is it.
    forward = F(column).desc() if descending else F(column).asc()
    reverse = F(column).asc() if descending else F(column).desc()
    valued = rows.filter(**{f"{column}__isnull": False})
    if beyond is not None and cursor_value is not None:
        # Implied by `beyond`, but a bound the index scan can start from (beyond's ORs are not).
        bound = "lte" if descending != backwards else "gte"
        valued = valued.filter(**{f"{column}__{bound}": cursor_value})
    empty = rows.filter(**{f"{column}__isnull": True})
    if backwards:
        parts = [empty.order_by("-name", "-pk"), valued.order_by(reverse, "-name", "-pk")]
        # Before a row with a value, no row without one: they all come after it.
        skip_first = beyond is not None and cursor_value is not None
    else:
        parts = [valued.order_by(forward, "name", "pk"), empty.order_by("name", "pk")]
        # After a row without a value, no row with one: they all came before it.
        skip_first = beyond is not None and cursor_value is None
    if skip_first:
        parts = parts[1:]
    found: list = []
    for part in parts:
        found += part[: limit - len(found)]
        if len(found) >= limit:
            break
    return found


@dataclass
class CappedCount:
    count: int
    capped: bool


@dataclass
class KeysetPage:
    """What the list template reads of a page (the same names as Django's Page where they
    mean the same)."""

    object_list: list
    start_index: int
    count: CappedCount
    next_cursor: str | None = None
    previous_cursor: str | None = None
    paginator: "KeysetPage" = field(init=False, repr=False)

    def __post_init__(self):
        self.paginator = self  # page.paginator.count as with Django's Page

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()


def capped_count(rows: QuerySet, cap: int = COUNT_CAP) -> CappedCount:
    """At most cap + 1 rows counted (one query): COUNT(*) FROM (... LIMIT cap + 1)."""
    counted = rows.order_by()[: cap + 1].count()
    return CappedCount(min(counted, cap), counted > cap)


def keyset_page(
    rows: QuerySet,
    *,
    column: str,
    descending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
    number: int = 1,
) -> KeysetPage:
    """One page of `rows` (already in (column NULLS LAST, name, pk) order): the capped count and
    the page (size + 1 rows, the extra one tells whether another page follows), read in one
    query, or two for an indexed column whose rows with a value do not fill it."""
    count = capped_count(rows)
    backwards = cursor_decode(before) if not after else None
    forwards = cursor_decode(after)
    if forwards:
        values, position = forwards
        found = _ordered(
            rows, column, descending, limit=size + 1, cursor_value=values[0], backwards=False,
            beyond=_beyond(column, values, descending=descending, after=True),
        )  # fmt: skip
        start = position + 1
        more_after, more_before = len(found) > size, True
        found = found[:size]
    elif backwards:
        values, position = backwards
        found = _ordered(
            rows, column, descending, limit=size + 1, cursor_value=values[0], backwards=True,
            beyond=_beyond(column, values, descending=descending, after=False),
        )  # fmt: skip
        more_before, more_after = len(found) > size, True
        found = list(reversed(found[:size]))
        start = max(position - len(found), 1)
    elif number <= 1:
        found = _ordered(
            rows, column, descending, limit=size + 1, beyond=None, cursor_value=None,
            backwards=False,
        )  # fmt: skip
        start, more_after, more_before = 1, len(found) > size, False
        found = found[:size]
    else:
        # No cursor: the first page, or an old ?page=N link (kept working with OFFSET, within
        # the counted rows; past the end it shows the last page).
        pages = max((count.count + size - 1) // size, 1)
        offset = (min(max(number, 1), pages) - 1) * size
        found = list(rows[offset : offset + size + 1])
        start, more_after, more_before = offset + 1, len(found) > size, offset > 0
        found = found[:size]
    page = KeysetPage(found, start, count)
    if found and more_after:
        last = found[-1]
        page.next_cursor = cursor_encode(
            (getattr(last, column), last.name, last.pk), start + len(found) - 1
        )
    if found and more_before:
        first = found[0]
        page.previous_cursor = cursor_encode((getattr(first, column), first.name, first.pk), start)
    return page
