"""Reads of the pages that combine apps: the accounts list and the 360 page, from snapshots,
scores, survey answers and bounded raw rows.

Aggregates come from the metrics snapshots (one wide row per account and day); raw records are
read only for one account at a time, through their per-account indexes, and always bounded, so
every page costs the same number of queries whatever the size of the portfolio or the history.
The accounts app's own reads (contracts, tickets, contacts, notes) are in accounts/selectors.py.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import filters
from accounts.access import accounts_visible_to
from accounts.custom_fields import FieldFilter
from accounts.models import Account, Note, Ticket
from accounts.selectors import TimelineEntry
from healthscores.models import HealthModelVersion, SnapshotHealth
from healthscores.selectors import ScoreMovement
from metrics.dashboard import snapshot_months
from metrics.models import AccountSnapshot
from metrics.selectors import GroupHealth, group_health, portfolio_totals_by_date
from playbooks.models import Task, TaskStatus
from surveys.models import ScoreGroup, SurveyResponse, score_group
from surveys.selectors import SENTIMENT_COUNTS, SentimentMonth

HEALTH_CHANGE_DAYS = 30
HISTORY_DAYS = 365


# The accounts list.


# The list's "band" for accounts that are not customers on D (MRR 0): churned, trials, prospects.
NOT_CUSTOMER = filters.NOT_CUSTOMER
# A churn probability asked for without a horizon reads the 90-day one (the renewal desk's).
DEFAULT_CHURN_HORIZON = 90


@dataclass(frozen=True)
class AccountListParams:
    """What the list shows: validated by web.forms.AccountListForm."""

    q: str = ""
    segment: str = ""
    owner: int | None = None
    region: str = ""
    stage: str = ""
    band: str = ""
    renewal_within: int | None = None
    mine: bool = False
    group: int | None = None  # a company group: the account and every account below it
    custom: tuple[FieldFilter, ...] = ()  # conditions on the admins' own fields
    tags: tuple[str, ...] = ()  # normalised; the account carries every one
    mrr_min: Decimal | None = None
    mrr_max: Decimal | None = None
    churn_above: Decimal | None = None  # percent
    churn_horizon: int | None = None  # days
    view: int | None = None  # the view applied (accounts.models.View), by id
    sort: str = "name"

    def spec(self, base: filters.ViewFilter | None = None) -> filters.ViewFilter:
        """The list's filter in the one vocabulary (accounts.filters). On a view (`base`): the
        view's own filter when the list states no criterion (a link or bookmark `?view=`), else
        the list's inputs (the view's criteria, refined) with what they cannot say: a saved
        filter's playbook conditions."""
        churn = self.churn_above is not None
        own = filters.ViewFilter(
            q=self.q,
            segment=self.segment,
            region=self.region,
            stage=self.stage,
            owner=self.owner,
            mine=self.mine,
            group=self.group,
            band=self.band,
            renewal_within=self.renewal_within,
            mrr_min=self.mrr_min,
            mrr_max=self.mrr_max,
            churn_above=float(self.churn_above) / 100 if churn else None,
            churn_horizon=(self.churn_horizon or DEFAULT_CHURN_HORIZON) if churn else None,
            custom=self.custom,
            tags=self.tags,
        )
        if base is None:
            return own
        if own == filters.ViewFilter():
            return base
        return replace(own, conditions=base.conditions)


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


def _snapshot_and_score_of(as_of: date | None) -> dict[str, FilteredRelation]:
    """An account's snapshot (`latest`) and health score (`health_now`) of `as_of`. The score is
    joined by (account, as_of), not through the snapshot's id: the date lets the planner read
    only that day's scores (joined by snapshot id, it hashed every date's scores: 35 of the 57 ms
    of a list sorted by MRR at 10,000 accounts)."""
    return {
        "latest": FilteredRelation("snapshots", condition=Q(snapshots__as_of=as_of)),
        "health_now": FilteredRelation("health_scores", condition=Q(health_scores__as_of=as_of)),
    }


