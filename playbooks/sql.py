"""The playbooks app's set-based SQL: which accounts enter a playbook on a date, for all at once.

One statement per playbook finds every account whose trigger fired and whose conditions hold,
marks those that re-enrolment rules keep out, and (when enrolling) inserts their runs; a second
inserts every new run's steps. Statements are composed with psycopg.sql from the playbook's
definition: column names come from fixed tables below, values are always parameters.

Signals. Each trigger names what fired, and an account enters a playbook at most once per
signal (a unique index): a response, a champion's departure, a renewal date, a first contract.
A condition that holds day after day (usage below 30 %, in the red band) is one signal for the
whole streak: it is named by the streak's first day, found by looking back through the account's
snapshots to the last day the condition did not hold (at most STREAK_LOOKBACK_DAYS back).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from psycopg import sql

from accounts.filters import Criterion, ViewFilter, view_condition
from accounts.models import Account
from core.sql import execute_logged, queryset_sql
from playbooks.models import VIEW_TRIGGERS, Trigger
from surveys.models import SCORE_GROUPS

# How far back a streak's first day is looked for; older streaks count from this far back.
STREAK_LOOKBACK_DAYS = 400
# Events found in raw records (responses, first contracts) are picked up this many days late at
# most: enough for a missed night or a late import.
EVENT_LOOKBACK_DAYS = 7
# A contract `{c}` that commits to a term of RENEWAL_MIN_TERM_MONTHS (%(min_term)s) months or
# more: its end is a renewal. accounts.models.Contract.is_committed_term is the same rule.
COMMITTED_TERM = (
    "{c}.end_date >= ({c}.start_date + make_interval(months => %(min_term)s))::date - 1"
)
# A champion's departure stays a signal as long as the snapshot's champion_left_90d says so.
CHAMPION_LOOKBACK_DAYS = 90

# Detractor answers, the surveys app's rule (surveys.models.is_detractor): NPS 0 to 6 (kpi-spec
# section 5), CSAT 1 to 2, CES 1 to 3; the highest detractor score of each kind.
DETRACTOR_SCORES = {str(kind): int(top) for kind, (top, _promoter) in SCORE_GROUPS.items()}


@dataclass(frozen=True)
class PlaybookSpec:
    """What the SQL needs of a playbook, as plain values."""

    id: int
    trigger: str
    band: str = ""
    points: float | None = None
    days: int | None = None
    threshold: float | None = None
    view_id: int | None = None
    view_name: str = ""
    view_filter: ViewFilter | None = None
    view_owner: Any = None  # whom the view's "mine" means
    reenroll_after_days: int = 30
    conditions: tuple[Criterion, ...] = ()


def playbook_spec(playbook) -> PlaybookSpec:
    """The plain values the SQL needs; conditions should be prefetched, the view selected."""
    view = playbook.view if playbook.trigger in VIEW_TRIGGERS else None
    return PlaybookSpec(
        id=playbook.pk,
        trigger=playbook.trigger,
        band=playbook.band,
        points=playbook.points,
        days=playbook.days,
        threshold=playbook.threshold,
        view_id=view.pk if view else None,
        view_name=view.name if view else "",
        view_filter=ViewFilter.from_dict(view.definition) if view else None,
        view_owner=view.owner if view else None,
        reenroll_after_days=playbook.reenroll_after_days,
        conditions=tuple(
            Criterion(c.field, c.operator, tuple(c.values)) for c in playbook.conditions.all()
        ),
    )


@dataclass
class _Params:
    values: dict = field(default_factory=dict)

    def add(self, value) -> sql.Placeholder:
        name = f"v{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)


def _compiled(spec: ViewFilter, params: _Params, *, as_of: date, user=None) -> sql.Composable:
    """`a.id IN (...)`: the accounts' filter compiler's SQL for `spec` on `as_of` (the one
    definition of every criterion: accounts.filters), its values as this statement's
    parameters."""
    members = Account.objects.filter(view_condition(spec, as_of=as_of, user=user))
    return sql.SQL("a.id IN ({})").format(queryset_sql(members.order_by().values("pk"), params.add))


# The date as well as the id: the scores are partitioned by month on as_of (metrics 0014).
HEALTH = (
    "LEFT JOIN healthscores_snapshothealth {h} "
    "ON {h}.snapshot_id = {s}.id AND {h}.as_of = {s}.as_of"
)


def _joins(row: str, earlier: str, *, compare_days: int | None, health: bool) -> str:
    """The joins a level trigger's predicate may need for the snapshot row `row`: its health
    row (`<row>h`, healthscores.SnapshotHealth), and the snapshot `compare_days` earlier
    (`earlier`) with its health row."""
    joins = [HEALTH.format(h=f"{row}h", s=row)] if health else []
    if compare_days is not None:
        joins.append(
            f"LEFT JOIN metrics_accountsnapshot {earlier} ON {earlier}.account_id = "
            f"{row}.account_id AND {earlier}.as_of = {row}.as_of - {int(compare_days)}"
        )
        if health:
            joins.append(HEALTH.format(h=f"{earlier}h", s=earlier))
    return " ".join(joins)


def _streak(predicate: str, *, compare_days: int | None, health: bool) -> str:
    """A LATERAL subquery giving `since`, the first day of the current streak of days whose
    snapshot `h` (and `hp`, the snapshot `compare_days` earlier) satisfies `predicate`."""
    joins = _joins("h", "hp", compare_days=compare_days, health=health)
    holds = predicate.format(r="h", rh="hh", p="hp", ph="hph")
    return f"""
    CROSS JOIN LATERAL (
        SELECT COALESCE(
            (SELECT h.as_of + 1 FROM metrics_accountsnapshot h {joins}
             WHERE h.account_id = t.account_id AND h.as_of < %(d)s
               AND h.as_of >= %(d)s - {STREAK_LOOKBACK_DAYS}
               AND NOT COALESCE({holds}, false)
             ORDER BY h.as_of DESC LIMIT 1),
            (SELECT min(h.as_of) FROM metrics_accountsnapshot h
             WHERE h.account_id = t.account_id AND h.as_of >= %(d)s - {STREAK_LOOKBACK_DAYS})
        ) AS since
    ) s"""  # noqa: S608 (integers, fixed names)


def _level(
    name: str, predicate: str, values: str, *, compare_days: int | None = None,
    health: bool = False,
) -> str:  # fmt: skip
    """Candidates of a condition that holds on D, one signal per streak. `predicate` names
    the snapshot row `{r}`, the one `compare_days` earlier `{p}`, and their health rows `{rh}`
    and `{ph}` (joined when `health`); `values` may name t, th, tp and tph."""
    joins = _joins("t", "tp", compare_days=compare_days, health=health)
    holds = predicate.format(r="t", rh="th", p="tp", ph="tph")
    return f"""
    SELECT t.account_id, '{name}:' || s.since AS signal, s.since AS anchor_on,
           {values} AS trigger_values
    FROM metrics_accountsnapshot t {joins}
    {_streak(predicate, compare_days=compare_days, health=health)}
    WHERE t.as_of = %(d)s AND {holds}"""  # noqa: S608 (integers, fixed names)


def _detractor_condition() -> str:
    return " OR ".join(
        f"(r.kind = '{kind}' AND r.score <= {int(top)})" for kind, top in DETRACTOR_SCORES.items()
    )


def _candidates(spec: PlaybookSpec, params: _Params, *, responses: bool) -> str:
    """The trigger's candidates: (account_id, signal, anchor_on, trigger_values)."""
    trigger = spec.trigger
    if trigger == Trigger.BAND_ENTERED:
        params.values["band"] = spec.band
        return _level(
            "band",
            "COALESCE({rh}.band, 'unknown') = %(band)s",
            "jsonb_build_object('health_band', th.band, 'health_score', "
            "round(th.score::numeric, 1), 'since', s.since)",
            health=True,
        )
    if trigger == Trigger.HEALTH_FELL:
        params.values["points"] = spec.points
        return _level(
            "fell",
            "({ph}.score - {rh}.score >= %(points)s AND "
            "{ph}.model_version_id IS NOT DISTINCT FROM {rh}.model_version_id)",
            "jsonb_build_object('health_score', round(th.score::numeric, 1), "
            "'earlier_score', round(tph.score::numeric, 1), "
            "'fell_by', round((tph.score - th.score)::numeric, 1), "
            f"'days', {int(spec.days)}, 'since', s.since)",
            compare_days=spec.days,
            health=True,
        )
    if trigger == Trigger.USAGE_BELOW:
        params.values["threshold"] = spec.threshold
        return _level(
            "usage",
            "{r}.usage_trend < %(threshold)s",
            "jsonb_build_object('usage_trend', round(t.usage_trend::numeric, 1), 'since', s.since)",
        )
    if trigger == Trigger.SEATS_ABOVE:
        params.values["threshold"] = spec.threshold
        return _level(
            "seats",
            "{r}.seat_utilization > %(threshold)s",
            "jsonb_build_object('seat_utilization', round(t.seat_utilization::numeric, 1), "
            "'active_users_30d', t.active_users_30d, 'seats', t.seats, 'since', s.since)",
        )
    if trigger == Trigger.RENEWAL_WITHIN:
        # The end of the soonest committed term among the contracts active on D (a monthly plan
        # rolling over is no renewal); the snapshot's days_to_renewal counts every contract.
        params.values["within"] = spec.days
        params.values["min_term"] = settings.RENEWAL_MIN_TERM_MONTHS
        return f"""
    SELECT c.account_id, 'renewal:' || min(c.end_date) AS signal, %(d)s::date AS anchor_on,
           jsonb_build_object('days_to_renewal', min(c.end_date) - %(d)s::date,
                              'renewal_on', min(c.end_date)) AS trigger_values
    FROM accounts_contract c
    WHERE c.start_date <= %(d)s AND c.end_date >= %(d)s AND {COMMITTED_TERM.format(c="c")}
    GROUP BY c.account_id
    HAVING min(c.end_date) <= %(d)s::date + %(within)s"""  # noqa: S608 (fixed names)
    if trigger == Trigger.CHAMPION_LEFT:
        return f"""
    SELECT c.account_id, 'champion:' || c.id AS signal, c.left_on AS anchor_on,
           jsonb_build_object('contact', COALESCE(NULLIF(c.name, ''), c.email),
                              'title', c.title, 'left_on', c.left_on) AS trigger_values
    FROM accounts_contact c
    WHERE c.is_champion AND c.left_on BETWEEN %(d)s - {CHAMPION_LOOKBACK_DAYS - 1} AND %(d)s"""  # noqa: S608 (integers, fixed names)
    if trigger == Trigger.DETRACTOR:
        # At once for the responses just recorded; nightly for the last few days' answers.
        window = (
            "r.id = ANY(%(responses)s)"
            if responses
            else f"(r.responded_at AT TIME ZONE %(tz)s)::date "
            f"BETWEEN %(d)s - {EVENT_LOOKBACK_DAYS - 1} AND %(d)s"
        )
        return f"""
    SELECT r.account_id, 'response:' || r.id AS signal,
           (r.responded_at AT TIME ZONE %(tz)s)::date AS anchor_on,
           jsonb_build_object('kind', r.kind, 'score', r.score, 'comment', left(r.comment, 280),
                              'responded_at', r.responded_at) AS trigger_values
    FROM surveys_surveyresponse r
    WHERE ({_detractor_condition()}) AND {window}"""  # noqa: S608 (integers, fixed names)
    if trigger == Trigger.ONBOARDING:
        return f"""
    SELECT t.account_id, 'onboarding:' || t.customer_since AS signal,
           t.customer_since AS anchor_on,
           jsonb_build_object('customer_since', t.customer_since) AS trigger_values
    FROM metrics_accountsnapshot t
    WHERE t.as_of = %(d)s
      AND t.customer_since BETWEEN %(d)s - {EVENT_LOOKBACK_DAYS - 1} AND %(d)s"""  # noqa: S608 (integers, fixed names)
    if trigger == Trigger.FILTER_MATCH:
        # Every account is a candidate; the view's filter is added to the playbook's
        # conditions, and the constant signal lets an account enter only once, ever.
        return f"""
    SELECT t.account_id, 'filter:{int(spec.view_id)}' AS signal, t.as_of AS anchor_on,
           '{{}}'::jsonb AS trigger_values
    FROM metrics_accountsnapshot t
    WHERE t.as_of = %(d)s"""  # noqa: S608 (integers, fixed names)
    if trigger in (Trigger.VIEW_ENTERED, Trigger.VIEW_LEFT):
        # The view's stays (accounts.models.ViewMembership, brought up to D before this runs):
        # one signal per stay's start or end; the members of the first refresh were already
        # there and entered nothing.
        day, word = ("entered_on", "in") if trigger == Trigger.VIEW_ENTERED else ("left_on", "out")
        baseline = " AND m.entered_on > v.tracked_since" if day == "entered_on" else ""
        params.values["view_name"] = spec.view_name
        return f"""
    SELECT m.account_id, 'view_{word}:' || m.{day} AS signal, m.{day} AS anchor_on,
           jsonb_build_object('view', %(view_name)s::text, '{day}', m.{day}) AS trigger_values
    FROM accounts_viewmembership m JOIN accounts_view v ON v.id = m.view_id
    WHERE m.view_id = {int(spec.view_id)}
      AND m.{day} BETWEEN %(d)s - {EVENT_LOOKBACK_DAYS - 1} AND %(d)s{baseline}"""  # noqa: S608 (integers, fixed names)
    raise ValueError(f"unknown trigger {trigger!r}")


