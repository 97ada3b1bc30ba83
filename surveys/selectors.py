"""Reads of the surveys app: the active survey of a kind, an invitation by its token, the
account page's survey controls and the results page."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from accounts.access import accounts_visible_to
from accounts.models import Account
from surveys.models import (
    Invitation,
    InvitationStatus,
    ScoreGroup,
    Survey,
    SurveyResponse,
    score_group_condition,
)


def active_survey(kind: str) -> Survey | None:
    """The survey invitations of `kind` send (at most one is active per kind), or None."""
    return Survey.objects.filter(kind=kind, is_active=True).first()


def active_surveys() -> list[Survey]:
    """Every active survey, NPS, CSAT then CES."""
    order = {"nps": 0, "csat": 1, "ces": 2}
    return sorted(Survey.objects.filter(is_active=True), key=lambda s: order.get(s.kind, 9))


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation of a public survey link, with what its page shows, or None."""
    return (
        Invitation.objects.select_related("survey", "contact", "response")
        .filter(token=token)
        .first()
    )


def pending_invitations(*, account: Account) -> QuerySet[Invitation]:
    """The account's invitations still waiting for an answer (expired ones included until an
    invitation or an answer marks them), newest first."""
    return account.survey_invitations.filter(status=InvitationStatus.PENDING).select_related(
        "survey"
    )


# The results page.
#
# Monthly NPS, CSAT and CES come from the nightly snapshots (the month's counts on its last
# computed day, summed over the filtered accounts), like every other figure of the pages. The
# response rate and the detractor follow-up figures have no snapshot column: they aggregate the
# invitations of the period directly, one grouped query each on the invitation indexes (created_at,
# and the partial index of answered invitations with an alert): a compromise that stays cheap
# because invitations are few next to usage or snapshots.


@dataclass(frozen=True)
class ResultsParams:
    """What the results page shows: validated by surveys.forms.ResultsFilterForm."""

    kind: str = ""
    group: str = ""
    segment: str = ""
    owner: int | None = None
    months: int = 12


def period_months(*, today: date, months: int) -> list[date]:
    """The first days of the `months` calendar months ending with today's, oldest first."""
    firsts, first = [], today.replace(day=1)
    for _ in range(months):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return firsts[::-1]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def results_accounts(*, user: AbstractBaseUser, params: ResultsParams) -> QuerySet[Account]:
    """The accounts the user may see (accounts.access), cut by segment and owner."""
    accounts = accounts_visible_to(user)
    if params.segment:
        accounts = accounts.filter(segment=params.segment)
    if params.owner is not None:
        accounts = accounts.filter(owner_id=params.owner)
    return accounts


@dataclass(frozen=True)
class SentimentMonth:
    """One month of answers, counted by the snapshot of the month's last computed day."""

    month: date
    as_of: date | None
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_responses: int = 0
    csat_satisfied: int = 0
    csat_responses: int = 0
    ces_score_sum: int = 0
    ces_responses: int = 0

    @property
    def nps_passives(self) -> int:
        return self.nps_responses - self.nps_promoters - self.nps_detractors


SENTIMENT_COUNTS = tuple(
    name for name in SentimentMonth.__dataclass_fields__ if name not in ("month", "as_of")
)


@dataclass(frozen=True)
class RateMonth:
    month: date
    sent: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent * 100 if self.sent else None


def response_rates(
    *, accounts: QuerySet[Account], months: list[date], kind: str = ""
) -> list[RateMonth]:
    """Invitations created in each month and how many of them were answered (so far): one
    grouped query."""
    invitations = Invitation.objects.filter(
        account__in=accounts.values("pk"), created_at__gte=local_midnight(months[0])
    )
    if kind:
        invitations = invitations.filter(survey__kind=kind)
    rows = (
        invitations.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(status="answered")))
        .order_by("month")
    )
    by_month = {timezone.localdate(row["month"]) if isinstance(row["month"], datetime)
                else row["month"]: row for row in rows}  # fmt: skip
    return [
        RateMonth(
            month=first,
            sent=by_month.get(first, {}).get("sent", 0),
            answered=by_month.get(first, {}).get("answered", 0),
        )
        for first in months
    ]


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median of a float expression."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class FollowUps:
    """Detractor answers from survey pages and how their owners followed up on them."""

    detractors: int
    followed_up: int
    within_due: int
    overdue: int
    median_hours: float | None

    @property
    def followed_up_rate(self) -> float | None:
        return self.followed_up / self.detractors * 100 if self.detractors else None

    @property
    def within_due_rate(self) -> float | None:
        return self.within_due / self.detractors * 100 if self.detractors else None


