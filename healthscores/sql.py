"""The healthscores app's set-based SQL: scoring stored snapshot rows (kpi-spec section 8).

Scoring reads only the snapshot's metric columns and the active models' latest versions, never
raw records: the nightly job scores a date's rows right after writing them, and a rescore after a
model change replaces the narrow SnapshotHealth rows of a range of dates in one DELETE and one
INSERT ... SELECT, without touching the wide snapshot rows. The scoring expressions are
generated from each version's definition (numbers and the registry's column names only). Each
account uses the active model of its segment, else the active model without a segment.
"""

import json
from dataclasses import dataclass
from datetime import date

from psycopg import sql

from core.sql import execute_logged
from healthscores.scoring import CUSTOM_METRIC_PREFIX, Definition, custom_metric_key
from metrics.registry import SCORABLE_ACCOUNT_METRICS
from metrics.totals import BANDS

ACTIVE_VERSIONS = """
SELECT DISTINCT ON (m.id) m.segment, v.id, v.definition
FROM healthscores_healthmodel m
JOIN healthscores_healthmodelversion v ON v.model_id = m.id
WHERE m.is_active
ORDER BY m.id, v.number DESC
"""


@dataclass(frozen=True)
class ScoreColumns:
    """SQL expressions of SnapshotHealth's columns, by column, and the joins they need."""

    values: dict[str, str]
    joins: str = ""


@dataclass(frozen=True)
class ActiveVersion:
    segment: str
    version_id: int
    definition: Definition


def active_versions(cursor) -> list[ActiveVersion]:
    """The latest version of every active model: what scores are computed with."""
    cursor.execute(ACTIVE_VERSIONS)
    # Django's connection hands jsonb over as text, for JSONField to decode.
    return [
        ActiveVersion(
            seg, pk, Definition.from_json(json.loads(data) if isinstance(data, str) else data)
        )
        for seg, pk, data in cursor.fetchall()
    ]


def _number(value: float) -> str:
    return f"({float(value)!r}::float8)"


def _value_sql(metric: str, row: str) -> str:
    """A metric's value on the snapshot row: the registry's column, or a numeric custom field
    from the row's custom_numbers (its key matches ^[a-z][a-z0-9_]*$, so it is safe inline)."""
    key = custom_metric_key(metric)
    if key is not None:
        return f"({row}.custom_numbers ->> '{key}')::float8"
    if metric not in SCORABLE_ACCOUNT_METRICS:  # only the registry's own column names
        raise ValueError(f"unknown metric {metric!r} in health model version")
    return f"{row}.{metric}::float8"


def _version_sql(k: int, version: ActiveVersion, row: str) -> tuple[str, tuple[str, ...]]:
    """LATERAL joins scoring one row `row` with one version, and its four column expressions.
    The arithmetic is kpi-spec section 8, as in healthscores.scoring."""
    parts = []
    for i, c in enumerate(version.definition.components):
        value = _value_sql(c.metric, row)
        parts.append(
            f"CASE WHEN {value} IS NULL THEN NULL ELSE LEAST(100, GREATEST(0, "
            f"({value} - {_number(c.bad)}) / ({_number(c.good)} - {_number(c.bad)}) * 100)) "
            f"END AS s{i}"
        )
    components = version.definition.components
    weights = [_number(c.weight) for c in components]
    present = " + ".join(f"CASE WHEN h{k}s.s{i} IS NULL THEN 0 ELSE {w} END"
                         for i, w in enumerate(weights)) or "0"  # fmt: skip
    weighted = " + ".join(f"COALESCE({w} * h{k}s.s{i}, 0)" for i, w in enumerate(weights)) or "0"
    joins = (
        f"CROSS JOIN LATERAL (SELECT {', '.join(parts) or 'NULL AS s'}) h{k}s "
        f"CROSS JOIN LATERAL (SELECT ({present}) AS present) h{k}w "
        f"CROSS JOIN LATERAL (SELECT ({weighted}) / NULLIF(h{k}w.present, 0) AS score) h{k}"
    )
    score = f"h{k}.score"
    green, yellow = version.definition.green, version.definition.yellow
    band = (
        f"CASE WHEN {score} IS NULL THEN 'unknown' "
        f"WHEN round({score}::numeric, 2) >= {float(green)!r} THEN 'green' "
        f"WHEN round({score}::numeric, 2) >= {float(yellow)!r} THEN 'yellow' ELSE 'red' END"
    )
    # Each component's score in the version's order; contributions are derived on reading
    # (healthscores.models.SnapshotHealth.components), values are the snapshot's own columns.
    scores = (
        "ARRAY[" + ", ".join(f"h{k}s.s{i}" for i in range(len(components))) + "]::float8[]"
        if components
        else "'{}'::float8[]"
    )
    return joins, (score, band, scores, str(int(version.version_id)))


