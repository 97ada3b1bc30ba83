"""The API's set-based SQL: usage events rolled into the daily usage rows in one statement.

Composed with psycopg.sql and run through accounts.sql.execute_logged, like the import's.
"""

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from accounts import sql as accounts_sql
from accounts.importer.records import EVENTS

# One statement: resolve accounts, count each (row, session id) once across requests through
# api_eventsession (by a hash of the pair), then add the batch's sums to the usage rows. Rows are
# written in key order so that concurrent requests lock shared rows in the same order and never
# deadlock each other.
# ON CONFLICT DO UPDATE rather than the import's UPDATE + INSERT pair: events add to a row rather
# than replace it, and concurrent requests need no table lock this way.
ROLL_UP = """
WITH dated AS (
    SELECT a.id AS account_id, s.user_id, s.feature, s.count, s.minutes, s.session_id,
           (s.occurred_at AT TIME ZONE %(zone)s)::date AS date
    FROM {stage} s
    JOIN accounts_account a ON a.external_id = s.account_external_id
), events AS (
    -- A row value's text quotes its fields, so no two different sessions hash the same text.
    SELECT *, md5(ROW(date, account_id, user_id, feature, session_id)::text)::uuid AS session_key
    FROM dated
), new_sessions AS (
    INSERT INTO api_eventsession (key, date)
    SELECT DISTINCT session_key, date
    FROM events
    WHERE session_id IS NOT NULL
    ORDER BY session_key
    ON CONFLICT DO NOTHING
    RETURNING key
), sessions AS (
    SELECT e.date, e.account_id, e.user_id, e.feature, count(DISTINCT e.session_key) AS sessions
    FROM events e
    JOIN new_sessions n ON n.key = e.session_key
    GROUP BY e.date, e.account_id, e.user_id, e.feature
), rolled AS (
    SELECT date, account_id, user_id, feature, sum(count) AS events, sum(minutes) AS minutes
    FROM events
    GROUP BY date, account_id, user_id, feature
)
INSERT INTO accounts_usagedaily AS u (date, account_id, user_id, feature, events, minutes, sessions)
SELECT r.date, r.account_id, r.user_id, r.feature, r.events, r.minutes, s.sessions
FROM rolled r
LEFT JOIN sessions s USING (date, account_id, user_id, feature)
ORDER BY r.date, r.account_id, r.user_id, r.feature
ON CONFLICT (date, account_id, user_id, feature) DO UPDATE SET
    events = u.events + EXCLUDED.events,
    minutes = CASE WHEN EXCLUDED.minutes IS NULL THEN u.minutes
                   ELSE COALESCE(u.minutes, 0) + EXCLUDED.minutes END,
    sessions = CASE WHEN EXCLUDED.sessions IS NULL THEN u.sessions
                    ELSE COALESCE(u.sessions, 0) + EXCLUDED.sessions END
"""


def events_roll_up(cursor, rows: Sequence[Sequence[Any]], *, zone: str) -> int:
    """Add the events (EVENTS' columns, in order) to the usage rows of their local dates in
    `zone`; return how many usage rows were inserted or changed.

    The rows go in as one array per column, unnested in the statement itself: one round trip.
    A temporary staging table (the import's way, for files of millions of rows) cost three more
    per request (DROP, CREATE, COPY) and churned the system catalogs at every request of the API
    and of Segment, a few hundred a second."""
    columns = EVENTS.columns
    source = sql.SQL("(SELECT * FROM unnest({arrays}) AS t ({names}))").format(
        arrays=sql.SQL(", ").join(
            sql.SQL("{}::{}[]").format(sql.Placeholder(f"c{n}"), sql.SQL(column.sql_type))
            for n, column in enumerate(columns)
        ),
        names=sql.SQL(", ").join(sql.Identifier(column.name) for column in columns),
    )
    params: dict[str, Any] = {f"c{n}": [row[n] for row in rows] for n in range(len(columns))}
    statement = sql.SQL(ROLL_UP).format(stage=source)
    return accounts_sql.execute_logged(
        cursor, statement, {**params, "zone": zone}, label="events roll-up"
    )