def _matches(spec: PlaybookSpec, *, as_of: date, responses: bool) -> tuple[sql.Composed, dict]:
    """CTEs `matched` (every candidate passing the conditions, flagged `blocked` when the
    re-enrolment rules keep it out) and `chosen` (one per account, the newest signal)."""
    params = _Params()
    tests = []
    if spec.conditions:
        tests.append(_compiled(ViewFilter(conditions=spec.conditions), params, as_of=as_of))
    if spec.trigger == Trigger.FILTER_MATCH:
        tests.append(_compiled(spec.view_filter, params, as_of=as_of, user=spec.view_owner))
    if spec.trigger not in VIEW_TRIGGERS:
        # Only customers on D (MRR > 0, metrics.totals.CUSTOMER): a churned account is not at
        # risk. An account without D's snapshot yet (imported today) is not known to be gone. A
        # view states its own audience (a win-back list of churned accounts).
        tests.append(sql.SQL("(t.id IS NULL OR t.mrr > 0)"))
    where = sql.SQL(" AND ").join(tests) if tests else sql.SQL("true")
    candidates = _candidates(spec, params, responses=responses)
    statement = sql.SQL(
        """
WITH candidates AS ({candidates}),
matched AS (
    SELECT c.account_id, c.signal, c.anchor_on, c.trigger_values,
           EXISTS (
               SELECT FROM playbooks_playbookrun r
               WHERE r.playbook_id = %(p)s AND r.account_id = c.account_id
                 AND (r.signal = c.signal OR r.as_of > %(d)s - %(reenrol)s)
           ) AS blocked
    FROM candidates c
    JOIN accounts_account a ON a.id = c.account_id
    LEFT JOIN metrics_accountsnapshot t ON t.account_id = c.account_id AND t.as_of = %(d)s
    LEFT JOIN healthscores_snapshothealth th ON th.snapshot_id = t.id AND th.as_of = t.as_of
    WHERE {where}
),
chosen AS (
    SELECT DISTINCT ON (account_id) account_id, signal, anchor_on, trigger_values
    FROM matched WHERE NOT blocked
    ORDER BY account_id, anchor_on DESC, signal
)"""
    ).format(candidates=sql.SQL(candidates), where=where)
    params.values["p"] = spec.id
    params.values["reenrol"] = spec.reenroll_after_days
    return statement, params.values


