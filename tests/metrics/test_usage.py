"""Usage KPIs: the portfolio's (kpi-spec section 6) and each account's (section 7), over
inclusive trailing windows, where only rows with events > 0 are activity."""

from datetime import date

import pytest

from accounts.models import Account
from metrics.selectors import AccountFilter
from tests.factories import AccountFactory, UsageDailyFactory
from tests.metrics.conftest import (
    END_OF_MARCH,
    MID_MARCH,
    assert_kpis,
    contract,
    kpis,
    snapshots,
)

ACCOUNT_USAGE_KEYS = (
    "active_users_30d",
    "seat_utilization",
    "usage_trend",
    "feature_adoption",
    "time_on_platform_minutes",
)


def use(account, user_id, day, feature, events, minutes, sessions):
    UsageDailyFactory(
        account=account,
        user_id=user_id,
        date=date.fromisoformat(day),
        feature=feature,
        events=events,
        minutes=minutes,
        sessions=sessions,
    )


@pytest.fixture
def usage(db) -> dict[str, Account]:
    """Three accounts; five features ever seen: dashboards, reports, exports (only in a row with 0
    events), alerts, legacy (only in 2023).

    For D = 03-31: last 30 days [03-02, 03-31], last 7 [03-25, 03-31], the 30 before
    [02-01, 03-01]. For D = 03-15: [02-15, 03-15], [03-09, 03-15], [01-16, 02-14].
    """
    busy = AccountFactory(external_id="busy", segment="Enterprise")
    contract(busy, "2024-01-01", None, 1000, seats=4)
    crowded = AccountFactory(external_id="crowded", segment="SMB")
    contract(crowded, "2024-01-01", None, 100, seats=1)
    idle = AccountFactory(external_id="idle", segment="SMB")
    for account, user, day, feature, events, minutes, sessions in [
        (busy, "u1", "2024-03-31", "dashboards", 5, 10, 2),
        (busy, "u1", "2024-03-31", "reports", 3, 5, 1),
        (busy, "u1", "2024-03-20", "dashboards", 2, 4, 1),
        (busy, "u2", "2024-03-02", "dashboards", 4, 6, 1),  # D-29 of 03-31: inside
        (busy, "u3", "2024-03-01", "dashboards", 7, 8, 1),  # D-30 of 03-31: outside
        (busy, "u4", "2024-03-30", "exports", 0, 0, 0),  # no events: no activity
        (busy, "u5", "2024-02-01", "dashboards", 10, 1, 1),  # D-59 of 03-31
        (busy, "u5", "2024-01-31", "dashboards", 100, 1, 1),  # D-60 of 03-31
        # The same user id in another account is another user.
        (crowded, "u1", "2024-03-28", "dashboards", 1, 2, 1),
        (crowded, "v2", "2024-03-10", "alerts", 6, 12, 2),
        (crowded, "v3", "2024-03-31", "alerts", 2, 3, 1),
        (crowded, "v2", "2023-06-01", "legacy", 3, 9, 1),
    ]:
        use(account, user, day, feature, events, minutes, sessions)
    return {"busy": busy, "crowded": crowded, "idle": idle}


def test_every_portfolio_usage_kpi_at_month_end(usage):
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            # busy: u1, u2 (u3 is a day too early, u4 had no events); crowded: u1, v2, v3
            "mau": 5,
            "wau": 3,  # busy: u1 (03-31); crowded: u1 (03-28), v3 (03-31)
            # active (account, user, day): busy (u1, 03-31), (u1, 03-20), (u2, 03-02);
            # crowded (u1, 03-28), (v2, 03-10), (v3, 03-31) = 6 over 30 days
            "dau": 0.2,
            "stickiness": 4,  # 0.2 / 5
            # minutes (10 + 5 + 4 + 6 + 0) + (2 + 12 + 3) = 42; sessions (2 + 1 + 1 + 1 + 0)
            # + (1 + 2 + 1) = 9
            "avg_session_minutes": 42 / 9,
        },
    )


def test_every_portfolio_usage_kpi_mid_month(usage):
    assert_kpis(
        kpis(MID_MARCH),
        {
            "mau": 3,  # busy: u2 (03-02), u3 (03-01); crowded: v2 (03-10)
            "wau": 1,  # crowded: v2 (03-10); busy's rows of 03-01 and 03-02 are before 03-09
            "dau": 0.1,  # 3 active (account, user, day) / 30
            "stickiness": 10 / 3,  # 0.1 / 3
            "avg_session_minutes": 6.5,  # (6 + 8 + 12) / (1 + 1 + 2)
        },
    )


