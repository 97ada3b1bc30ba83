"""Helpers and scenarios of the KPI engine tests (kpi-spec sections 3 to 7 and 9).

Every expected number in tests/metrics is computed by hand from the spec, with the arithmetic in a
comment next to it; nothing here calls the engine's own helpers to compute an expectation. Time is
frozen the only way the engine knows it: every computation takes an explicit as-of date, and every
record carries a fixed date or an aware timestamp.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from numbers import Number
from typing import Any

import pytest

from accounts.models import Account
from core.workspace import workspace_zone
from metrics.models import AccountSnapshot
from metrics.selectors import portfolio_kpis
from metrics.services import snapshot_recompute
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    CostMonthFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageDailyFactory,
)

# The two as-of dates most tests look at: the middle and the end of March 2024 (a leap year, so
# the day before the period is 2024-02-29).
MID_MARCH = date(2024, 3, 15)
END_OF_MARCH = date(2024, 3, 31)


def at(text: str) -> datetime:
    """An aware timestamp: ISO 8601 with its own offset, or UTC when it has none."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def money(text: str | int) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


def normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers as floats rounded to 6 places (Decimal, int and float compare alike); None and
    text unchanged, so that a null never equals a 0."""
    return {
        key: round(float(value), 6)
        if isinstance(value, Number) and not isinstance(value, bool)
        else value
        for key, value in values.items()
    }


def assert_kpis(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """The keys of `expected` have these values in `actual` (a None must be None, not 0)."""
    assert normalised({key: actual[key] for key in expected}) == normalised(expected)


def recompute(*dates: date) -> None:
    for as_of in dates:
        snapshot_recompute(as_of=as_of)


def kpis(as_of: date, accounts=None) -> dict[str, Any]:
    """Portfolio KPIs of `as_of` (recomputing its snapshot first) for `accounts` (default: all)."""
    recompute(as_of)
    return portfolio_kpis(
        as_of=as_of, accounts=Account.objects.all() if accounts is None else accounts
    )


def snapshots(as_of: date, accounts: Iterable[Account]) -> dict[str, AccountSnapshot]:
    """The rows of `accounts` on `as_of` (recomputing the date first), by external id."""
    recompute(as_of)
    rows = AccountSnapshot.objects.filter(as_of=as_of).select_related("account")
    wanted = {account.external_id for account in accounts}
    return {row.account.external_id: row for row in rows if row.account.external_id in wanted}


def contract(account: Account, start: str, end: str | None, mrr: str | int, **fields):
    return ContractFactory(
        account=account,
        start_date=date.fromisoformat(start),
        end_date=date.fromisoformat(end) if end else None,
        mrr=money(mrr),
        **fields,
    )


@pytest.fixture
def workspace_in(settings):
    """`workspace_in("America/New_York")` moves the workspace to that zone for the test. The
    importer's zone lookup is cached (functools.cache), so the cache is cleared around it."""
    workspace_zone.cache_clear()

    def move(zone: str) -> None:
        settings.TIME_ZONE = zone
        workspace_zone.cache_clear()

    yield move
    workspace_zone.cache_clear()


@pytest.fixture
def march_portfolio(db, alice, bob) -> dict[str, Account]:
    """Eight accounts whose MRR moves in every way during March 2024.

    | account          | segment    | owner | MRR on 02-29 | on 03-15 | on 03-31 |
    | steady           | Enterprise | alice | 1000         | 1000     | 1000     |
    | expands          | Enterprise | bob   | 500          | 800      | 800      |
    | shrinks          | Enterprise | alice | 800          | 600      | 600      |
    | churns-mid-march | Enterprise | bob   | 600          | 600      | 0        |
    | ended-feb        | SMB        | -     | 400          | 0        | 0        |
    | new              | SMB        | alice | 0            | 250      | 250      |
    | reactivated      | SMB        | bob   | 0            | 350      | 350      |
    | prospect         | SMB        | -     | 0            | 0        | 0        |

    History before 2024: reactivated paid 700 in 2023 (01-01 to 12-31), ended-feb pays 400 from
    2023-06-01 to 2024-02-29; every other contract starts in 2024. Costs of March 2024: 5000 sales
    and marketing, 1200 retention (February's, 99999 and 88888, must be ignored).
    """

    def account(external_id: str, segment: str, owner) -> Account:
        return AccountFactory(
            external_id=external_id, name=external_id.title(), segment=segment, owner=owner
        )

    accounts = {
        "steady": account("steady", "Enterprise", alice),
        "expands": account("expands", "Enterprise", bob),
        "shrinks": account("shrinks", "Enterprise", alice),
        "churns-mid-march": account("churns-mid-march", "Enterprise", bob),
        "ended-feb": account("ended-feb", "SMB", None),
        "new": account("new", "SMB", alice),
        "reactivated": account("reactivated", "SMB", bob),
        "prospect": account("prospect", "SMB", None),
    }
    contract(accounts["steady"], "2024-01-01", None, 1000, seats=10)
    contract(accounts["expands"], "2024-01-01", None, 500, seats=5)
    contract(accounts["expands"], "2024-03-10", None, 300, seats=3)
    contract(accounts["shrinks"], "2024-01-01", "2024-03-05", 800, seats=8)
    contract(accounts["shrinks"], "2024-03-06", None, 600, seats=6)
    contract(accounts["churns-mid-march"], "2024-01-01", "2024-03-20", 600, seats=6)
    contract(accounts["ended-feb"], "2023-06-01", "2024-02-29", 400, seats=4)
    contract(accounts["new"], "2024-03-12", None, 250, seats=2)
    contract(accounts["reactivated"], "2023-01-01", "2023-12-31", 700, seats=7)
    contract(accounts["reactivated"], "2024-03-03", None, 350, seats=3)
    CostMonthFactory(
        month=date(2024, 2, 1),
        sales_marketing_spend=money(99999),
        retention_spend=money(88888),
    )
    CostMonthFactory(
        month=date(2024, 3, 1),
        sales_marketing_spend=money(5000),
        retention_spend=money(1200),
    )
    return accounts


def populate(account: Account, n: int) -> None:
    """A little of everything for one account: contracts, tickets, usage, surveys, a champion."""
    contract(account, "2023-06-01", "2024-03-10", 100 + n, seats=5)
    contract(account, "2024-03-11", None, 120 + n, seats=6, one_time_fee=money(50))
    TicketFactory(
        account=account,
        opened_at=at("2024-03-02 09:00"),
        first_response_at=at("2024-03-02 11:00"),
        resolved_at=at("2024-03-03 09:00"),
        resolved_on_first_contact=n % 2 == 0,
    )
    TicketFactory(account=account, opened_at=at("2024-03-20 09:00"))
    for day in (1, 10, 20):
        UsageDailyFactory(
            account=account,
            user_id=f"user-{n % 4}",
            date=date(2024, 3, day),
            feature=("dashboards", "reports", "alerts")[(n + day) % 3],
            events=n % 5,
        )
    SurveyResponseFactory(account=account, kind="nps", score=n % 11, responded_at=at("2024-03-05"))
    SurveyResponseFactory(
        account=account, kind="csat", score=1 + n % 5, responded_at=at("2024-03-06")
    )
    ContactFactory(account=account, is_champion=True, left_on=date(2024, 2, 1))
