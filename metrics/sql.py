"""The metrics app's set-based SQL, kept in one module: the snapshot of one as-of date.

One INSERT ... SELECT computes every account's row for a date, all accounts at once: a CTE per
source table aggregates by account, and accounts are LEFT JOINed to them so every account gets a
row (kpi-spec section 7). The formulas follow kpi-spec sections 3 to 7 line by line; their
plain-language definitions live in the KPI registry. Date windows are computed in Python and
passed as parameters; timestamp windows are passed as the workspace-local midnights, so that "the
date of a timestamp is its local date" holds and the timestamp indexes can be used.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from accounts.models import RENEWAL_WINDOW_DAYS
from core.sql import execute_logged
from core.workspace import workspace_zone
from surveys.models import SCORE_CUTOFFS


@dataclass(frozen=True)
class Period:
    """The windows of one as-of date D."""

    as_of: date

    @property
    def start(self) -> date:  # P0
        return self.as_of.replace(day=1)

    def months(self) -> list[tuple[date, date]]:
        """For the 12 months ending with P, newest first: (day before the month, last day)."""
        bounds, first = [], self.start
        for k in range(12):
            last = self.as_of if k == 0 else _next_month(first) - timedelta(days=1)
            bounds.append((first - timedelta(days=1), last))
            first = _previous_month(first)
        return bounds

    def params(self) -> dict:
        d, p0 = self.as_of, self.start
        months = self.months()
        return {
            "d": d,
            "p0": p0,
            "pm1": p0 - timedelta(days=1),
            "d12": same_day_months_before(d, 12),
            "d3": period_start_day(d, 3),
            "d6": d - timedelta(days=6),
            "d29": d - timedelta(days=29),
            "d30": d - timedelta(days=30),
            "d59": d - timedelta(days=59),
            "d89": d - timedelta(days=89),
            "d179": d - timedelta(days=179),
            "t_end": local_midnight(d + timedelta(days=1)),
            "t_p0": local_midnight(p0),
            "t_90": local_midnight(d - timedelta(days=89)),
            "t_180": local_midnight(d - timedelta(days=179)),
            **{f"before_{k}": before for k, (before, _last) in enumerate(months)},
            **{f"last_{k}": last for k, (_before, last) in enumerate(months)},
        }


def same_day_months_before(day: date, months: int) -> date:
    """The same day `months` calendar months before `day`, or that month's last day when it has
    no such day (kpi-spec section 3, D12 of nrr_12m: 29 Feb 2024 -> 28 Feb 2023)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def period_start_day(day: date, months: int) -> date:
    """The day before the `months` calendar months ending with `day`'s month: the last day of
    the month `months` months before (metrics.periods; 31 Oct 2026, 3 -> 31 Jul 2026)."""
    year, month_index = divmod(day.year * 12 + day.month - months, 12)
    return date(year, month_index + 1, 1) - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=workspace_zone())


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


DELETE_SNAPSHOT = "DELETE FROM metrics_accountsnapshot WHERE as_of = %(d)s"