INSERT_RUNS = sql.SQL(
    """
INSERT INTO playbooks_playbookrun (playbook_id, account_id, signal, trigger_values, as_of,
                                   anchor_on, status, created_at)
SELECT %(p)s, account_id, signal, trigger_values, %(d)s, anchor_on, 'pending', now()
FROM chosen
ON CONFLICT (playbook_id, account_id, signal) DO NOTHING
RETURNING id"""
)

INSERT_STEPS = """
INSERT INTO playbooks_playbookrunstep (run_id, action_id, position, kind, due_on, status,
                                       attempts, result, error)
SELECT r.id, x.id, row_number() OVER (PARTITION BY r.id ORDER BY x.position, x.id), x.kind,
       r.anchor_on + x.day_offset, 'pending', 0, '', ''
FROM playbooks_playbookrun r
JOIN playbooks_playbookaction x ON x.playbook_id = r.playbook_id
WHERE r.id = ANY(%(runs)s)
"""


def enrol(
    cursor, spec: PlaybookSpec, *, as_of: date, tz: str, responses: list[int] | None = None
) -> list[int]:
    """Insert the runs (and their steps) of every account entering the playbook on `as_of`;
    returns the new runs' ids. `responses` limits a detractor trigger to those responses."""
    statement, params = _matches(spec, as_of=as_of, responses=responses is not None)
    params.update(d=as_of, tz=tz, responses=responses or [])
    execute_logged(
        cursor, statement + INSERT_RUNS, params, label=f"enrol playbook {spec.id} {as_of}"
    )
    runs = [row[0] for row in cursor.fetchall()]
    if runs:
        execute_logged(cursor, INSERT_STEPS, {"runs": runs}, label=f"steps of {len(runs)} runs")
    return runs


