"""The healthscores app's set-based SQL: scoring stored snapshot rows (kpi-spec section 8).

Scoring reads only the snapshot's metric columns and the active models' latest versions, never
raw records, so rescoring a year of history is one statement. Each account uses the active model
of its segment, else the active model without a segment.
"""

from datetime import date

from accounts.sql import execute_logged
from metrics.registry import SCORABLE_ACCOUNT_METRICS

# Snapshot columns are named after the registry's account metric keys.
_METRIC_VALUE = (
    "CASE c.metric "
    + " ".join(f"WHEN '{key}' THEN s.{key}::float8" for key in SCORABLE_ACCOUNT_METRICS)
    + " END"
)

# The f-string inserts only the registry's own column names (no user input).
SCORE_SNAPSHOTS = f"""
WITH active_versions AS (
    SELECT DISTINCT ON (m.id) m.segment, v.id AS version_id, v.definition
    FROM healthscores_healthmodel m
    JOIN healthscores_healthmodelversion v ON v.model_id = m.id
    WHERE m.is_active
    ORDER BY m.id, v.number DESC
),
targets AS (
    SELECT s.id AS snapshot_id, COALESCE(own.version_id, fallback.version_id) AS version_id
    FROM metrics_accountsnapshot s
    JOIN accounts_account a ON a.id = s.account_id
    LEFT JOIN active_versions own ON own.segment <> '' AND own.segment = a.segment
    LEFT JOIN active_versions fallback ON fallback.segment = ''
    WHERE s.as_of BETWEEN %(first)s AND %(last)s
),
components AS (
    SELECT av.version_id, c.*
    FROM active_versions av,
         jsonb_to_recordset(av.definition -> 'components')
             AS c(position int, metric text, weight float8, bad float8, good float8)
),
scored AS (
    SELECT t.snapshot_id, c.position, c.metric, c.weight, v.value,
        CASE WHEN v.value IS NOT NULL
             THEN LEAST(100, GREATEST(0, (v.value - c.bad) / (c.good - c.bad) * 100))
        END AS score
    FROM targets t
    JOIN metrics_accountsnapshot s ON s.id = t.snapshot_id
    JOIN components c ON c.version_id = t.version_id
    CROSS JOIN LATERAL (SELECT {_METRIC_VALUE} AS value) v
),
weighted AS (
    SELECT *, SUM(weight) FILTER (WHERE score IS NOT NULL)
                  OVER (PARTITION BY snapshot_id) AS present_weight
    FROM scored
),
per_snapshot AS (
    SELECT snapshot_id,
        SUM(weight * score) FILTER (WHERE score IS NOT NULL) / NULLIF(MAX(present_weight), 0)
            AS health,
        jsonb_agg(jsonb_build_object(
            'metric', metric, 'value', value, 'score', score, 'weight', weight,
            'contribution', weight * score / NULLIF(present_weight, 0)
        ) ORDER BY position) AS components
    FROM weighted
    GROUP BY snapshot_id
),
results AS (
    SELECT t.snapshot_id, t.version_id, p.health,
        COALESCE(p.components, '[]'::jsonb) AS components,
        CASE
            WHEN p.health IS NULL THEN 'unknown'
            WHEN round(p.health::numeric, 2) >= (av.definition ->> 'green')::numeric THEN 'green'
            WHEN round(p.health::numeric, 2) >= (av.definition ->> 'yellow')::numeric THEN 'yellow'
            ELSE 'red'
        END AS band
    FROM targets t
    LEFT JOIN per_snapshot p ON p.snapshot_id = t.snapshot_id
    LEFT JOIN active_versions av ON av.version_id = t.version_id
)
UPDATE metrics_accountsnapshot s
SET health_score = r.health,
    health_band = r.band,
    health_components = r.components,
    health_model_version = r.version_id
FROM results r
WHERE s.id = r.snapshot_id
"""  # noqa: S608


def score_snapshots(cursor, *, first: date, last: date) -> int:
    """Score every snapshot row dated first..last with the active models; returns rows."""
    return execute_logged(
        cursor, SCORE_SNAPSHOTS, {"first": first, "last": last},
        label=f"score snapshots {first}..{last}",
    )  # fmt: skip


# The day an account's MRR dropped to 0: the first day of a month whose snapshot says "churn"
# (movement compares with the day before the month, so that day is the drop). The earliest such
# day in the window, per account.
CHURN_EVENTS = """
SELECT DISTINCT ON (account_id) account_id, as_of
FROM metrics_accountsnapshot
WHERE movement = 'churn' AND as_of BETWEEN %(first)s AND %(last)s
ORDER BY account_id, as_of
"""

_VALUE_COLUMNS = ", ".join(f"s.{key}" for key in SCORABLE_ACCOUNT_METRICS)

