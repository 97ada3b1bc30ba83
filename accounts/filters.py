"""One definition of a filter of accounts, and one compiler from it to SQL.

A `ViewFilter` is what the accounts list's filters, a saved view, a playbook's conditions and a
survey's targeting say about accounts; `view_condition` turns it into one `Q` over Account that
every consumer applies to its own queryset: the list and its CSV export, the portfolio and its
drill-downs, survey sending, and the playbooks' SQL (which embeds the compiled subquery). So a
criterion means the same everywhere, and access (accounts.access) is applied on top by the
consumer, never inside: a CSM's view shows only her accounts.

Snapshot criteria (health band, renewal window, MRR, the playbook vocabulary's figures) read
the day's snapshot row and its health row, churn probability the latest ChurnScore of the
horizon. Those tables belong to apps above accounts; they are reached through Account's reverse
relations (the models' registry), never imported, so accounts still imports no app above it.
Each snapshot criterion is one `pk IN (SELECT account_id ... WHERE as_of = D AND ...)`: a
semi-join on the snapshot's (as_of, account) index, paid only by filters that use it.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from accounts.custom_fields import FieldFilter, filter_condition
from accounts.models import Account
from accounts.tags import normalise_tag, tags_condition

# The list's "band" for accounts that are not customers on D (MRR 0): churned, trials, prospects.
NOT_CUSTOMER = "not_customer"
UNKNOWN_BAND = "unknown"

# The playbook vocabulary (playbooks.models.ConditionField): fields compared as text ("is one
# of") and numbers read on the day's snapshot ("at least", "at most").
TEXT_FIELDS = frozenset(
    {"segment", "region", "industry", "owner", "lifecycle_stage", "health_band"}
)
SNAPSHOT_NUMBERS = {
    "mrr": "mrr",
    "health_score": "health__score",
    "seats": "seats",
    "seat_utilization": "seat_utilization",
    "usage_trend": "usage_trend",
    "feature_adoption": "feature_adoption",
    "open_tickets": "open_tickets",
    "nps_180d": "nps_180d",
    "csat_180d": "csat_180d",
    "days_to_renewal": "days_to_renewal",
}
OPERATORS = ("in", "not_in", "gte", "lte")


@dataclass(frozen=True)
class Criterion:
    """One test of the playbook vocabulary: `segment in (A, B)`, `mrr gte 5000`."""

    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ViewFilter:
    """What a filter of accounts may say; empty values restrict nothing, all criteria must hold."""

    q: str = ""  # the name contains
    segment: str = ""
    region: str = ""
    stage: str = ""  # lifecycle stage
    owner: int | None = None  # a user's id
    mine: bool = False  # owned by the user the filter is read for
    group: int | None = None  # a company group: the account and every account below it
    band: str = ""  # a health band, "unknown" or NOT_CUSTOMER
    renewal_within: int | None = None  # days
    mrr_min: Decimal | None = None
    mrr_max: Decimal | None = None
    churn_above: float | None = None  # a probability from 0 to 1, strictly above
    churn_horizon: int | None = None  # days (churn.models.HORIZONS)
    custom: tuple[FieldFilter, ...] = ()  # the admins' own fields
    tags: tuple[str, ...] = ()  # normalised (accounts.tags); the account carries every one
    conditions: tuple[Criterion, ...] = ()  # the playbook vocabulary (saved filters)

    def is_empty(self) -> bool:
        return self == ViewFilter()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, only what is set (View.definition)."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if value in ("", None, False, ()) or value == []:
                continue
            if isinstance(value, Decimal):
                value = str(value)
            elif name == "custom":
                value = [_field_filter_dict(one) for one in value]
            elif name == "conditions":
                value = [[c["field"], c["operator"], list(c["values"])] for c in value]
            elif name == "tags":
                value = list(value)
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ViewFilter":
        """The filter a definition describes; unknown keys are ignored (a definition written by a
        newer version), malformed values raise ValueError."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in (data or {}).items():
            if name not in known:
                continue
            if name in ("mrr_min", "mrr_max"):
                value = _decimal(value)
            elif name in ("owner", "group", "renewal_within", "churn_horizon"):
                value = int(value)
            elif name == "churn_above":
                value = float(value)
            elif name == "mine":
                value = bool(value)
            elif name == "custom":
                value = tuple(_field_filter(one) for one in value)
            elif name == "tags":
                value = tuple(normalise_tag(one) for one in value)
            elif name == "conditions":
                value = tuple(Criterion(f, op, tuple(str(v) for v in vs)) for f, op, vs in value)
            else:
                value = str(value)
            values[name] = value
        return cls(**values)


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


def _field_filter_dict(one: dict) -> dict:
    return {key: str(v) if isinstance(v, Decimal) else v for key, v in one.items() if v is not None}


def _field_filter(data: dict) -> FieldFilter:
    low, high = data.get("low"), data.get("high")
    return FieldFilter(
        str(data["key"]),
        equals=data.get("equals"),
        low=None if low is None else _decimal(low),
        high=None if high is None else _decimal(high),
    )


# The compiler.


def _related(name: str) -> type[Model]:
    """A model of an app above accounts, by Account's reverse relation (no import upward)."""
    return Account._meta.get_field(name).related_model


def _day(as_of: date | None):
    """The snapshot day criteria read: `as_of`, or the newest snapshot's day (a subquery)."""
    if as_of is not None:
        return as_of
    snapshots = _related("snapshots")
    return Subquery(snapshots.objects.order_by("-as_of").values("as_of")[:1])