_INSERT_SNAPSHOT = """
WITH
contract_sums AS (
    SELECT account_id,
        SUM(mrr) FILTER (WHERE start_date <= %(pm1)s
                           AND (end_date IS NULL OR end_date >= %(pm1)s)) AS m0,
        SUM(mrr) FILTER (WHERE start_date <= %(d)s
                           AND (end_date IS NULL OR end_date >= %(d)s)) AS m1,
        SUM(seats) FILTER (WHERE start_date <= %(d)s
                             AND (end_date IS NULL OR end_date >= %(d)s)) AS seats,
        SUM(mrr) FILTER (WHERE start_date <= %(d12)s
                           AND (end_date IS NULL OR end_date >= %(d12)s)) AS m12,
        SUM(mrr) FILTER (WHERE start_date <= %(d3)s
                           AND (end_date IS NULL OR end_date >= %(d3)s)) AS m3,
        MIN(end_date) FILTER (WHERE start_date <= %(d)s AND end_date >= %(d)s) AS next_end,
        bool_or(mrr > 0 AND start_date < %(p0)s) AS paid_before_period,
        MIN(start_date) FILTER (WHERE mrr > 0) AS customer_since,
        COUNT(*) FILTER (WHERE start_date BETWEEN %(p0)s AND %(d)s) AS contracts_started,
        SUM(12 * mrr) FILTER (WHERE start_date BETWEEN %(p0)s AND %(d)s) AS started_arr,
        SUM(mrr * 12 * (end_date - start_date + 1) / 365.0 + COALESCE(one_time_fee, 0))
            FILTER (WHERE start_date BETWEEN %(p0)s AND %(d)s AND end_date IS NOT NULL)
            AS started_tcv
    FROM accounts_contract
    GROUP BY account_id
),
renewals AS (
    SELECT c.account_id,
        COUNT(*) AS eligible,
        COUNT(*) FILTER (WHERE EXISTS (
            SELECT FROM accounts_contract n
            WHERE n.account_id = c.account_id AND n.mrr > 0 AND n.start_date > c.start_date
              AND n.start_date BETWEEN c.end_date - %(renewal_window)s::integer
                                   AND c.end_date + %(renewal_window)s::integer
        )) AS renewed
    FROM accounts_contract c
    WHERE c.mrr > 0 AND c.end_date BETWEEN %(p0)s AND %(d)s
    GROUP BY c.account_id
),
monthly AS (
    SELECT account_id,
        ARRAY[{starting}] AS starting,
        ARRAY[{lost}] AS lost
    FROM accounts_contract
    WHERE start_date <= %(d)s
    GROUP BY account_id
),
usage_sums AS (
    SELECT account_id,
        COUNT(DISTINCT user_id) FILTER (WHERE events > 0 AND date >= %(d29)s) AS users_30d,
        COUNT(DISTINCT user_id) FILTER (WHERE events > 0 AND date >= %(d6)s) AS users_7d,
        COUNT(DISTINCT (user_id, date)) FILTER (WHERE events > 0 AND date >= %(d29)s)
            AS user_days_30d,
        COUNT(DISTINCT feature) FILTER (WHERE events > 0 AND date >= %(d29)s) AS features_30d,
        COALESCE(SUM(events) FILTER (WHERE date >= %(d29)s), 0) AS events_30d,
        COALESCE(SUM(events) FILTER (WHERE date <= %(d30)s), 0) AS events_prev_30d,
        COALESCE(SUM(minutes) FILTER (WHERE date >= %(d29)s), 0) AS minutes_30d,
        COALESCE(SUM(sessions) FILTER (WHERE date >= %(d29)s), 0) AS sessions_30d
    FROM accounts_usagedaily
    WHERE date BETWEEN %(d59)s AND %(d)s
    GROUP BY account_id
),
tickets AS (
    SELECT account_id,
        COUNT(*) FILTER (WHERE resolved_at IS NULL OR resolved_at >= %(t_end)s) AS open_now,
        COUNT(*) FILTER (WHERE opened_at >= %(t_90)s) AS opened_90d,
        AVG(EXTRACT(EPOCH FROM first_response_at - opened_at) / 3600)
            FILTER (WHERE first_response_at >= %(t_90)s AND first_response_at < %(t_end)s)
            AS first_response_hours_90d,
        100.0 * COUNT(*) FILTER (WHERE resolved_at >= %(t_90)s AND resolved_at < %(t_end)s
                                   AND resolved_on_first_contact)
            / NULLIF(COUNT(*) FILTER (WHERE resolved_at >= %(t_90)s
                                        AND resolved_at < %(t_end)s), 0) AS fcr_90d,
        COUNT(*) FILTER (WHERE opened_at >= %(t_p0)s) AS opened_p,
        COUNT(*) FILTER (WHERE first_response_at >= %(t_p0)s AND first_response_at < %(t_end)s)
            AS first_responses_p,
        COALESCE(SUM(EXTRACT(EPOCH FROM first_response_at - opened_at) / 3600)
            FILTER (WHERE first_response_at >= %(t_p0)s AND first_response_at < %(t_end)s), 0)
            AS first_response_hours_p,
        COUNT(*) FILTER (WHERE resolved_at >= %(t_p0)s AND resolved_at < %(t_end)s)
            AS resolved_p,
        COALESCE(SUM(EXTRACT(EPOCH FROM resolved_at - opened_at) / 3600)
            FILTER (WHERE resolved_at >= %(t_p0)s AND resolved_at < %(t_end)s), 0)
            AS resolution_hours_p,
        COUNT(*) FILTER (WHERE resolved_at >= %(t_p0)s AND resolved_at < %(t_end)s
                           AND resolved_on_first_contact) AS fcr_p
    FROM accounts_ticket
    -- Old tickets matter only while still open on D.
    WHERE opened_at < %(t_end)s
      AND (resolved_at IS NULL OR resolved_at >= %(t_90)s OR opened_at >= %(t_90)s
           OR first_response_at >= %(t_90)s)
    GROUP BY account_id
),
surveys AS (
    SELECT account_id,
        100.0 * (COUNT(*) FILTER (WHERE kind = 'nps' AND score >= %(nps_promoter_min)s)
                 - COUNT(*) FILTER (WHERE kind = 'nps' AND score <= %(nps_detractor_max)s))
            / NULLIF(COUNT(*) FILTER (WHERE kind = 'nps'), 0) AS nps_180d,
        100.0 * COUNT(*) FILTER (WHERE kind = 'csat' AND score >= %(csat_promoter_min)s)
            / NULLIF(COUNT(*) FILTER (WHERE kind = 'csat'), 0) AS csat_180d,
        AVG(score) FILTER (WHERE kind = 'ces') AS ces_180d,
        COUNT(*) FILTER (WHERE kind = 'nps' AND score >= %(nps_promoter_min)s
                           AND responded_at >= %(t_p0)s) AS nps_promoters,
        COUNT(*) FILTER (WHERE kind = 'nps' AND score <= %(nps_detractor_max)s
                           AND responded_at >= %(t_p0)s) AS nps_detractors,
        COUNT(*) FILTER (WHERE kind = 'nps' AND responded_at >= %(t_p0)s) AS nps_responses,
        COUNT(*) FILTER (WHERE kind = 'csat' AND score >= %(csat_promoter_min)s
                           AND responded_at >= %(t_p0)s) AS csat_satisfied,
        COUNT(*) FILTER (WHERE kind = 'csat' AND responded_at >= %(t_p0)s) AS csat_responses,
        COALESCE(SUM(score) FILTER (WHERE kind = 'ces' AND responded_at >= %(t_p0)s), 0)
            AS ces_score_sum,
        COUNT(*) FILTER (WHERE kind = 'ces' AND responded_at >= %(t_p0)s) AS ces_responses
    FROM surveys_surveyresponse
    WHERE responded_at >= %(t_180)s AND responded_at < %(t_end)s
    GROUP BY account_id
),
champions AS (
    SELECT DISTINCT account_id
    FROM accounts_contact
    WHERE is_champion AND left_on BETWEEN %(d89)s AND %(d)s
),
account_rows AS (
    SELECT a.id AS account_id,
        COALESCE(cs.m0, 0) AS m0,
        COALESCE(cs.m1, 0) AS m1,
        COALESCE(cs.m12, 0) AS m12,
        COALESCE(cs.m3, 0) AS m3,
        COALESCE(cs.paid_before_period, false) AS paid_before_period,
        cs.seats, cs.next_end, cs.customer_since, cs.contracts_started, cs.started_arr,
        cs.started_tcv, r.eligible, r.renewed, mo.starting, mo.lost,
        u.users_30d, u.users_7d, u.user_days_30d, u.features_30d, u.events_30d,
        u.events_prev_30d, u.minutes_30d, u.sessions_30d,
        t.open_now, t.opened_90d, t.first_response_hours_90d, t.fcr_90d, t.opened_p,
        t.first_responses_p, t.first_response_hours_p, t.resolved_p, t.resolution_hours_p,
        t.fcr_p,
        s.nps_180d, s.csat_180d, s.ces_180d, s.nps_promoters, s.nps_detractors,
        s.nps_responses, s.csat_satisfied, s.csat_responses, s.ces_score_sum, s.ces_responses,
        ch.account_id IS NOT NULL AS champion_left,
        a.trial_started_on, a.converted_on, a.onboarded_on, a.created_on, a.segment, a.custom
    FROM accounts_account a
    LEFT JOIN contract_sums cs ON cs.account_id = a.id
    LEFT JOIN renewals r ON r.account_id = a.id
    LEFT JOIN monthly mo ON mo.account_id = a.id
    LEFT JOIN usage_sums u ON u.account_id = a.id
    LEFT JOIN tickets t ON t.account_id = a.id
    LEFT JOIN surveys s ON s.account_id = a.id
    LEFT JOIN champions ch ON ch.account_id = a.id
),
computed ({columns}, segment) AS (
SELECT
    %(d)s, account_id, now(),
    m1, 12 * m1, m0,
    CASE
        WHEN m0 = 0 AND m1 > 0 AND NOT paid_before_period THEN 'new'
        WHEN m0 = 0 AND m1 > 0 THEN 'reactivation'
        WHEN m0 > 0 AND m1 > m0 THEN 'expansion'
        WHEN m0 > 0 AND m1 > 0 AND m1 < m0 THEN 'contraction'
        WHEN m0 > 0 AND m1 = 0 THEN 'churn'
    END,
    CASE
        WHEN m0 = 0 AND m1 > 0 THEN m1
        WHEN m0 > 0 AND m1 > m0 THEN m1 - m0
        WHEN m0 > 0 AND m1 > 0 AND m1 < m0 THEN m0 - m1
        WHEN m0 > 0 AND m1 = 0 THEN m0
    END,  -- NULL without a movement (kpi-spec section 7: the amount belongs to a movement)
    COALESCE(seats, 0),
    next_end - %(d)s,
    customer_since,
    COALESCE(customer_since BETWEEN %(d89)s AND %(d)s, false),
    COALESCE(users_30d, 0), COALESCE(users_7d, 0), COALESCE(user_days_30d, 0),
    COALESCE(events_30d, 0), COALESCE(events_prev_30d, 0), COALESCE(minutes_30d, 0),
    COALESCE(sessions_30d, 0), COALESCE(features_30d, 0),
    100.0 * COALESCE(users_30d, 0) / NULLIF(seats, 0),
    100.0 * (COALESCE(events_30d, 0) - events_prev_30d) / NULLIF(events_prev_30d, 0),
    100.0 * COALESCE(features_30d, 0) / NULLIF(%(features_seen)s, 0),
    minutes_30d / NULLIF(user_days_30d, 0),
    COALESCE(open_now, 0), COALESCE(opened_90d, 0), first_response_hours_90d, fcr_90d,
    nps_180d, csat_180d, ces_180d, champion_left::int,
    paid_before_period, COALESCE(eligible, 0), COALESCE(renewed, 0),
    COALESCE(contracts_started, 0), COALESCE(started_arr, 0), COALESCE(started_tcv, 0),
    COALESCE(trial_started_on BETWEEN %(p0)s AND %(d)s, false),
    COALESCE(trial_started_on BETWEEN %(p0)s AND %(d)s AND converted_on <= %(d)s, false),
    COALESCE(onboarded_on BETWEEN %(p0)s AND %(d)s, false),
    CASE WHEN onboarded_on BETWEEN %(p0)s AND %(d)s
         THEN onboarded_on - COALESCE(customer_since, created_on) END,
    COALESCE(opened_p, 0), COALESCE(first_responses_p, 0), COALESCE(first_response_hours_p, 0),
    COALESCE(resolved_p, 0), COALESCE(resolution_hours_p, 0), COALESCE(fcr_p, 0),
    COALESCE(nps_promoters, 0), COALESCE(nps_detractors, 0), COALESCE(nps_responses, 0),
    COALESCE(csat_satisfied, 0), COALESCE(csat_responses, 0), COALESCE(ces_score_sum, 0),
    COALESCE(ces_responses, 0),
    COALESCE(starting, array_fill(0::numeric, ARRAY[12])),
    COALESCE(lost, array_fill(0::numeric, ARRAY[12])),
    m12,
    m3,
    -- The numeric custom fields' values (JSON numbers only); nothing to read without fields.
    CASE WHEN cardinality(%(number_keys)s::text[]) = 0 THEN '{}'::jsonb ELSE COALESCE(
        (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(custom) e
         WHERE e.key = ANY(%(number_keys)s::text[]) AND jsonb_typeof(e.value) = 'number'),
        '{}'::jsonb) END,
    segment
FROM account_rows
)
INSERT INTO metrics_accountsnapshot ({columns})
SELECT {computed_columns}
FROM computed v
"""


