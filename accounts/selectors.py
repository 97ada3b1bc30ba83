"""Reads of the accounts app's own records for the pages: contracts and their events, tickets,
contacts, notes, the list's filter choices and the last imports.

Raw records are read only for one account at a time, through their per-account indexes, and
always bounded, so every page costs the same number of queries whatever the size of the
portfolio or the history. Reads that combine these with snapshots, scores or surveys live in the
pages' app (web/selectors.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router
from django.db.models import Case, F, Q, QuerySet, When
from django.utils import timezone

from accounts import sql as accounts_sql
from accounts.access import accounts_visible_to, user_sees_all_accounts, views_readable_by
from accounts.filters import ViewFilter
from accounts.models import (
    RENEWAL_WINDOW_DAYS,
    Account,
    Contact,
    Contract,
    CustomField,
    CustomFieldTarget,
    CustomFieldType,
    ImportLog,
    Note,
    Ticket,
    View,
    ViewVisibility,
)

# Freshness: the last import of each source, for every page's "data as of" line.


def last_imports_by_kind() -> dict[str, ImportLog]:
    """The newest import of each file kind, for the pages' freshness line."""
    latest = ImportLog.objects.order_by("kind", "-imported_at").distinct("kind")
    return {log.kind: log for log in latest}


# The accounts list's filters.


@dataclass(frozen=True)
class ListChoices:
    segments: list[str]
    regions: list[str]
    owners: list[tuple[int, str]] = field(default_factory=list)
    # The company group chosen (at most one), and whether there are groups to choose from.
    groups: list[tuple[int, str]] = field(default_factory=list)
    offers_groups: bool = False
    # The admins' account fields the list filters by: one of a list, yes/no, numbers.
    fields: list[CustomField] = field(default_factory=list)


FILTERABLE_TYPES = (CustomFieldType.CHOICE, CustomFieldType.BOOLEAN, CustomFieldType.NUMBER)


def account_fields() -> list[CustomField]:
    """The admins' account fields, by label: one small query."""
    return list(CustomField.objects.filter(target=CustomFieldTarget.ACCOUNT).order_by("label"))


def _group_ids() -> QuerySet:
    """The ids of the company groups: the accounts with at least one child (the parent index)."""
    return Account.objects.filter(parent__isnull=False).values("parent")


def any_groups() -> bool:
    """Whether any account has children: the pages offer the group filter only then (one
    probe of the parent index, whoever asks)."""
    return _group_ids().exists()


def chosen_group(visible: QuerySet[Account], value: str | None) -> list[tuple[int, str]]:
    """[(id, name)] of the group a query string asks for, when it is a company group among
    `visible`; [] otherwise (no query for a missing or non-numeric value)."""
    if not value or not str(value).isdigit():
        return []
    return list(visible.filter(pk=int(value), pk__in=_group_ids()).values_list("pk", "name"))


GROUP_SUGGESTIONS = 12


def group_suggestions(
    visible: QuerySet[Account], text: str, *, limit: int = GROUP_SUGGESTIONS
) -> list[dict]:
    """The company groups among `visible` whose name or external id contains `text`, names
    that start with it first: what the group picker lists while one types. A book of 10,000
    accounts has 2,000 groups, too many for a drop-down on every list and portfolio page."""
    text = text.strip()
    if not text:
        return []
    groups = (
        visible.filter(Q(name__icontains=text) | Q(external_id__icontains=text))
        .filter(pk__in=_group_ids())
        .annotate(starts=Case(When(name__istartswith=text, then=0), default=1))
        .order_by("starts", "name", "pk")
        .values("pk", "name", "external_id")[:limit]
    )
    return [{"id": g["pk"], "name": g["name"], "external_id": g["external_id"]} for g in groups]


def account_list_choices(
    *, user: AbstractBaseUser, groups_and_fields: bool = False, group: str | None = None
) -> ListChoices:
    """The values the list's filters offer, among the accounts the user may see: one query for
    segments and regions, one more for owners when the user sees other people's accounts, and
    with `groups_and_fields` (the accounts list) one for the custom fields, one probe for whether
    company groups exist and one for the `group` asked for (the picker suggests the others)."""
    visible = accounts_visible_to(user)
    sees_all = user_sees_all_accounts(user)
    if sees_all:
        with connections[router.db_for_read(Account)].cursor() as cursor:
            pairs = accounts_sql.segment_region_pairs(cursor)
    else:
        pairs = list(visible.order_by().values_list("segment", "region").distinct())
    owners = []
    if sees_all:
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
        groups=chosen_group(visible, group) if groups_and_fields else [],
        offers_groups=groups_and_fields and any_groups(),
        fields=[f for f in account_fields() if f.field_type in FILTERABLE_TYPES]
        if groups_and_fields
        else [],
    )


# The account 360 page: contracts, tickets, contacts and notes.


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
            amounts = f"({self.renews.mrr:,.0f} → {self.contract.mrr:,.0f}/month)"
            if self.renews.is_committed_term:
                return f"{plan} renewed {amounts}"
            if self.renews.plan != self.contract.plan:
                return f"Plan changed: {self.renews.plan or 'Contract'} → {plan} {amounts}"
            return f"{plan} MRR changed {amounts}"
        verb = "starts" if self.kind == "start" else "ends"
        return f"{plan} contract {verb} ({self.contract.mrr:,.0f}/month)"


RENEWAL_WINDOW = timedelta(days=RENEWAL_WINDOW_DAYS)


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


def _rolled_over(before: Contract, after: Contract) -> bool:
    """A month-to-month rollover: a contract shorter than a committed term followed by the same
    plan at the same MRR. Nothing changed, so the timeline shows nothing."""
    return not before.is_committed_term and (before.plan, before.mrr) == (after.plan, after.mrr)


def contract_events(contracts: list[Contract], *, first: date, last: date) -> list[ContractEvent]:
    """Contract starts and ends within [first, last], in date order. A renewal is one event, on
    the renewing contract's start, rather than an end that reads like churn and a new start;
    a short contract rolling over is an event only when its plan or MRR changes."""
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
            if renews is not None and _rolled_over(renews, contract):
                continue
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


# Views: the named filters a user may pick.


def views_for_user(user: AbstractBaseUser) -> list[View]:
    """The views the user may read (accounts.access.views_readable_by): their own personal views
    first, then the shared ones, by name; one query with owners and teams."""
    views = views_readable_by(user).select_related("owner", "team")
    return sorted(views, key=lambda v: (v.visibility != ViewVisibility.PERSONAL, v.name.lower()))


def view_spec(view: View | None) -> ViewFilter | None:
    """The view's filter; a definition this version cannot read restricts nothing but is
    reported (`view_problem`)."""
    if view is None:
        return None
    try:
        return ViewFilter.from_dict(view.definition)
    except (ValueError, TypeError, KeyError):
        return ViewFilter()


def view_problem(view: View) -> str:
    try:
        ViewFilter.from_dict(view.definition)
    except (ValueError, TypeError, KeyError) as error:
        return f"This view's filter could not be read ({error}); edit it to save a new one."
    return ""