_NO_MODEL = ("NULL::float8", "'unknown'", "'{}'::float8[]", "NULL::integer")
HEALTH_COLUMNS = ("score", "band", "component_scores", "model_version_id")


def health_columns(versions: list[ActiveVersion], *, row: str, segment: str) -> ScoreColumns:
    """Expressions scoring the snapshot row `row` with the active model of its segment (the
    expression `segment`), else the model without a segment; computed inline, row by row, so
    scoring costs no extra pass over the table."""
    joins, by_segment = [], {}
    for k, version in enumerate(versions):
        version_joins, columns = _version_sql(k, version, row)
        joins.append(version_joins)
        by_segment[version.segment] = columns
    default = by_segment.pop("", _NO_MODEL)

    def pick(i: int) -> str:
        if not by_segment:
            return default[i]
        cases = " ".join(
            f"WHEN {segment} = {sql.Literal(seg).as_string()} THEN {columns[i]}"
            for seg, columns in by_segment.items()
        )
        return f"CASE {cases} ELSE {default[i]} END"

    return ScoreColumns(
        values={name: pick(i) for i, name in enumerate(HEALTH_COLUMNS)}, joins=" ".join(joins)
    )


def score_snapshots(cursor, *, first: date, last: date) -> int:
    """(Re)score the stored snapshot rows dated first..last with the active models: replace
    their SnapshotHealth rows in one DELETE and one INSERT ... SELECT; returns rows scored.
    Reads only snapshot columns, never raw records."""
    columns = health_columns(active_versions(cursor), row="v", segment="a.segment")
    params = {"first": first, "last": last}
    delete_scores(cursor, first=first, last=last)
    # Generated from numbers, the registry's column names and quoted literals only.
    statement = (
        "INSERT INTO healthscores_snapshothealth (snapshot_id, as_of, account_id, mrr, "  # noqa: S608
        + ", ".join(columns.values)
        + ") SELECT v.id, v.as_of, v.account_id, v.mrr, "
        + ", ".join(columns.values.values())
        + " FROM metrics_accountsnapshot v JOIN accounts_account a ON a.id = v.account_id "
        + columns.joins
        + " WHERE v.as_of BETWEEN %(first)s AND %(last)s"
    )
    return execute_logged(cursor, statement, params, label=f"score snapshots {first}..{last}")


# After a rescore only the band totals of the portfolio rollup (metrics.PortfolioRollup) can
# change: paying accounts (MRR > 0) and their MRR per band, by date and (segment, region, owner),
# as metrics.totals defines them, recomputed from the narrow score rows alone.
REFRESH_ROLLUP_BANDS = (
    "UPDATE metrics_portfoliorollup r SET "  # noqa: S608 (fixed band names only)
    + ", ".join(f"band_{b}_accounts = b.{b}_accounts, band_{b}_mrr = b.{b}_mrr" for b in BANDS)
    + " FROM (SELECT h.as_of, a.segment, a.region, COALESCE(a.owner_id, 0) AS owner_key, "
    + ", ".join(
        f"count(*) FILTER (WHERE h.band = '{b}' AND h.mrr > 0) AS {b}_accounts, "
        f"COALESCE(sum(h.mrr) FILTER (WHERE h.band = '{b}' AND h.mrr > 0), 0) AS {b}_mrr"
        for b in BANDS
    )
    + " FROM healthscores_snapshothealth h JOIN accounts_account a ON a.id = h.account_id"
    " WHERE h.as_of BETWEEN %(first)s AND %(last)s GROUP BY 1, 2, 3, 4) b"
    " WHERE r.as_of = b.as_of AND r.segment = b.segment AND r.region = b.region"
    " AND r.owner_key = b.owner_key"
)


def refresh_rollup_bands(cursor, *, first: date, last: date) -> int:
    return execute_logged(
        cursor, REFRESH_ROLLUP_BANDS, {"first": first, "last": last},
        label=f"rollup bands {first}..{last}",
    )  # fmt: skip


def delete_scores(cursor, *, first: date, last: date) -> int:
    return execute_logged(
        cursor,
        "DELETE FROM healthscores_snapshothealth WHERE as_of BETWEEN %(first)s AND %(last)s",
        {"first": first, "last": last},
        label=f"clear scores {first}..{last}",
    )


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
SELECT s.account_id, s.as_of, h.score, {_VALUE_COLUMNS}, s.custom_numbers
FROM metrics_accountsnapshot s
LEFT JOIN healthscores_snapshothealth h ON h.snapshot_id = s.id AND h.as_of = s.as_of
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
    """{(account, date): {"health_score": ..., metric: value, ...}} for the pairs that exist,
    with each numeric custom field the row kept as "custom.<key>"."""
    names = ["health_score", *SCORABLE_ACCOUNT_METRICS]
    values = {}
    # In batches: with tens of thousands of pairs at once the planner switches from index
    # lookups to scanning the whole (wide) snapshot table.
    for start in range(0, len(pairs), 5000):
        batch = pairs[start : start + 5000]
        cursor.execute(
            SNAPSHOT_VALUES,
            {"accounts": [a for a, _d in batch], "dates": [d for _a, d in batch]},
        )
        for row in cursor.fetchall():
            pair = values[(row[0], row[1])] = {
                name: (float(value) if value is not None else None)
                for name, value in zip(names, row[2:-1], strict=True)
            }
            # Numeric custom fields, under their component name ("custom.<key>").
            custom = json.loads(row[-1]) if isinstance(row[-1], str) else (row[-1] or {})
            pair.update({f"{CUSTOM_METRIC_PREFIX}{key}": float(value)
                         for key, value in custom.items()})  # fmt: skip
    return values


