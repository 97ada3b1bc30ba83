"""A synthetic book for the churn model's tests, written straight into the snapshot table.

Computing snapshots from raw records costs about a second a date; the model's tests need a few
hundred accounts over most of a year, so `book` writes the snapshot rows (and health scores)
in a few set-based statements instead. Every churner's seat utilization falls over the 90 days
before its churn day, from about 80 % to about 20 %; the retained accounts' stays about 80 %.
So the answer is known: seat utilization and its 30-day change predict churn, nothing else does.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection

from metrics.services import ensure_month_partitions, snapshot_tables
from tests.factories import AccountFactory

FIRST = date(2024, 1, 1)
LAST = date(2024, 10, 31)  # 305 dates


@dataclass
class Book:
    accounts: list[int]
    churn_day: dict[int, date]  # account -> its churn day (MRR 0 from that day on)
    first: date = FIRST
    last: date = LAST


def _not_null_columns(cursor, table: str) -> dict[str, str]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    return dict(cursor.fetchall())


def _zero(data_type: str) -> str:
    if data_type == "boolean":
        return "false"
    if data_type == "ARRAY":
        return "array_fill(0, ARRAY[12])::numeric[]"
    if data_type.startswith("timestamp"):
        return "now()"
    if data_type == "date":
        return "d"
    return "0"


# Seat utilization: 80 % (+/- noise), falling linearly to 20 % over the 90 days to the churn day.
UTILIZATION = """CASE
    WHEN c.churn_day IS NULL OR d < c.churn_day - 90 THEN 80 + c.noise
    ELSE 80 + c.noise - 60 * (d - (c.churn_day - 90))::float8 / 90 END"""


def write_book(
    accounts: list[int],
    churn_day: dict[int, date],
    *,
    first=FIRST,
    last=LAST,
    starts: dict[int, date] | None = None,
    onboarding: frozenset[int] | set[int] = frozenset(),
):
    """Snapshot rows of first..last for `accounts` (from `starts[a]` when given) and a health
    score each (a noisy copy of the utilization, so the health score carries some signal)."""
    rng = random.Random(7)
    params = [(a, churn_day.get(a), rng.gauss(0, 6), (starts or {}).get(a, first),
               a in onboarding) for a in accounts]  # fmt: skip
    # As the nightly job does: the months' partitions first (not the default one), statistics
    # after (this machine's PostgreSQL runs without autovacuum).
    ensure_month_partitions(first, last)
    with connection.cursor() as cursor:
        columns = _not_null_columns(cursor, "metrics_accountsnapshot")
        values = {name: _zero(kind) for name, kind in columns.items() if name != "id"}
        values.update(
            as_of="d",
            account_id="c.account_id",
            mrr="CASE WHEN c.churn_day IS NOT NULL AND d >= c.churn_day THEN 0 ELSE 1000 END",
            arr="CASE WHEN c.churn_day IS NOT NULL AND d >= c.churn_day THEN 0 ELSE 12000 END",
            starting_mrr="1000",
            seats="10",
            is_onboarding="c.onboarding",
            active_users_30d="8",
            computed_at="now()",
        )
        extra = {
            "seat_utilization": UTILIZATION,
            "movement": "CASE WHEN d = c.churn_day THEN 'churn' END",
            "days_to_renewal": "120",
            "customer_since": "DATE '2023-01-01'",
        }
        values.update(extra)
        names = ", ".join(values)
        cursor.execute(
            f"INSERT INTO metrics_accountsnapshot ({names}) "  # noqa: S608 (test SQL)
            f"SELECT {', '.join(values.values())} "
            "FROM unnest(%s::bigint[], %s::date[], %s::float8[], %s::date[], %s::bool[]) "
            "AS c(account_id, churn_day, noise, start_day, onboarding) "
            "CROSS JOIN LATERAL generate_series(GREATEST(c.start_day, %s::date), %s::date, "
            "interval '1 day') AS g(t) CROSS JOIN LATERAL (SELECT t::date AS d) dd",
            [[p[0] for p in params], [p[1] for p in params], [p[2] for p in params],
             [p[3] for p in params], [p[4] for p in params], first, last],
        )  # fmt: skip
        cursor.execute(
            "INSERT INTO healthscores_snapshothealth (snapshot_id, as_of, account_id, mrr, score, "
            "band, component_scores) SELECT s.id, s.as_of, s.account_id, s.mrr, "
            "LEAST(100, GREATEST(0, s.seat_utilization + 25 * sin(s.id))), 'unknown', '{}' "
            "FROM metrics_accountsnapshot s WHERE s.account_id = ANY(%s) "
            "AND s.as_of BETWEEN %s AND %s",
            [accounts, first, last],
        )
        cursor.execute(
            "INSERT INTO metrics_snapshotrun (as_of, accounts, seconds, finished_at, rollup_built) "
            "SELECT g::date, %s, 0, now(), true FROM generate_series(%s::date, %s::date, "
            "interval '1 day') g ON CONFLICT (as_of) DO NOTHING",
            [len(accounts), first, last],
        )
        for table in snapshot_tables():
            cursor.execute(f"ANALYZE {table}")


@pytest.fixture
def book(db) -> Book:
    """300 accounts over 305 days; 90 of them churn, on days spread over the year."""
    rng = random.Random(11)
    accounts = [a.pk for a in AccountFactory.create_batch(300)]
    churners = rng.sample(accounts, 90)
    span = (LAST - FIRST).days
    churn_day = {a: FIRST + timedelta(days=rng.randint(100, span)) for a in churners}
    write_book(accounts, churn_day)
    return Book(accounts, churn_day)
