"""The renewal desk's set-based SQL, kept in one module: the outcomes derived from the contracts
and the rows a quarter's forecast reads.

A renewal is a committed term (playbooks.sql.COMMITTED_TERM, the rule of
accounts.models.Contract.is_committed_term) with MRR above 0. Its successors are the account's
other paid contracts that start after it started and within RENEWAL_GRACE_DAYS of its end,
either side (kpi-spec's renewal_rate window); their MRR summed against its own tells a renewal
(the same or more) from a downsell (less). Without a successor once the grace period is over,
it churned.
"""

from datetime import date

from django.conf import settings
from django.db import connection

from core.sql import execute_logged
from playbooks.sql import COMMITTED_TERM

# The renewal's churn probability is the account's newest score at the smallest horizon that
# reaches the term's end (a term already ended, in its grace period, reads the 30-day one).
HORIZON_FOR_DAYS = """CASE WHEN {days} <= 30 THEN 30 WHEN {days} <= 90 THEN 90 ELSE 180 END"""

_RENEWAL = f"c.mrr > 0 AND c.end_date IS NOT NULL AND {COMMITTED_TERM.format(c='c')}"

_SUCCESSORS = """
    SELECT c.id AS contract_id, count(s.id) AS successors, COALESCE(sum(s.mrr), 0) AS mrr_after,
           min(s.start_date) AS first_start
    FROM accounts_contract c
    JOIN accounts_contract s
      ON s.account_id = c.account_id AND s.id <> c.id AND s.mrr > 0
     AND s.start_date > c.start_date
     AND s.start_date BETWEEN c.end_date - %(grace)s::integer AND c.end_date + %(grace)s::integer
    WHERE {renewal}
    GROUP BY c.id"""

# One night's outcomes: every renewal whose outcome is known on D (a successor has started, or
# the grace period is over without one), inserted or brought up to date; the reason a person
# gave is kept. decided_on keeps the first night that knew it.
OUTCOMES_UPSERT = f"""
WITH successors AS ({_SUCCESSORS.format(renewal=_RENEWAL)}),
decided AS (
    SELECT c.id AS contract_id, c.account_id, c.end_date, c.mrr AS mrr_before,
           COALESCE(s.mrr_after, 0) AS mrr_after,
           CASE WHEN s.successors IS NULL THEN 'churned'
                WHEN s.mrr_after < c.mrr THEN 'downsold' ELSE 'renewed' END AS kind
    FROM accounts_contract c
    LEFT JOIN successors s ON s.contract_id = c.id
    WHERE {_RENEWAL}
      AND (s.first_start <= %(d)s OR c.end_date + %(grace)s::integer < %(d)s)
)
INSERT INTO renewals_renewaloutcome
    (contract_id, account_id, ended_on, kind, mrr_before, mrr_after, decided_on, reason_note)
SELECT contract_id, account_id, end_date, kind, mrr_before, mrr_after, %(d)s, ''
FROM decided
ON CONFLICT (contract_id) DO UPDATE
    SET kind = EXCLUDED.kind, mrr_before = EXCLUDED.mrr_before, mrr_after = EXCLUDED.mrr_after,
        ended_on = EXCLUDED.ended_on, account_id = EXCLUDED.account_id,
        decided_on = LEAST(renewals_renewaloutcome.decided_on, EXCLUDED.decided_on)
    WHERE (renewals_renewaloutcome.kind, renewals_renewaloutcome.mrr_before,
           renewals_renewaloutcome.mrr_after, renewals_renewaloutcome.ended_on,
           renewals_renewaloutcome.decided_on)
          IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.mrr_before, EXCLUDED.mrr_after,
                            EXCLUDED.ended_on, LEAST(renewals_renewaloutcome.decided_on,
                                                     EXCLUDED.decided_on))"""  # noqa: S608

# A contract edited since (no longer a paid committed term) has no outcome any more.
OUTCOMES_PRUNE = f"""
DELETE FROM renewals_renewaloutcome o
USING accounts_contract c
WHERE c.id = o.contract_id AND NOT ({_RENEWAL})"""  # noqa: S608


