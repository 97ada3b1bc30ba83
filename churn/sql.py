"""The churn app's set-based SQL: the feature matrix, the labels, and scoring a date.

Every feature is one SQL expression over four rows of the same account, all dated D or earlier:
the snapshot on D (`s`), its health score (`h`), the snapshot 30 days before (`p`) and that
day's health score (`ph`). Nothing after D is in reach of a feature; the label alone looks
forward, to a churn (kpi-spec: MRR reaching 0, the snapshot's `churn` movement) in
(D, D + horizon]. The same FROM clause and expressions feed training (many dates at once),
the nightly scoring of one date, and the logistic model's scoring in SQL, so what a model
learned from and what it scores are the same numbers.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.sql import execute_logged

# An account needs this many days of snapshots (a snapshot 59 days before D) to be scored.
HISTORY_DAYS = 60
CHANGE_DAYS = 30


@dataclass(frozen=True)
class Feature:
    name: str
    sql: str  # over s, h, p, ph; "{horizon}" is the model's horizon in days
    label: str  # in plain words, for the top factors on the 360 page


FEATURES: tuple[Feature, ...] = (
    Feature("health_score", "h.score", "Health score"),
    Feature("health_change_30d", "h.score - ph.score", "Health change in 30 days"),
    Feature("log_mrr", "ln(1 + s.mrr::float8)", "MRR (log)"),
    Feature(
        "mrr_change_30d",
        "(s.mrr - p.mrr)::float8 / NULLIF(p.mrr, 0)::float8",
        "MRR change in 30 days",
    ),
    Feature("log_seats", "ln(1 + s.seats::float8)", "Seats (log)"),
    Feature(
        "renewal_in_horizon",
        "CASE WHEN s.days_to_renewal BETWEEN 0 AND {horizon} THEN 1.0 ELSE 0.0 END",
        "Renewal within the horizon",
    ),
    Feature(
        "no_end_date",
        "CASE WHEN s.days_to_renewal IS NULL THEN 1.0 ELSE 0.0 END",
        "No contract end date",
    ),
    Feature("tenure_years", "(s.as_of - s.customer_since) / 365.25", "Years as a customer"),
    Feature("seat_utilization", "s.seat_utilization", "Seat utilization"),
    Feature(
        "seat_utilization_change_30d",
        "s.seat_utilization - p.seat_utilization",
        "Seat utilization change in 30 days",
    ),
    Feature("usage_trend", "s.usage_trend", "Usage trend"),
    Feature("feature_adoption", "s.feature_adoption", "Feature adoption"),
    Feature(
        "active_users_change_30d",
        "ln((1 + s.active_users_30d)::float8 / (1 + p.active_users_30d))",
        "Active users change in 30 days (log ratio)",
    ),
    Feature(
        "events_change_30d",
        "ln((1 + s.events_30d)::float8 / (1 + p.events_30d))",
        "Events change in 30 days (log ratio)",
    ),
    Feature(
        "log_time_on_platform",
        "ln(1 + GREATEST(s.time_on_platform_minutes, 0))",
        "Time on platform (log)",
    ),
    Feature("log_open_tickets", "ln(1 + s.open_tickets::float8)", "Open tickets (log)"),
    Feature("log_tickets_90d", "ln(1 + s.tickets_90d::float8)", "Tickets in 90 days (log)"),
    Feature(
        "avg_first_response_hours_90d",
        "s.avg_first_response_hours_90d",
        "First response time (hours)",
    ),
    Feature("fcr_rate_90d", "s.fcr_rate_90d", "First-contact resolution"),
    Feature("nps_180d", "s.nps_180d", "NPS"),
    Feature("nps_change_30d", "s.nps_180d - p.nps_180d", "NPS change in 30 days"),
    Feature("csat_180d", "s.csat_180d", "CSAT"),
    Feature("ces_180d", "s.ces_180d", "CES"),
    Feature("champion_left_90d", "s.champion_left_90d::float8", "A champion left"),
)
FEATURE_BY_NAME = {f.name: f for f in FEATURES}

# The four rows a feature may read, all dated D or before (the index on (account, as_of) finds
# each); `{d}` is the snapshot date expression: one date when scoring, the training dates else.
FROM_ROWS = """
FROM metrics_accountsnapshot s
LEFT JOIN healthscores_snapshothealth h ON h.snapshot_id = s.id AND h.as_of = s.as_of
LEFT JOIN metrics_accountsnapshot p ON p.account_id = s.account_id AND p.as_of = s.as_of - 30
LEFT JOIN healthscores_snapshothealth ph ON ph.snapshot_id = p.id AND ph.as_of = p.as_of
"""

# Why an account gets no probability on D, in the order they are checked ('' = scored).
NOT_PAYING = "Not a paying customer on this date: there is no MRR to lose."
ONBOARDING = "Still onboarding (first paid contract under 90 days ago): too early to judge."
TOO_LITTLE_HISTORY = f"Under {HISTORY_DAYS} days of snapshots: too little history to score."
HAS_HISTORY = (
    "EXISTS (SELECT FROM metrics_accountsnapshot o WHERE o.account_id = s.account_id "
    f"AND o.as_of = s.as_of - {HISTORY_DAYS - 1})"
)
REASON = (
    f"CASE WHEN s.mrr <= 0 THEN '{NOT_PAYING}' "
    f"WHEN s.is_onboarding THEN '{ONBOARDING}' "
    f"WHEN NOT {HAS_HISTORY} THEN '{TOO_LITTLE_HISTORY}' ELSE '' END"
)
ELIGIBLE = f"s.mrr > 0 AND NOT s.is_onboarding AND {HAS_HISTORY}"

# The churn days (the snapshot's `churn` movement: MRR reached 0, kpi-spec section 3) of each
# account in the window, from the partial index on churn rows; a row's label is whether one
# falls in (D, D + horizon].
CHURN_DAYS = """
churn_days AS (
    SELECT account_id, array_agg(as_of) AS days FROM metrics_accountsnapshot
    WHERE movement = 'churn' AND as_of > %(first)s AND as_of <= %(last)s + %(horizon)s
    GROUP BY account_id
)
"""
LABEL = (
    "COALESCE((SELECT bool_or(day > s.as_of AND day <= s.as_of + %(horizon)s) "
    "FROM unnest(c.days) AS day), false)"
)


def feature_sql(names: Sequence[str], *, horizon: int) -> list[str]:
    """The SQL expressions of the named features (only the registry's own, never user text)."""
    unknown = [name for name in names if name not in FEATURE_BY_NAME]
    if unknown:
        raise ValueError(f"unknown churn feature(s): {', '.join(unknown)}")
    return [f"({FEATURE_BY_NAME[name].sql.format(horizon=int(horizon))})::float8" for name in names]


@dataclass(frozen=True)
class Matrix:
    """Rows of (account, date): the features in `names` order (NaN for missing), the label
    and the weighted health score on that date (NaN when unscored)."""

    names: tuple[str, ...]
    accounts: np.ndarray
    dates: np.ndarray
    X: np.ndarray
    y: np.ndarray
    health: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def where(self, mask: np.ndarray) -> "Matrix":
        return Matrix(self.names, self.accounts[mask], self.dates[mask], self.X[mask],
                      self.y[mask], self.health[mask])  # fmt: skip


def training_matrix(
    cursor, *, dates: Sequence[date], horizon: int, names: Sequence[str] | None = None
) -> Matrix:
    """The eligible accounts' features on each of `dates` and whether each churned within
    `horizon` days after it: one statement for every date at once. The caller passes dates
    whose horizon lies inside the stored snapshots, so a label is never cut short."""
    names = tuple(names or (f.name for f in FEATURES))
    columns = ", ".join(feature_sql(names, horizon=horizon))
    statement = (
        f"WITH {CHURN_DAYS} SELECT s.account_id, s.as_of, {LABEL}, h.score::float8, {columns} "
        f"{FROM_ROWS} LEFT JOIN churn_days c ON c.account_id = s.account_id "
        f"WHERE s.as_of = ANY(%(dates)s::date[]) AND {ELIGIBLE} ORDER BY s.as_of, s.account_id"
    )
    params = {"dates": list(dates), "horizon": int(horizon),
              "first": min(dates), "last": max(dates)}  # fmt: skip
    execute_logged(cursor, statement, params, label=f"churn matrix {len(dates)} dates")
    rows = cursor.fetchall()
    return _matrix(names, rows)


def _matrix(names: tuple[str, ...], rows: list) -> Matrix:
    width = len(names)
    if not rows:
        empty = np.empty((0, width))
        return Matrix(names, np.empty(0, int), np.empty(0, object), empty, np.empty(0, int),
                      np.empty(0))  # fmt: skip
    values = np.array([row[3:] for row in rows], dtype=float)  # None becomes NaN
    return Matrix(
        names,
        accounts=np.array([row[0] for row in rows], dtype=int),
        dates=np.array([row[1] for row in rows], dtype=object),
        X=values[:, 1:],
        y=np.array([row[2] for row in rows], dtype=int),
        health=values[:, 0],
    )


def snapshot_dates(cursor) -> list[date]:
    cursor.execute("SELECT DISTINCT as_of FROM metrics_accountsnapshot ORDER BY as_of")
    return [row[0] for row in cursor.fetchall()]


def date_features(cursor, *, as_of: date, horizon: int, names: Sequence[str]) -> list[tuple]:
    """Every account with a snapshot on `as_of`: (account, reason, *features), for a model
    scored in Python (one vectorised pass over the date)."""
    columns = ", ".join(feature_sql(names, horizon=horizon))
    statement = f"SELECT s.account_id, {REASON}, {columns} {FROM_ROWS} WHERE s.as_of = %(d)s"
    execute_logged(cursor, statement, {"d": as_of}, label=f"churn features {as_of}")
    return cursor.fetchall()


def date_feature_matrices(
    cursor, *, as_of: date, models: Sequence
) -> tuple[list[int], list[str], list[np.ndarray]]:
    """Every account with a snapshot on `as_of`, its reason ('' = scored) and each model's
    feature matrix (NaN for missing), for models scored in Python: one statement for all of
    them, each distinct feature expression read once (the horizons share all but one)."""
    expressions: dict[str, int] = {}
    picks = [
        [
            expressions.setdefault(expression, len(expressions))
            for expression in feature_sql(model.features, horizon=model.horizon_days)
        ]
        for model in models
    ]
    columns = ", ".join(expressions)
    statement = f"SELECT s.account_id, {REASON}, {columns} {FROM_ROWS} WHERE s.as_of = %(d)s"
    execute_logged(cursor, statement, {"d": as_of}, label=f"churn features {as_of}")
    rows = cursor.fetchall()
    values = np.array([row[2:] for row in rows], dtype=float).reshape(len(rows), len(expressions))
    return [row[0] for row in rows], [row[1] for row in rows], [values[:, p] for p in picks]


# A date's scores, found through the accounts and churn_score_unique (account, as_of, horizon):
# the table keeps no index on the date (one fewer index entry a row, 30,000 a night).
DELETE_SCORES = """
DELETE FROM churn_churnscore c USING accounts_account a
WHERE c.account_id = a.id AND c.as_of = %(d)s AND c.horizon_days = ANY(%(h)s)
"""


def delete_scores(cursor, *, as_of: date, horizons: Sequence[int]) -> int:
    return execute_logged(
        cursor,
        DELETE_SCORES,
        {"d": as_of, "h": [int(h) for h in horizons]},
        label=f"clear churn scores {as_of} {list(horizons)} d",
    )


def _number(value: float) -> str:
    return f"({float(value)!r}::float8)"


def logistic_probability_sql(parameters: dict, columns: Sequence[str]) -> str:
    """The calibrated logistic model's probability as SQL over feature values (`columns`, one
    SQL expression each, in the model's feature order). z_i = (coalesce(x_i, imputed_i) -
    mean_i) / scale_i and f = intercept + sum(coef_i z_i), folded into f = c + sum(k_i
    coalesce(x_i, imputed_i)) with k_i = coef_i / scale_i (one multiplication a feature);
    p = 1 / (1 + exp(a f + b)) (Platt's sigmoid, as scikit-learn's calibration computes it)."""
    constant = float(parameters["intercept"])
    terms = []
    for column, impute, mean, scale, coef in zip(
        columns, parameters["impute"], parameters["mean"], parameters["scale"],
        parameters["coef"], strict=True,
    ):  # fmt: skip
        slope = float(coef) / float(scale)
        constant -= slope * float(mean)
        terms.append(f"{_number(slope)} * COALESCE({column}, {_number(impute)})")
    linear = " + ".join([_number(constant), *terms])
    a, b = parameters["calibration"]["a"], parameters["calibration"]["b"]
    # exp() beyond about 709 overflows float8: clamped, the probability is 0 or 1 either way.
    return (
        f"1.0 / (1.0 + exp(LEAST(700.0, GREATEST(-700.0, {_number(a)} * ({linear}) "
        f"+ {_number(b)}))))"
    )


def score_logistic(cursor, *, as_of: date, models: Sequence) -> int:
    """Score every account with a snapshot on `as_of` with each of the logistic `models` (one
    per horizon) in ONE INSERT ... SELECT: the calibrated probability when eligible, else no
    probability and the reason.

    Evaluating the features is the cost (at 10,000 accounts and three horizons, 850 ms
    with each horizon's features and top factors written out; under 200 ms like this): each
    distinct feature expression is computed once a row, for the eligible rows only, as a column
    of one LATERAL row; the probabilities are computed once an account in a subquery, before
    the rows are multiplied by the horizons (as a second LATERAL, the planner memoized it on
    every feature value, computing them twice). OFFSET 0 keeps each an evaluated row
    (flattened, the planner would copy the expressions into every reference).
    The top factors are not stored: they are the model's terms of the same features, which
    `account_features` reads for the one account a page shows."""
    if not models:
        return 0
    horizons = [model.horizon_days for model in models]
    delete_scores(cursor, as_of=as_of, horizons=horizons)
    features: dict[str, str] = {}  # expression -> its column in the LATERAL row x
    probabilities = []
    for n, model in enumerate(models):
        columns = [
            features.setdefault(expression, f"x.f{len(features)}")
            for expression in feature_sql(model.features, horizon=model.horizon_days)
        ]
        probability = logistic_probability_sql(model.parameters, columns)
        probabilities.append(f"CASE WHEN r.reason = '' THEN {probability} END AS p{n}")
    values = ", ".join(f"({n}, {int(m.horizon_days)}, {int(m.pk)})" for n, m in enumerate(models))
    pick = " ".join(f"WHEN {n} THEN d.p{n}" for n in range(len(models)))
    feature_columns = ", ".join(f"{e} AS {c.removeprefix('x.')}" for e, c in features.items())
    # Numbers and the registry's own expressions only, never user text.
    statement = (
        "INSERT INTO churn_churnscore "  # noqa: S608
        "(account_id, as_of, horizon_days, probability, no_score_reason, model_id) "
        f"SELECT d.account_id, %(d)s, m.h, CASE m.n {pick} END, d.reason, m.model FROM ("
        f"SELECT s.account_id, r.reason, {', '.join(probabilities)} "
        f"{FROM_ROWS} CROSS JOIN LATERAL (SELECT {REASON} AS reason OFFSET 0) r "
        f"LEFT JOIN LATERAL (SELECT {feature_columns} WHERE r.reason = '' OFFSET 0) x ON true "
        "WHERE s.as_of = %(d)s OFFSET 0) d "
        f"CROSS JOIN (VALUES {values}) m(n, h, model)"
    )
    return execute_logged(
        cursor, statement, {"d": as_of}, label=f"churn scores {as_of} {horizons} d"
    )


def account_features(cursor, *, account_id: int, as_of: date, models: Sequence) -> list[list]:
    """The feature values of one account on `as_of` for each of `models` (NaN for missing),
    in one statement: what the account's top factors are computed from."""
    if not models:
        return []
    widths, columns = [], []
    for model in models:
        expressions = feature_sql(model.features, horizon=model.horizon_days)
        widths.append(len(expressions))
        columns.extend(expressions)
    statement = (
        f"SELECT {', '.join(columns)} {FROM_ROWS} WHERE s.account_id = %(a)s AND s.as_of = %(d)s"
    )
    execute_logged(cursor, statement, {"a": account_id, "d": as_of}, label="account features")
    row = cursor.fetchone()
    if row is None:
        return [[] for _ in models]
    values = [np.nan if value is None else float(value) for value in row]
    out, start = [], 0
    for width in widths:
        out.append(values[start : start + width])
        start += width
    return out


def insert_scores(
    cursor, *, as_of: date, accounts: Sequence[int], reasons: Sequence[str], scored: Sequence
) -> int:
    """Store scores computed in Python in one statement: `scored` holds (model id, horizon,
    probabilities) per model, the probabilities in `accounts` order (None where the account's
    reason says why it has none). The accounts and reasons travel once for all models."""
    delete_scores(cursor, as_of=as_of, horizons=[horizon for _model, horizon, _p in scored])
    if not accounts or not scored:
        return 0
    params: dict = {"d": as_of, "a": list(accounts), "r": list(reasons)}
    arrays, values = [], []
    for n, (model_id, horizon, probabilities) in enumerate(scored):
        params[f"p{n}"] = list(probabilities)
        arrays.append(f"%(p{n})s::float8[]")
        values.append(f"({n + 1}, {int(horizon)}, {int(model_id)})")
    picks = ", ".join(f"t.p{n}" for n in range(len(scored)))
    names = ", ".join(f"p{n}" for n in range(len(scored)))
    return execute_logged(
        cursor,
        "INSERT INTO churn_churnscore (account_id, as_of, horizon_days, probability, "  # noqa: S608
        f"no_score_reason, model_id) SELECT t.a, %(d)s, m.h, (ARRAY[{picks}])[m.n], t.r, m.model "
        f"FROM unnest(%(a)s::bigint[], %(r)s::text[], {', '.join(arrays)}) AS t(a, r, {names}) "
        f"CROSS JOIN (VALUES {', '.join(values)}) m(n, h, model)",
        params,
        label=f"churn scores {as_of} {[horizon for _m, horizon, _p in scored]} d",
    )
