"""Reads for the account pages: the list and the 360 page, from snapshots and bounded raw rows.

Aggregates come from the metrics snapshots (one wide row per account and day); raw records are
read only for one account at a time, through their per-account indexes, and always bounded, so
every page costs the same number of queries whatever the size of the portfolio or the history.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    DateField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone

from accounts.access import accounts_visible_to, user_sees_all_accounts
from accounts.models import Account, Contact, Contract, ImportLog, Note, Ticket
from healthscores.models import HealthModelVersion, SnapshotHealth
from healthscores.selectors import ScoreMovement
from metrics.models import AccountSnapshot, SnapshotRun
from metrics.selectors import latest_snapshot_run
from surveys.models import SurveyKind, SurveyResponse

# A snapshot older than this (from the end of its as-of day) means a nightly run was missed.
STALE_AFTER = timedelta(hours=36)
HEALTH_CHANGE_DAYS = 30
HISTORY_DAYS = 365


# Freshness: the "data as of" line of every page.


def last_imports_by_kind() -> dict[str, ImportLog]:
    """The newest import of each file kind, for the pages' freshness line."""
    latest = ImportLog.objects.order_by("kind", "-imported_at").distinct("kind")
    return {log.kind: log for log in latest}


@dataclass(frozen=True)
class DataFreshness:
    run: SnapshotRun | None
    imports: list[ImportLog]
    now: datetime

    @property
    def as_of(self) -> date | None:
        return self.run.as_of if self.run else None

    @property
    def age(self) -> timedelta | None:
        """Time since the end of the newest snapshot's as-of day (workspace time zone)."""
        if self.run is None:
            return None
        day_end = datetime.combine(
            self.run.as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )
        return self.now - day_end

    @property
    def age_hours(self) -> int | None:
        return int(self.age.total_seconds() // 3600) if self.age is not None else None

    @property
    def is_stale(self) -> bool:
        return self.run is None or self.age > STALE_AFTER


def data_freshness() -> DataFreshness:
    """The last completed snapshot run and the last import of each source: two queries."""
    imports = sorted(last_imports_by_kind().values(), key=lambda log: log.kind)
    return DataFreshness(run=latest_snapshot_run(), imports=imports, now=timezone.now())


# The accounts list.

# The list's "band" for accounts that are not customers on D (MRR 0): churned, trials, prospects.
NOT_CUSTOMER = "not_customer"


@dataclass(frozen=True)
class AccountListParams:
    """What the list shows: validated by accounts.forms.AccountListForm."""

    q: str = ""
    segment: str = ""
    owner: int | None = None
    region: str = ""
    stage: str = ""
    band: str = ""
    renewal_within: int | None = None
    mine: bool = False
    sort: str = "name"


def _owner_name() -> NullIf:
    """The owner's full name for sorting; NULL without an owner (or a name), so it sorts last."""
    return NullIf(Concat("owner__first_name", Value(" "), "owner__last_name"), Value(" "))


# Sort keys of the list; each sorts nulls last and breaks ties by name, then id.
SORT_FIELDS = {
    "name": "name",
    "owner": "owner_name",
    "mrr": "mrr",
    "health": "health_score",
    "health_change": "health_change",
    "renewal": "days_to_renewal",
    "nps": "nps",
    "open_tickets": "open_tickets",
}


def account_rows(
    *, user: AbstractBaseUser, params: AccountListParams, as_of: date | None
) -> QuerySet[Account]:
    """The accounts the user may see, filtered and sorted, each with its snapshot of `as_of` and
    the health change since 30 days earlier: one query (LEFT JOINs on the snapshot's unique
    (as_of, account) index, its score, and the score table's (account, as_of) index for the
    earlier score), whatever the number of accounts. Accounts without a snapshot yet
    (imported since the last run) are listed with empty figures."""
    earlier = as_of - timedelta(days=HEALTH_CHANGE_DAYS) if as_of else None
    rows = (
        accounts_visible_to(user)
        .select_related("owner")
        .annotate(
            latest=FilteredRelation("snapshots", condition=Q(snapshots__as_of=as_of)),
            # Only the score of 30 days earlier: from the score table's (account, as_of) index,
            # without reading that day's wide snapshot row.
            earlier=FilteredRelation("health_scores", condition=Q(health_scores__as_of=earlier)),
        )
        .annotate(
            mrr=F("latest__mrr"),
            arr=F("latest__arr"),
            seats=F("latest__seats"),
            seat_utilization=F("latest__seat_utilization"),
            health_score=F("latest__health__score"),
            health_band=Coalesce("latest__health__band", Value("unknown")),
            is_onboarding=F("latest__is_onboarding"),
            # Only between scores of one model version: a new model is not a change in health
            # (after a model change the rescore brings the year onto the new version).
            health_change=Case(
                When(
                    Q(latest__health__model_version_id=F("earlier__model_version_id"))
                    | Q(
                        latest__health__model_version_id__isnull=True,
                        earlier__model_version_id__isnull=True,
                    ),
                    then=F("latest__health__score") - F("earlier__score"),
                ),
                default=None,
                output_field=FloatField(),
            ),
            days_to_renewal=F("latest__days_to_renewal"),
            renewal_on=ExpressionWrapper(
                Value(as_of, output_field=DateField()) + F("latest__days_to_renewal"),
                output_field=DateField(),
            ),
            nps=F("latest__nps_180d"),
            open_tickets=F("latest__open_tickets"),
            owner_name=_owner_name(),
        )
    )
    rows = _filter_rows(rows, user=user, params=params)
    return _sort_rows(rows, params.sort)


def _filter_rows(rows: QuerySet, *, user: AbstractBaseUser, params: AccountListParams):
    if params.q:
        rows = rows.filter(name__icontains=params.q)
    if params.mine:
        rows = rows.filter(owner=user)
    if params.owner is not None:
        rows = rows.filter(owner_id=params.owner)
    exact = {"segment": params.segment, "region": params.region, "lifecycle_stage": params.stage}
    rows = rows.filter(**{key: value for key, value in exact.items() if value})
    if params.band == NOT_CUSTOMER:
        rows = rows.filter(mrr=0)
    elif params.band:
        # A band lists customers only (MRR > 0 on D, metrics.totals.CUSTOMER): a churned account
        # keeps its spec'd score and band, but red means at risk, not gone. An account without
        # a snapshot yet is unknown, not gone.
        rows = rows.filter(Q(mrr__gt=0) | Q(mrr__isnull=True), health_band=params.band)
    if params.renewal_within is not None:
        rows = rows.filter(days_to_renewal__gte=0, days_to_renewal__lte=params.renewal_within)
    return rows


def _sort_rows(rows: QuerySet, sort: str) -> QuerySet:
    descending = sort.startswith("-")
    column = F(SORT_FIELDS.get(sort.removeprefix("-"), "name"))
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return rows.order_by(order, "name", "pk")


@dataclass(frozen=True)
class ListChoices:
    segments: list[str]
    regions: list[str]
    owners: list[tuple[int, str]] = field(default_factory=list)


def account_list_choices(*, user: AbstractBaseUser) -> ListChoices:
    """The values the list's filters offer, among the accounts the user may see: one query for
    segments and regions, one more for owners when the user sees other people's accounts."""
    visible = accounts_visible_to(user)
    pairs = list(visible.order_by().values_list("segment", "region").distinct())
    owners = []
    if user_sees_all_accounts(user):
        users = (
            get_user_model()
            .objects.filter(pk__in=visible.exclude(owner=None).values("owner"))
            .order_by("first_name", "last_name", "username")
        )
        owners = [(u.pk, u.get_full_name() or u.get_username()) for u in users]
    return ListChoices(
        segments=sorted({segment for segment, _ in pairs if segment}),
        regions=sorted({region for _, region in pairs if region}),
        owners=owners,
    )


# The account 360 page.


def account_snapshot(*, account: Account, as_of: date | None) -> AccountSnapshot | None:
    if as_of is None:
        return None
    return (
        AccountSnapshot.objects.filter(account=account, as_of=as_of)
        .select_related("health__model_version")
        .first()
    )


@dataclass(frozen=True)
class HistoryPoint:
    """One day of an account's snapshot history, as the charts need it."""

    as_of: date
    health_score: float | None
    health_band: str
    health_model_version: int | None
    mrr: Decimal
    seats: int
    active_users_30d: int
    events_30d: int
    seat_utilization: float | None
    feature_adoption: float | None
    features_used_30d: int


# The health fields live in healthscores.SnapshotHealth and are read apart (see below).
_HEALTH_FIELDS = ("health_score", "health_band", "health_model_version")
HISTORY_COLUMNS = [f for f in HistoryPoint.__dataclass_fields__ if f not in _HEALTH_FIELDS]


def account_history(
    *, account: Account, last: date, days: int = HISTORY_DAYS
) -> list[HistoryPoint]:
    """The account's snapshots of the `days` days ending with `last`, oldest first, with their
    scores: two range scans on (account, as_of) indexes, the scores' index-only, at most `days`
    rows each."""
    window = {"account": account, "as_of__gt": last - timedelta(days=days), "as_of__lte": last}
    scores = {
        as_of: health
        for as_of, *health in SnapshotHealth.objects.filter(**window).values_list(
            "as_of", "score", "band", "model_version_id"
        )
    }
    rows = AccountSnapshot.objects.filter(**window).order_by("as_of").values_list(*HISTORY_COLUMNS)
    # HISTORY_COLUMNS is HistoryPoint's fields without the three health fields after as_of.
    return [HistoryPoint(row[0], *scores.get(row[0], (None, None, None)), *row[1:]) for row in rows]


def band_thresholds(*, version_id: int | None) -> tuple[float, float]:
    """(green, yellow) of a health model version; the spec's 70 and 40 without one."""
    if version_id is not None:
        found = (
            HealthModelVersion.objects.filter(pk=version_id)
            .values_list("definition__green", "definition__yellow")
            .first()
        )
        if found and None not in found:
            return float(found[0]), float(found[1])
    return 70.0, 40.0


def account_contracts(*, account: Account, limit: int = 200) -> list[Contract]:
    return list(account.contracts.order_by("start_date", "pk")[:limit])


def active_contract(contracts: list[Contract], on: date) -> Contract | None:
    """The largest contract active on the day: its plan names the account's plan."""
    active = [
        c for c in contracts if c.start_date <= on and (c.end_date is None or on <= c.end_date)
    ]
    return max(active, key=lambda c: (c.mrr, c.start_date), default=None)


@dataclass(frozen=True)
class ContractEvent:
    day: date
    kind: str  # "start" or "end"
    contract: Contract
    renews: Contract | None = None  # for a start: the paid contract it renews

    @property
    def label(self) -> str:
        plan = self.contract.plan or "Contract"
        if self.renews is not None:
            return f"{plan} renewed ({self.renews.mrr:,.0f} → {self.contract.mrr:,.0f}/month)"
        verb = "starts" if self.kind == "start" else "ends"
        return f"{plan} contract {verb} ({self.contract.mrr:,.0f}/month)"


RENEWAL_WINDOW = timedelta(days=30)


def _renewed_by(contract: Contract, contracts: list[Contract]) -> Contract | None:
    """The paid contract renewing `contract` (kpi-spec section 3): one starting after it, within
    30 days of its end date."""
    if contract.end_date is None or not contract.mrr:
        return None
    return next(
        (
            other
            for other in contracts
            if other.mrr
            and other.start_date > contract.start_date
            and abs(other.start_date - contract.end_date) <= RENEWAL_WINDOW
        ),
        None,
    )


def contract_events(contracts: list[Contract], *, first: date, last: date) -> list[ContractEvent]:
    """Contract starts and ends within [first, last], in date order. A renewal is one event, on
    the renewing contract's start, rather than an end that reads like churn and a new start."""
    events, renewed = [], {}
    for contract in contracts:
        successor = _renewed_by(contract, contracts)
        if successor is not None:
            renewed.setdefault(id(successor), contract)
        elif contract.end_date and first <= contract.end_date <= last:
            events.append(ContractEvent(contract.end_date, "end", contract))
    for contract in contracts:
        if first <= contract.start_date <= last:
            renews = renewed.get(id(contract))
            events.append(ContractEvent(contract.start_date, "start", contract, renews))
    return sorted(events, key=lambda event: (event.day, event.kind))


def account_recent_tickets(*, account: Account, since: date, limit: int = 5000) -> list[Ticket]:
    """The account's tickets opened on or after `since`, newest first: one query on the
    (account, opened_at) index; the monthly chart and the timeline both read these rows."""
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    tickets = account.tickets.filter(opened_at__gte=start).order_by("-opened_at")
    return list(
        tickets.only(
            "pk",
            "account_id",
            "external_id",
            "subject",
            "priority",
            "opened_at",
            "first_response_at",
            "resolved_at",
        )[:limit]
    )


@dataclass(frozen=True)
class TicketMonth:
    month: date
    opened: int
    avg_first_response_hours: float | None


def month_starts(last: date, count: int = 12) -> list[date]:
    """The first days of the `count` months ending with the month of `last`, oldest first."""
    months, current = [], last.replace(day=1)
    for _ in range(count):
        months.append(current)
        current = (current - timedelta(days=1)).replace(day=1)
    return months[::-1]


def ticket_months(tickets: list[Ticket], months: list[date]) -> list[TicketMonth]:
    """Per month: tickets opened, and the mean first response in hours over tickets first
    answered that month (kpi-spec section 4, per account); dates are workspace-local."""
    opened, hours = defaultdict(int), defaultdict(list)
    for ticket in tickets:
        opened[timezone.localdate(ticket.opened_at).replace(day=1)] += 1
        if ticket.first_response_at:
            month = timezone.localdate(ticket.first_response_at).replace(day=1)
            hours[month].append(
                (ticket.first_response_at - ticket.opened_at).total_seconds() / 3600
            )
    return [
        TicketMonth(
            month=month,
            opened=opened[month],
            avg_first_response_hours=sum(hours[month]) / len(hours[month])
            if hours[month]
            else None,
        )
        for month in months
    ]


def account_survey_responses(
    *, account: Account, since: date, limit: int = 500
) -> list[SurveyResponse]:
    """The account's survey responses since `since`, newest first, with their contacts: one
    query on the (account, responded_at) index."""
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    responses = account.survey_responses.filter(responded_at__gte=start).select_related("contact")
    return list(responses.order_by("-responded_at")[:limit])


def is_negative_response(response: SurveyResponse) -> bool:
    """A detractor (NPS 0-6), an unsatisfied CSAT (1-3) or a hard CES (1-3)."""
    if response.kind == SurveyKind.NPS:
        return response.score <= 6
    return response.score <= 3


def latest_comments(responses: list[SurveyResponse], limit: int = 6) -> list[SurveyResponse]:
    """Responses with a comment, detractors and unhappy answers first, each group newest first."""
    commented = [r for r in responses if r.comment.strip()]
    commented.sort(key=lambda r: r.responded_at, reverse=True)
    commented.sort(key=lambda r: not is_negative_response(r))  # stable: keeps newest first
    return commented[:limit]


def account_contacts(*, account: Account, limit: int = 100) -> list[Contact]:
    """Champions first, then people still there, then those who left."""
    contacts = account.contacts.order_by(
        "-is_champion", F("left_on").desc(nulls_first=True), "name"
    )
    return list(contacts[:limit])


def account_notes(*, account: Account, limit: int = 20) -> list[Note]:
    return list(account.notes.select_related("author").order_by("-created_at")[:limit])


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | date
    kind: str  # note, ticket, survey, contract, alert, and the extra sources' (task, playbook)
    title: str
    detail: str = ""
    tone: str = ""  # good, bad or empty, for the marker's colour

    @property
    def sort_key(self) -> datetime:
        if isinstance(self.at, datetime):
            return self.at
        return datetime.combine(self.at, time.max, tzinfo=timezone.get_current_timezone())


# Other apps add entries to an account's timeline without accounts importing them (playbooks:
# tasks and playbook runs): each source gives at most `per_kind` entries of each of its kinds.
timeline_sources: list[Callable[[Account, int], list[TimelineEntry]]] = []


def extra_timeline_entries(*, account: Account, per_kind: int = 6) -> list[TimelineEntry]:
    return [entry for source in timeline_sources for entry in source(account, per_kind)]


def timeline(
    *, notes, tickets, responses, events, alerts, today: date, per_kind: int = 6, extra=()
) -> list[TimelineEntry]:
    """Notes, tickets, survey answers, contract starts and ends, alerts and the `extra`
    sources' entries, newest first; at most `per_kind` of each, so a busy account cannot drown
    the others out."""
    entries = [
        *extra,
        *(TimelineEntry(n.created_at, "note", _author(n.author), n.body) for n in notes[:per_kind]),
        *(_ticket_entry(t) for t in tickets[:per_kind]),
        *(_response_entry(r) for r in responses[:per_kind]),
        *(
            TimelineEntry(e.day, "contract", e.label, tone="good" if e.kind == "start" else "")
            for e in [e for e in events if e.day <= today][-per_kind:]
        ),
        *(
            TimelineEntry(a.created_at, "alert", a.get_reason_display(), a.details, "bad")
            for a in alerts[:per_kind]
        ),
    ]
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)