def _followed_up_at() -> Case:
    """When the owner followed a detractor up: the alert's acknowledgement, or its closing when
    it was acknowledged before this answer joined it; NULL while neither happened since."""
    return Case(
        When(alert__acknowledged_at__gte=F("responded_at"), then=F("alert__acknowledged_at")),
        When(alert__closed_at__gte=F("responded_at"), then=F("alert__closed_at")),
        default=None,
        output_field=DateTimeField(),
    )


def follow_ups(
    *, accounts: QuerySet[Account], since: date, today: date, kind: str = ""
) -> FollowUps:
    """Detractors answered since `since` and their follow-up: how many, how many within their
    due date (two business days), how many overdue and the median hours to follow-up, in one
    aggregate query."""
    answered = Invitation.objects.filter(
        account__in=accounts.values("pk"),
        alert__isnull=False,
        responded_at__gte=local_midnight(since),
    )
    if kind:
        answered = answered.filter(survey__kind=kind)
    hours = Func(
        F("followed_at") - F("responded_at"),
        template="EXTRACT(EPOCH FROM %(expressions)s) / 3600.0",
        output_field=FloatField(),
    )
    totals = answered.annotate(followed_at=_followed_up_at()).aggregate(
        detractors=Count("pk"),
        followed_up=Count("followed_at"),
        within_due=Count(
            "pk",
            filter=Q(followed_at__isnull=False, follow_up_due_on__gte=TruncDate("followed_at")),
        ),
        overdue=Count("pk", filter=Q(followed_at__isnull=True, follow_up_due_on__lt=today)),
        median_hours=Median(hours),
    )
    return FollowUps(**totals)


def _responses(*, accounts: QuerySet[Account], params: ResultsParams, since: date):
    responses = SurveyResponse.objects.filter(
        account__in=accounts.values("pk"), responded_at__gte=local_midnight(since)
    )
    if params.kind:
        responses = responses.filter(kind=params.kind)
    if params.group:
        responses = responses.filter(score_group_condition(params.group))
    return responses


def comments(
    *, accounts: QuerySet[Account], params: ResultsParams, since: date
) -> QuerySet[SurveyResponse]:
    """Answers with a comment, detractors first, each group newest first, with their account,
    owner and contact (one query a page, plus the paginator's count)."""
    detractor_first = Case(
        When(score_group_condition(ScoreGroup.DETRACTOR), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        _responses(accounts=accounts, params=params, since=since)
        .exclude(comment="")
        .select_related("account", "account__owner", "contact")
        .annotate(detractor_first=detractor_first)
        .order_by("detractor_first", "-responded_at", "-pk")
    )


def export_responses(
    *, accounts: QuerySet[Account], params: ResultsParams, since: date
) -> QuerySet[SurveyResponse]:
    """Every answer of the filter, with or without a comment, newest first, for the CSV."""
    return (
        _responses(accounts=accounts, params=params, since=since)
        .select_related("account", "account__owner", "contact")
        .order_by("-responded_at", "-pk")
    )


@dataclass(frozen=True)
class SurveyControls:
    """The account page's "send survey" controls: the active surveys to choose from."""

    surveys: list[Survey]


def account_survey_controls(*, account: Account, contacts: list) -> SurveyControls:
    """Two queries: the active surveys, and the account's open invitations, which set each
    contact's `open_survey_kinds` (e.g. ["NPS"]) for the page to say who was asked already."""
    kinds: dict[int, list[str]] = {}
    open_invitations = pending_invitations(account=account).filter(expires_at__gt=timezone.now())
    for contact_id, kind in open_invitations.values_list("contact_id", "survey__kind"):
        kinds.setdefault(contact_id, []).append(kind.upper())
    for contact in contacts:
        contact.open_survey_kinds = kinds.get(contact.pk, [])
    return SurveyControls(surveys=active_surveys())