# Snapshot metric values for a list of (account, date) pairs.
SNAPSHOT_VALUES = f"""
SELECT s.account_id, s.as_of, s.health_score, {_VALUE_COLUMNS}
FROM metrics_accountsnapshot s
JOIN unnest(%(accounts)s::bigint[], %(dates)s::date[]) AS p(account_id, as_of)
  ON p.account_id = s.account_id AND p.as_of = s.as_of
"""  # noqa: S608 (registry column names only)

ACTIVE_ACCOUNTS_ON = """
SELECT account_id FROM metrics_accountsnapshot WHERE as_of = %(day)s AND mrr > 0
"""


def churn_events(cursor, *, first: date, last: date) -> dict[int, date]:
    cursor.execute(CHURN_EVENTS, {"first": first, "last": last})
    return dict(cursor.fetchall())


def active_accounts_on(cursor, day: date) -> set[int]:
    cursor.execute(ACTIVE_ACCOUNTS_ON, {"day": day})
    return {row[0] for row in cursor.fetchall()}


def snapshot_values(cursor, pairs: list[tuple[int, date]]) -> dict[tuple[int, date], dict]:
    """{(account, date): {"health_score": ..., metric: value, ...}} for the pairs that exist."""
    if not pairs:
        return {}
    cursor.execute(
        SNAPSHOT_VALUES,
        {"accounts": [a for a, _d in pairs], "dates": [d for _a, d in pairs]},
    )
    names = ["health_score", *SCORABLE_ACCOUNT_METRICS]
    return {
        (row[0], row[1]): {
            name: (float(value) if value is not None else None)
            for name, value in zip(names, row[2:], strict=True)
        }
        for row in cursor.fetchall()
    }


def all_account_ids(cursor) -> list[int]:
    cursor.execute("SELECT id FROM accounts_account")
    return [row[0] for row in cursor.fetchall()]


# Alerts for one scored date, set-based: every account at once, at most one unclosed alert per
# account and reason (the partial unique index), and no new alert of a reason the account was
# alerted for in the last 30 days (90 for a champion leaving, a signal that stays true 90 days);
# counted in snapshot dates, so backfills and the nightly run agree.
RAISE_ALERTS = """
WITH today AS (
    SELECT s.account_id, s.health_score, s.health_band, s.champion_left_90d, s.days_to_renewal,
           s.health_model_version, a.owner_id
    FROM metrics_accountsnapshot s
    JOIN accounts_account a ON a.id = s.account_id
    WHERE s.as_of = %(d)s
),
previous AS (
    SELECT account_id, health_band FROM metrics_accountsnapshot WHERE as_of = %(d)s - 1
),
month_ago AS (
    SELECT account_id, health_score, health_model_version
    FROM metrics_accountsnapshot WHERE as_of = %(d)s - 30
),
candidates AS (
    SELECT t.account_id, t.owner_id, 'entered_red' AS reason,
           format('Health score %%s: entered red.', round(t.health_score::numeric, 1)) AS details
    FROM today t LEFT JOIN previous p USING (account_id)  -- no previous day: alert, not miss
    WHERE t.health_band = 'red' AND p.health_band IS DISTINCT FROM 'red'
    UNION ALL
    SELECT t.account_id, t.owner_id, 'score_drop',
           format('Health fell %%s points in 30 days (%%s to %%s).',
                  round((m.health_score - t.health_score)::numeric, 1),
                  round(m.health_score::numeric, 1), round(t.health_score::numeric, 1))
    FROM today t JOIN month_ago m USING (account_id)
    -- Only scores of the same model version: a new model is not a drop in health.
    WHERE m.health_score - t.health_score >= 15
      AND m.health_model_version IS NOT DISTINCT FROM t.health_model_version
    UNION ALL
    SELECT t.account_id, t.owner_id, 'champion_left',
           'A champion contact left in the last 90 days.'
    FROM today t WHERE t.champion_left_90d = 1
    UNION ALL
    SELECT t.account_id, t.owner_id, 'renewal_at_risk',
           format('Renewal in %%s days while %%s.', t.days_to_renewal, t.health_band)
    FROM today t
    WHERE t.days_to_renewal BETWEEN 0 AND 90 AND t.health_band <> 'green'
)
INSERT INTO healthscores_alert (account_id, owner_id, reason, status, as_of, details, due_on,
                                created_at)
SELECT c.account_id, c.owner_id, c.reason, 'open', %(d)s, c.details, %(d)s + 7, now()
FROM candidates c
WHERE NOT EXISTS (
    SELECT FROM healthscores_alert x
    WHERE x.account_id = c.account_id AND x.reason = c.reason
      AND (x.status <> 'closed'
           OR x.as_of > %(d)s - CASE WHEN c.reason = 'champion_left' THEN 90 ELSE 30 END)
)
ON CONFLICT DO NOTHING
"""


def raise_alerts(cursor, as_of: date) -> int:
    return execute_logged(cursor, RAISE_ALERTS, {"d": as_of}, label=f"alerts {as_of}")