def test_every_account_usage_kpi_at_month_end(usage):
    rows = snapshots(END_OF_MARCH, usage.values())

    assert_kpis(
        vars(rows["busy"]),
        {
            "active_users_30d": 2,  # u1, u2
            "seat_utilization": 50,  # 2 / 4 seats
            # events [03-02, 03-31] 5 + 3 + 2 + 4 + 0 = 14; [02-01, 03-01] 7 + 10 = 17
            "usage_trend": (14 - 17) / 17 * 100,
            "feature_adoption": 40,  # dashboards, reports of 5 features ever seen
            "time_on_platform_minutes": 25 / 3,  # (10 + 5 + 4 + 6 + 0) / 3 active (user, day)
        },
    )
    assert_kpis(
        vars(rows["crowded"]),
        {
            "active_users_30d": 3,
            "seat_utilization": 300,  # 3 / 1 seat: above 100 is allowed
            "usage_trend": None,  # no events in [02-01, 03-01]
            "feature_adoption": 40,  # dashboards, alerts of 5
            "time_on_platform_minutes": 17 / 3,  # (2 + 12 + 3) / 3
        },
    )
    assert_kpis(
        vars(rows["idle"]),
        {
            "active_users_30d": 0,
            "seat_utilization": None,  # no seats
            "usage_trend": None,
            "feature_adoption": 0,  # 0 of 5: a value, not null
            "time_on_platform_minutes": None,
        },
    )


def test_every_account_usage_kpi_mid_month(usage):
    rows = snapshots(MID_MARCH, usage.values())

    assert_kpis(
        vars(rows["busy"]),
        {
            "active_users_30d": 2,  # u2 (03-02), u3 (03-01)
            "seat_utilization": 50,
            # [02-15, 03-15]: 4 + 7 = 11; [01-16, 02-14]: 10 + 100 = 110
            "usage_trend": -90,  # (11 - 110) / 110
            "feature_adoption": 20,  # dashboards
            "time_on_platform_minutes": 7,  # (6 + 8) / 2
        },
    )
    assert_kpis(
        vars(rows["crowded"]),
        {
            "active_users_30d": 1,
            "seat_utilization": 100,
            "usage_trend": None,
            "feature_adoption": 20,  # alerts
            "time_on_platform_minutes": 12,
        },
    )


def test_dau_divides_by_30_days_including_days_without_activity(db):
    UsageDailyFactory(user_id="solo", date=date(2024, 3, 31), events=1)

    assert_kpis(kpis(END_OF_MARCH), {"mau": 1, "wau": 1, "dau": 1 / 30, "stickiness": 100 / 30})


def test_trailing_windows_include_both_ends(db):
    account = AccountFactory()
    for user, day in [
        ("d-6", date(2024, 3, 25)),  # first day of the last 7 days of 03-31
        ("d-7", date(2024, 3, 24)),
        ("d-29", date(2024, 3, 2)),  # first day of the last 30 days
        ("d-30", date(2024, 3, 1)),
        ("today", date(2024, 3, 31)),
    ]:
        UsageDailyFactory(account=account, user_id=user, date=day, events=1)

    assert_kpis(kpis(END_OF_MARCH), {"mau": 4, "wau": 2, "dau": 4 / 30})


def test_rows_without_events_are_no_activity(db):
    UsageDailyFactory(user_id="lurker", date=date(2024, 3, 31), events=0, minutes=0, sessions=0)

    assert_kpis(
        kpis(END_OF_MARCH),
        {"mau": 0, "wau": 0, "dau": 0, "stickiness": None, "avg_session_minutes": None},
    )


def test_feature_adoption_counts_features_seen_in_any_usage_row_of_any_account(db):
    account = AccountFactory()
    UsageDailyFactory(account=account, date=date(2024, 3, 20), feature="dashboards")
    # Features seen elsewhere, long ago, or only in rows without events still count as seen.
    UsageDailyFactory(date=date(2022, 1, 1), feature="legacy-export")
    UsageDailyFactory(date=date(2024, 3, 20), feature="alerts", events=0)
    UsageDailyFactory(date=date(2024, 3, 20), feature="reports")

    rows = snapshots(END_OF_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"feature_adoption": 25})  # 1 of 4


def test_usage_trend_is_null_without_events_in_the_previous_30_days(db):
    account = AccountFactory()
    # A row in the previous window with 0 events makes its sum 0: still no base to compare to.
    UsageDailyFactory(account=account, date=date(2024, 3, 1), events=0)
    UsageDailyFactory(account=account, date=date(2024, 3, 31), events=5)

    rows = snapshots(END_OF_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"usage_trend": None})


def test_a_segment_filter_gives_the_usage_kpis_of_its_accounts_only(usage):
    smb = AccountFilter(segment="SMB").apply(Account.objects.all())

    # crowded and idle: u1 (03-28), v2 (03-10), v3 (03-31).
    assert_kpis(
        kpis(END_OF_MARCH, smb),
        {
            "mau": 3,
            "wau": 2,  # u1, v3
            "dau": 0.1,  # 3 / 30
            "stickiness": 10 / 3,  # 0.1 / 3
            "avg_session_minutes": 17 / 4,  # (2 + 12 + 3) / (1 + 2 + 1)
        },
    )