def account_rows(
    *,
    user: AbstractBaseUser,
    params: AccountListParams,
    as_of: date | None,
    base: filters.ViewFilter | None = None,
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
            **_snapshot_and_score_of(as_of),
            # Only the score of 30 days earlier: from the score table's (account, as_of) index,
            # without reading that day's wide snapshot row.
            earlier=FilteredRelation("health_scores", condition=Q(health_scores__as_of=earlier)),
        )
        .annotate(
            mrr=F("latest__mrr"),
            arr=F("latest__arr"),
            seats=F("latest__seats"),
            seat_utilization=F("latest__seat_utilization"),
            health_score=F("health_now__score"),
            health_band=Coalesce("health_now__band", Value("unknown")),
            health_version=Coalesce("health_now__model_version_id", Value(0)),
            is_onboarding=F("latest__is_onboarding"),
            health_change=_health_change(
                earlier, every_row=sort_column(params.sort)[0] == "health_change"
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
    # The one compiler of filters (accounts.filters), on top of the access rule above.
    rows = filters.filter_accounts(rows, params.spec(base), as_of=as_of, user=user)
    return _sort_rows(rows, params.sort)


def _health_change(earlier: date | None, *, every_row: bool):
    """The change of the health score since `earlier`, only between scores of one model version
    (a new model is not a change in health; after a model change the rescore brings the year
    onto the new version). Sorted by it, every row needs it: from the `earlier` join. Otherwise
    a subquery, which PostgreSQL computes for the page's rows only, after the sort and the
    limit (the join read the 10,000 scores of 30 days earlier for a page of 50: 7 ms of a
    list sorted by MRR; as a subquery for every row, sorting by it took 30 ms more)."""
    if every_row:
        return Case(
            When(
                Q(health_version=Coalesce("earlier__model_version_id", Value(0))),
                then=F("health_now__score") - F("earlier__score"),
            ),
            default=None,
            output_field=FloatField(),
        )
    return Subquery(
        SnapshotHealth.objects.filter(account_id=OuterRef("pk"), as_of=earlier)
        .annotate(version=Coalesce("model_version_id", Value(0)))
        .filter(version=OuterRef("health_version"))
        .annotate(
            change=ExpressionWrapper(
                OuterRef("health_score") - F("score"), output_field=FloatField()
            )
        )
        .values("change")[:1],
        output_field=FloatField(),
    )


def sort_column(sort: str) -> tuple[str, bool]:
    """The list's sort column (an annotation of account_rows) and whether it is descending."""
    return SORT_FIELDS.get(sort.removeprefix("-"), "name"), sort.startswith("-")


def _sort_rows(rows: QuerySet, sort: str) -> QuerySet:
    name, descending = sort_column(sort)
    column = F(name)
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return rows.order_by(order, "name", "pk")


# The account 360 page.


GROUP_MEMBERS_SHOWN = 100


def group_members(
    *,
    account: Account,
    user: AbstractBaseUser,
    as_of: date | None,
    limit: int = GROUP_MEMBERS_SHOWN,
) -> list[Account]:
    """The accounts below `account` that the user may see, biggest MRR first, each with its
    snapshot's `mrr`, `health_score` and `health_band` of `as_of`: one query (empty for an
    account without children)."""
    members = (
        accounts_visible_to(user)
        .filter(pk__in=Account.objects.in_group(account).values("pk"))
        .exclude(pk=account.pk)
        .annotate(**_snapshot_and_score_of(as_of))
        .annotate(
            mrr=F("latest__mrr"),
            health_score=F("health_now__score"),
            health_band=Coalesce("health_now__band", Value("unknown")),
            is_onboarding=F("latest__is_onboarding"),
        )
        .order_by(F("mrr").desc(nulls_last=True), "name", "pk")
    )
    return list(members[:limit])


@dataclass(frozen=True)
class GroupRollup:
    """A company group's figures on the 360 page of its parent."""

    members: list[Account]  # the accounts below, at most GROUP_MEMBERS_SHOWN
    health: GroupHealth  # MRR, MRR-weighted health and worst band of the parent and members


def group_rollup(*, account: Account, user: AbstractBaseUser, as_of: date | None):
    """The group below `account` and its roll-up over the account and the members the user may
    see, or None when it has no children: two queries for a parent, one otherwise."""
    members = group_members(account=account, user=user, as_of=as_of)
    if not members:
        return None
    accounts = accounts_visible_to(user).filter(
        pk__in=Account.objects.in_group(account).values("pk")
    )
    health = group_health(as_of=as_of, accounts=accounts) if as_of else None
    return GroupRollup(members=members, health=health)


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


def account_survey_responses(
    *, account: Account, since: date, limit: int = 500
) -> list[SurveyResponse]:
    """The account's survey responses since `since`, newest first, with their contacts: one
    query on the (account, responded_at) index."""
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    responses = account.survey_responses.filter(responded_at__gte=start).select_related("contact")
    return list(responses.order_by("-responded_at")[:limit])


# The account's survey scores over 180 days (kpi-spec section 8) and the kind of answer each reads.
SCORES_180D = {"nps_180d": "nps", "csat_180d": "csat", "ces_180d": "ces"}


def survey_answers_180d(responses: list[SurveyResponse], snapshot) -> dict[str, int]:
    """How many answers each 180-day score of the snapshot is computed from, counted from the
    page's year of responses over the snapshot's window [D-179, D] (workspace dates), so a score
    of +100 from one answer says "1 answer"."""
    if snapshot is None:
        return {}
    first = snapshot.as_of - timedelta(days=179)
    counts = dict.fromkeys(SCORES_180D, 0)
    for response in responses:
        if first <= timezone.localdate(response.responded_at) <= snapshot.as_of:
            for key, kind in SCORES_180D.items():
                counts[key] += response.kind == kind
    return counts


def is_detractor_response(response: SurveyResponse) -> bool:
    """A detractor answer, by the surveys app's one cut-off (surveys.models.score_group)."""
    return score_group(response.kind, response.score) == ScoreGroup.DETRACTOR


def latest_comments(responses: list[SurveyResponse], limit: int = 6) -> list[SurveyResponse]:
    """Responses with a comment, detractors first, each group newest first."""
    commented = [r for r in responses if r.comment.strip()]
    commented.sort(key=lambda r: r.responded_at, reverse=True)
    commented.sort(key=lambda r: not is_detractor_response(r))  # stable: keeps newest first
    return commented[:limit]


@cache
def _timeline_sources(paths: tuple[str, ...]) -> tuple:
    return tuple(import_string(path) for path in paths)


def timeline_sources() -> tuple:
    """The other apps' timeline entries, as settings.ACCOUNT_TIMELINE_SOURCES lists them."""
    return _timeline_sources(tuple(settings.ACCOUNT_TIMELINE_SOURCES))


def extra_timeline_entries(*, account: Account, per_kind: int = 6) -> list[TimelineEntry]:
    """Each source's newest entries, at most `per_kind` of each of its kinds."""
    return [entry for source in timeline_sources() for entry in source(account, per_kind)]


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


# A survey answer's marker in the timeline, by its score group.
RESPONSE_TONES = {ScoreGroup.DETRACTOR: "bad", ScoreGroup.PASSIVE: "", ScoreGroup.PROMOTER: "good"}


def _response_entry(response: SurveyResponse) -> TimelineEntry:
    who = f" from {response.contact}" if response.contact else ""
    return TimelineEntry(
        response.responded_at,
        "survey",
        f"{response.get_kind_display()} {response.score}{who}",
        response.comment,
        RESPONSE_TONES[score_group(response.kind, response.score)],
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


# The survey results page.


def sentiment_months(*, accounts: QuerySet[Account], months: list[date]) -> list[SentimentMonth]:
    """The survey counts of each month from the metrics snapshots: three queries whatever the
    number of accounts and months (the months with snapshots, then one grouped aggregate, and the
    month's costs that the shared aggregate reads too)."""
    last_day = {m.month: m.as_of for m in snapshot_months() if m.month >= months[0]}
    dates = [last_day[first] for first in months if first in last_day]
    totals = portfolio_totals_by_date(dates=dates, accounts=accounts) if dates else {}
    result = []
    for first in months:
        day = last_day.get(first)
        counts = {name: totals[day][name] for name in SENTIMENT_COUNTS} if day else {}
        result.append(SentimentMonth(month=first, as_of=day, **counts))
    return result


# -- Drill-downs: what happens next on an account ------------------------------------------------

# The lists a CSM acts on: who churned and who is at risk, each with the last contact and the
# next step (the tasks live in playbooks, above metrics, so the portfolio page adds them here).
FOLLOW_UP_DRILLS = frozenset({"churned_mrr", "churned_customers", "logo_churn_rate", "at_risk"})


def with_follow_up(rows: QuerySet) -> QuerySet:
    """Drill-down rows (anything with an `account_id`) with `last_contact_at` (the latest note
    in the account's log), and `next_step` and `next_step_due` (the open task due first): three
    subqueries of the same query, so a page still costs one query."""
    next_task = Task.objects.filter(
        account=OuterRef("account_id"), status=TaskStatus.OPEN
    ).order_by("due_on", "pk")
    last_note = Note.objects.filter(account=OuterRef("account_id")).order_by("-created_at")
    return rows.annotate(
        last_contact_at=Subquery(last_note.values("created_at")[:1]),
        next_step=Subquery(next_task.values("title")[:1]),
        next_step_due=Subquery(next_task.values("due_on")[:1]),
    )


# Views: their account count and MRR.


@dataclass(frozen=True)
class ViewFigures:
    accounts: int
    mrr: Decimal


def view_figures(
    *, user: AbstractBaseUser, specs: dict[int, filters.ViewFilter], as_of: date | None
) -> dict[int, ViewFigures]:
    """Each view's accounts among those the user may see, and their MRR on `as_of` (the
    snapshot's MRR, kpi-spec section 3): ONE aggregate query, a filtered count and sum per
    view, whatever the number of views or accounts."""
    if not specs:
        return {}
    rows = accounts_visible_to(user).annotate(
        latest=FilteredRelation("snapshots", condition=Q(snapshots__as_of=as_of))
    )
    expressions = {}
    for pk, spec in specs.items():
        condition = filters.view_condition(spec, as_of=as_of, user=user) or Q(pk__isnull=False)
        expressions[f"n{pk}"] = Count("pk", filter=condition)
        expressions[f"m{pk}"] = Coalesce(Sum("latest__mrr", filter=condition), Decimal(0))
    totals = rows.aggregate(**expressions)
    return {pk: ViewFigures(totals[f"n{pk}"], totals[f"m{pk}"]) for pk in specs}


def filter_figures(*, rows: QuerySet[Account]) -> ViewFigures:
    """The count and MRR of the list's rows (annotated with the day's `mrr`): one query."""
    totals = rows.order_by().aggregate(n=Count("pk"), m=Coalesce(Sum("mrr"), Decimal(0)))
    return ViewFigures(totals["n"], totals["m"])