def _mrr_on(day: str) -> str:
    return (
        f"COALESCE(SUM(mrr) FILTER (WHERE start_date <= %({day})s "
        f"AND (end_date IS NULL OR end_date >= %({day})s)), 0)"
    )


# The columns the statement computes, in the order of its SELECT list.
SNAPSHOT_COLUMNS = (
    "as_of", "account_id", "computed_at",
    "mrr", "arr", "starting_mrr", "movement", "movement_mrr", "seats", "days_to_renewal",
    "customer_since", "is_onboarding",
    "active_users_30d", "active_users_7d", "active_user_days_30d", "events_30d", "events_prev_30d",
    "minutes_30d", "sessions_30d", "features_used_30d", "seat_utilization", "usage_trend",
    "feature_adoption", "time_on_platform_minutes",
    "open_tickets", "tickets_90d", "avg_first_response_hours_90d", "fcr_rate_90d",
    "nps_180d", "csat_180d", "ces_180d", "champion_left_90d",
    "paid_before_period", "renewals_eligible", "renewals_renewed", "contracts_started",
    "contracts_started_arr", "contracts_started_tcv", "trial_started", "trial_converted",
    "onboarded", "days_to_onboard", "tickets_opened", "first_responses", "first_response_hours",
    "tickets_resolved", "resolution_hours", "resolved_first_contact", "nps_promoters",
    "nps_detractors", "nps_responses", "csat_satisfied", "csat_responses", "ces_score_sum",
    "ces_responses", "monthly_starting_mrr", "monthly_lost_mrr", "mrr_12m_ago",
    "mrr_3m_ago", "custom_numbers",
)  # fmt: skip