@dataclass(frozen=True)
class Match:
    account_id: int
    signal: str
    anchor_on: date
    trigger_values: dict
    blocked: bool


def preview(cursor, spec: PlaybookSpec, *, as_of: date, tz: str) -> list[Match]:
    """Every account matching on `as_of`, with `blocked` when re-enrolment keeps it out (one
    row per account: its newest signal); nothing is written."""
    statement, params = _matches(spec, as_of=as_of, responses=False)
    params.update(d=as_of, tz=tz, responses=[])
    select = sql.SQL(
        """
SELECT DISTINCT ON (m.account_id) m.account_id, m.signal, m.anchor_on, m.trigger_values,
       m.blocked
FROM matched m
ORDER BY m.account_id, m.blocked, m.anchor_on DESC, m.signal"""
    )
    execute_logged(cursor, statement + select, params, label=f"preview playbook {spec.id}")
    return [
        Match(account, signal, anchor, values if isinstance(values, dict) else {}, blocked)
        for account, signal, anchor, values, blocked in _decoded(cursor.fetchall())
    ]


def _decoded(rows):
    """Django's connection hands jsonb over as text, for JSONField to decode."""
    import json

    for row in rows:
        values = row[3]
        yield (*row[:3], json.loads(values) if isinstance(values, str) else values, *row[4:])


# A bulk action's tasks (playbooks.services.tasks_create_bulk): one INSERT ... SELECT for every
# chosen account, each task given to the account's owner (to its author when it has none).
BULK_TASKS_INSERT = """
INSERT INTO playbooks_task (account_id, assignee_id, title, description, due_on, priority,
                            status, source, kind, created_by_id, created_at)
SELECT a.id, COALESCE(a.owner_id, %(author)s), %(title)s, %(description)s, %(due_on)s,
       %(priority)s, 'open', 'person', '', %(author)s, now()
FROM accounts_account a WHERE a.id = ANY(%(ids)s)
ORDER BY a.id
RETURNING id
"""
# Undo: the action's tasks nobody has touched since (still open, with their first assignee
# and due date); a task completed, snoozed, reassigned or moved is someone's work and stays.
BULK_TASKS_DELETE = """
DELETE FROM playbooks_task t
USING accounts_account a
WHERE t.id = ANY(%(ids)s) AND t.status = 'open' AND t.due_on = %(due_on)s
  AND a.id = t.account_id AND t.assignee_id = COALESCE(a.owner_id, %(author)s)
RETURNING t.id
"""
