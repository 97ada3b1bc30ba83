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