def insert_snapshot_statement() -> str:
    return _INSERT_WITH_ARRAYS.replace("{columns}", ", ".join(SNAPSHOT_COLUMNS)).replace(
        "{computed_columns}", ", ".join(f"v.{c}" for c in SNAPSHOT_COLUMNS)
    )


# The 12-month arrays in one pass over the contracts: MRR on the day before each month, and
# the MRR lost in it (churn and contraction: what fell from the start to the end of the month).
_INSERT_WITH_ARRAYS = _INSERT_SNAPSHOT.replace(
    "{starting}", ", ".join(_mrr_on(f"before_{k}") for k in range(12))
).replace(
    "{lost}",
    ", ".join(f"GREATEST({_mrr_on(f'before_{k}')} - {_mrr_on(f'last_{k}')}, 0)" for k in range(12)),
)

# Distinct features ever seen in any usage row: a trigger on the usage table keeps them in
# accounts_usagefeature (see accounts.models.UsageFeature), so this is a count of a few rows.
FEATURES_SEEN = "SELECT count(*) FROM accounts_usagefeature"


def features_seen(cursor) -> int:
    cursor.execute(FEATURES_SEEN)
    return cursor.fetchone()[0]


# The keys of the numeric account fields, whose values each snapshot row keeps.
NUMBER_FIELDS = (
    "SELECT key FROM accounts_customfield WHERE target = 'accounts' AND field_type = 'number'"
)


def number_field_keys(cursor) -> list[str]:
    cursor.execute(NUMBER_FIELDS)
    return [row[0] for row in cursor.fetchall()]


def replace_snapshot(cursor, as_of: date, *, features: int) -> int:
    """Delete and recompute one date's rows (call inside a transaction); returns rows written.
    `features` is `features_seen()`."""
    params = {
        "number_keys": number_field_keys(cursor),
        **Period(as_of).params(),
        **SCORE_CUTOFFS,  # the survey score groups (surveys.models.SCORE_GROUPS)
        "renewal_window": RENEWAL_WINDOW_DAYS,
        "features_seen": features,
    }
    # Sorts and hashes of a date's usage window fit in memory instead of spilling to disk.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    execute_logged(cursor, DELETE_SNAPSHOT, params, label=f"delete snapshot {as_of}")
    statement = insert_snapshot_statement()
    return execute_logged(cursor, statement, params, label=f"insert snapshot {as_of}")