def _snapshot(as_of: date | None, **lookups) -> Q:
    """Accounts whose snapshot of the day satisfies `lookups` (one semi-join)."""
    rows = _related("snapshots").objects.filter(as_of=_day(as_of), **lookups)
    return Q(pk__in=rows.values("account_id"))


def _health(as_of: date | None, **lookups) -> Q:
    """Accounts whose score of the day (healthscores.SnapshotHealth, which keeps copies of the
    snapshot's day, account and MRR) satisfies `lookups`: read through its as_of index, never
    joined through every day's scores."""
    rows = _related("health_scores").objects.filter(as_of=_day(as_of), **lookups)
    return Q(pk__in=rows.values("account_id"))


def _band(band: str, as_of: date | None) -> Q:
    """The list's rule: a band lists customers only (MRR > 0 on the day): a churned account keeps
    its score, but red means at risk, not gone. `unknown`: no score (or no snapshot yet)."""
    if band == NOT_CUSTOMER:
        return _snapshot(as_of, mrr=0)
    if band == UNKNOWN_BAND:
        return (
            ~_snapshot(as_of)
            | (_snapshot(as_of, mrr__gt=0) & ~_health(as_of))
            | _health(as_of, mrr__gt=0, band=UNKNOWN_BAND)
        )
    return _health(as_of, mrr__gt=0, band=band)


def _churn(above: float, horizon: int, as_of: date | None) -> Q:
    """The account's latest churn probability for the horizon (on or before the day) is above."""
    scores = _related("churn_scores").objects
    mine = scores.filter(account=OuterRef("account"), horizon_days=horizon)
    if as_of is not None:
        mine = mine.filter(as_of__lte=as_of)
    latest = scores.filter(
        horizon_days=horizon,
        probability__gt=above,
        as_of=Subquery(mine.order_by("-as_of").values("as_of")[:1]),
    )
    return Q(pk__in=latest.values("account_id"))


def _criterion(c: Criterion, as_of: date | None) -> Q:
    """The playbook vocabulary, as playbooks always read it: texts on the account (the band
    `unknown` without a score), numbers on the day's snapshot (no snapshot: no match)."""
    if c.operator not in OPERATORS:
        raise ValueError(f"unknown operator {c.operator!r}")
    if c.field in TEXT_FIELDS:
        values = list(c.values)
        if c.field == "owner":
            owners = get_user_model().objects.filter(username__in=values).values("pk")
            matched = Q(owner_id__in=owners)
            return matched if c.operator == "in" else Q(owner__isnull=True) | ~matched
        if c.field == "health_band":
            matched = _health(as_of, band__in=values)
            if UNKNOWN_BAND in values:
                matched |= ~_health(as_of)
        else:
            matched = Q(**{f"{c.field}__in": values})
        return matched if c.operator == "in" else ~matched
    if c.field not in SNAPSHOT_NUMBERS:
        raise ValueError(f"unknown condition field {c.field!r}")
    if c.operator not in ("gte", "lte"):
        raise ValueError(f"{c.field} is compared with at least / at most")
    number = float(c.values[0])
    if c.field == "health_score":
        return _health(as_of, **{f"score__{c.operator}": number})
    return _snapshot(as_of, **{f"{SNAPSHOT_NUMBERS[c.field]}__{c.operator}": number})


def view_condition(
    spec: ViewFilter, *, as_of: date | None = None, user: AbstractBaseUser | None = None
) -> Q:
    """The filter as one condition on Account. `as_of` is the snapshot day its figures are read
    on (None: the newest); `user` is whom "mine" means (without one, "mine" matches nothing)."""
    condition = Q()
    if spec.q:
        condition &= Q(name__icontains=spec.q)
    if spec.mine:
        condition &= Q(owner_id=user.pk) if user is not None else Q(pk__in=[])
    if spec.owner is not None:
        condition &= Q(owner_id=spec.owner)
    exact = {"segment": spec.segment, "region": spec.region, "lifecycle_stage": spec.stage}
    condition &= Q(**{key: value for key, value in exact.items() if value})
    if spec.band:
        condition &= _band(spec.band, as_of)
    if spec.renewal_within is not None:
        condition &= _snapshot(
            as_of, days_to_renewal__gte=0, days_to_renewal__lte=spec.renewal_within
        )
    if spec.mrr_min is not None:
        condition &= _snapshot(as_of, mrr__gte=spec.mrr_min)
    if spec.mrr_max is not None:
        condition &= _snapshot(as_of, mrr__lte=spec.mrr_max)
    if spec.churn_above is not None and spec.churn_horizon is not None:
        condition &= _churn(spec.churn_above, spec.churn_horizon, as_of)
    if spec.group is not None:
        condition &= Q(pk__in=Account.objects.in_group(spec.group).values("pk"))
    if spec.custom:
        condition &= filter_condition(spec.custom)
    if spec.tags:
        condition &= tags_condition(spec.tags)
    for criterion in spec.conditions:
        condition &= _criterion(criterion, as_of)
    return condition


def filter_accounts(
    accounts: QuerySet[Account],
    spec: ViewFilter,
    *,
    as_of: date | None = None,
    user: AbstractBaseUser | None = None,
) -> QuerySet[Account]:
    """`accounts` (already cut by access) narrowed by the filter."""
    if spec.is_empty():
        return accounts
    return accounts.filter(view_condition(spec, as_of=as_of, user=user))