def _params(as_of: date) -> dict:
    return {
        "d": as_of,
        "grace": settings.RENEWAL_GRACE_DAYS,
        "min_term": settings.RENEWAL_MIN_TERM_MONTHS,
    }


def outcomes_upsert(*, as_of: date) -> int:
    """Insert or update every outcome known on `as_of`; return the rows changed."""
    with connection.cursor() as cursor:
        pruned = execute_logged(cursor, OUTCOMES_PRUNE, _params(as_of), label="outcomes prune")
        changed = execute_logged(cursor, OUTCOMES_UPSERT, _params(as_of), label="outcomes")
    return pruned + changed


# The renewals of a quarter as the night of D saw them: amount, owner, the model's probability
# (the newest score on or before D), the CSM's call and the outcome when known on D.
QUARTER_RENEWALS = f"""
SELECT c.id, a.owner_id, c.mrr, score.probability, call.churn_probability, call.call,
       o.kind, o.mrr_after
FROM accounts_contract c
JOIN accounts_account a ON a.id = c.account_id
LEFT JOIN renewals_renewalcall call ON call.contract_id = c.id
LEFT JOIN renewals_renewaloutcome o ON o.contract_id = c.id AND o.decided_on <= %(d)s
LEFT JOIN LATERAL (
    SELECT s.probability FROM churn_churnscore s
    WHERE s.account_id = c.account_id AND s.as_of <= %(d)s
      AND s.horizon_days = {HORIZON_FOR_DAYS.format(days="(c.end_date - %(d)s::date)")}
    ORDER BY s.as_of DESC LIMIT 1
) score ON true
WHERE {_RENEWAL} AND c.end_date BETWEEN %(first)s AND %(last)s
ORDER BY c.id"""  # noqa: S608


def quarter_renewals(*, as_of: date, first: date, last: date) -> list[tuple]:
    """The rows of QUARTER_RENEWALS for the quarter [first, last] seen on `as_of`."""
    params = {**_params(as_of), "first": first, "last": last}
    with connection.cursor() as cursor:
        execute_logged(cursor, QUARTER_RENEWALS, params, label="quarter renewals")
        return cursor.fetchall()


# --- The health lab's labels ------------------------------------------------------------------

# Each churn or downsell that ended in (first, last], with its reason ('' when none is given yet)
# and the account's health score and band WARNING_DAYS before the term ended.
LOST_WITH_EARLIER_HEALTH = """
SELECT COALESCE(r.name, ''), o.kind, (o.mrr_before - o.mrr_after) * 12, h.score, h.band
FROM renewals_renewaloutcome o
LEFT JOIN renewals_churnreason r ON r.id = o.reason_id
LEFT JOIN healthscores_snapshothealth h
    ON h.account_id = o.account_id AND h.as_of = o.ended_on - %(warning)s
WHERE o.kind <> 'renewed' AND o.ended_on > %(first)s AND o.ended_on <= %(last)s
"""

# The accounts paying WARNING_DAYS before `last` with no churn or downsell in the window: their
# scores on that day are what a churner's earlier score is ranked against.
RETAINED_EARLIER_SCORES = """
SELECT h.score FROM healthscores_snapshothealth h
WHERE h.as_of = %(last)s - %(warning)s AND h.mrr > 0 AND h.score IS NOT NULL
  AND NOT EXISTS (
    SELECT FROM renewals_renewaloutcome o WHERE o.account_id = h.account_id
      AND o.kind <> 'renewed' AND o.ended_on > %(first)s AND o.ended_on <= %(last)s)
"""


def lost_with_earlier_health(*, first: date, last: date, warning: int) -> tuple[list, list]:
    """(the window's churns and downsells with their earlier health, the retained accounts'
    earlier scores): two statements."""
    params = {"first": first, "last": last, "warning": warning}
    with connection.cursor() as cursor:
        execute_logged(cursor, LOST_WITH_EARLIER_HEALTH, params, label="lab: lost outcomes")
        lost = cursor.fetchall()
        execute_logged(cursor, RETAINED_EARLIER_SCORES, params, label="lab: retained scores")
        retained = [row[0] for row in cursor.fetchall()]
    return lost, retained