def _author(user) -> str:
    if user is None:
        return "Note"
    return f"Note by {user.get_full_name() or user.get_username()}"


def _ticket_entry(ticket: Ticket) -> TimelineEntry:
    state = "resolved" if ticket.resolved_at else "open"
    priority = f"{ticket.get_priority_display().lower()} priority, " if ticket.priority else ""
    return TimelineEntry(
        ticket.opened_at,
        "ticket",
        ticket.subject or ticket.external_id,
        f"{priority}{state}",
        "bad" if ticket.priority == "urgent" else "",
    )


def _response_entry(response: SurveyResponse) -> TimelineEntry:
    who = f" from {response.contact}" if response.contact else ""
    return TimelineEntry(
        response.responded_at,
        "survey",
        f"{response.get_kind_display()} {response.score}{who}",
        response.comment,
        "bad" if is_negative_response(response) else "good",
    )


# Why a score moved, in words.


def movement_summary(movement: ScoreMovement, limit: int = 4) -> str:
    """'Health fell 18 points: usage trend -11, NPS -6, ...': the largest contribution changes,
    which add up to the score's change."""
    change = movement.score_change
    if change is None:
        return "No health score on one of the two dates, so the change cannot be explained."
    rounded = round(change)
    if rounded == 0:
        head = "Health held steady"
    else:
        verb = "rose" if rounded > 0 else "fell"
        head = f"Health {verb} {abs(rounded)} point{'s' if abs(rounded) != 1 else ''}"
    parts = [
        f"{c.label} {c.contribution_change:+.0f}"
        for c in movement.changes
        if round(c.contribution_change) != 0
    ][:limit]
    return f"{head}: {', '.join(parts)}" if parts else head