def all_account_ids(cursor) -> list[int]:
    cursor.execute("SELECT id FROM accounts_account")
    return [row[0] for row in cursor.fetchall()]


# Alerts for one scored date, set-based: every account at once, at most one unclosed alert per
# account and reason (the partial unique index), and no new alert of a reason the account was
# alerted for in the last 30 days (90 for a champion leaving, a signal that stays true 90 days);
# counted in snapshot dates, so backfills and the nightly run agree. Only customers on D (MRR > 0,
# kpi-spec section 3's active customer, metrics.totals.CUSTOMER): an account that is
# already gone is not "at risk". Each alert keeps the account's ARR of D: lists put the biggest
# first.
RAISE_ALERTS = """
WITH today AS (
    SELECT s.account_id, h.score AS health_score, COALESCE(h.band, 'unknown') AS health_band,
           s.champion_left_90d, s.days_to_renewal, h.model_version_id AS health_model_version,
           a.owner_id, s.arr
    FROM metrics_accountsnapshot s
    JOIN accounts_account a ON a.id = s.account_id
    LEFT JOIN healthscores_snapshothealth h ON h.snapshot_id = s.id AND h.as_of = s.as_of
    WHERE s.as_of = %(d)s AND s.mrr > 0
),
previous AS (
    -- The band of the account's previous scored date (a missed night is not a day in red):
    -- one index-only lookup a customer on the score table's (account, as_of) index.
    SELECT t.account_id, p.band AS health_band, p.model_version_id AS health_model_version
    FROM today t
    CROSS JOIN LATERAL (
        SELECT h.band, h.model_version_id FROM healthscores_snapshothealth h
        WHERE h.account_id = t.account_id AND h.as_of < %(d)s
        ORDER BY h.as_of DESC LIMIT 1
    ) p
),
month_ago AS (
    SELECT h.account_id, h.score AS health_score, h.model_version_id AS health_model_version
    FROM healthscores_snapshothealth h
    WHERE h.as_of = %(d)s - 30
),
candidates AS (
    SELECT t.account_id, t.owner_id, t.arr, 'entered_red' AS reason,
           format('Health score %%s: entered red%%s.', round(t.health_score::numeric, 1),
                  -- Marked, not hidden: the band before came from another model version.
                  CASE WHEN p.health_band IS NOT NULL
                        AND p.health_model_version IS DISTINCT FROM t.health_model_version
                       THEN ' (the health model changed since the previous score)' ELSE '' END)
               AS details
    FROM today t LEFT JOIN previous p USING (account_id)  -- no previous score: alert, not miss
    WHERE t.health_band = 'red' AND p.health_band IS DISTINCT FROM 'red'
    UNION ALL
    SELECT t.account_id, t.owner_id, t.arr, 'score_drop',
           format('Health fell %%s points in 30 days (%%s to %%s).',
                  round((m.health_score - t.health_score)::numeric, 1),
                  round(m.health_score::numeric, 1), round(t.health_score::numeric, 1))
    FROM today t JOIN month_ago m USING (account_id)
    -- Only scores of the same model version: a new model is not a drop in health.
    WHERE m.health_score - t.health_score >= 15
      AND m.health_model_version IS NOT DISTINCT FROM t.health_model_version
    UNION ALL
    SELECT t.account_id, t.owner_id, t.arr, 'champion_left',
           'A champion contact left in the last 90 days.'
    FROM today t WHERE t.champion_left_90d = 1
    UNION ALL
    SELECT t.account_id, t.owner_id, t.arr, 'renewal_at_risk',
           format('Renewal in %%s days while %%s.', t.days_to_renewal, t.health_band)
    FROM today t
    WHERE t.days_to_renewal BETWEEN 0 AND 90 AND t.health_band <> 'green'
)
INSERT INTO healthscores_alert (account_id, owner_id, reason, status, as_of, details, due_on,
                                arr, created_at)
SELECT c.account_id, c.owner_id, c.reason, 'open', %(d)s, c.details, %(d)s + 7, c.arr, now()
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
