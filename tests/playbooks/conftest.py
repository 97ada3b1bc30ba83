"""Fixtures of the playbook tests: snapshot rows stated by hand, playbooks built in a line, and a
recorder in place of the task broker.

Snapshot rows are written directly (every count 0, every metric null unless a test states it),
so a trigger test says only the figures it is about; the metrics tests hold the engine that
computes them to the spec. "Today" is what `timezone.localdate()` says, set by `today_is`.
No test here talks to the broker except the real-worker tests: `queued_runs` records the runs
whose actions would be queued.
"""

from datetime import date, timedelta
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from accounts.models import Contract, add_months
from metrics.models import AccountSnapshot, SnapshotRun
from playbooks.models import Condition, Playbook, PlaybookAction
from playbooks.tasks import execute_run
from tests.factories import AccountFactory, ContractFactory, ScoredSnapshotFactory

TODAY = date(2025, 6, 16)  # a Monday
AS_OF = TODAY - timedelta(days=1)


class SnapshotFactory(ScoredSnapshotFactory):
    """A snapshot row of AS_OF with a stored green score of 80 (health_* set its score row)."""

    class Meta:
        model = AccountSnapshot
        skip_postgeneration_save = True

    as_of = AS_OF
    account = factory.SubFactory(AccountFactory)
    mrr = Decimal("1000.00")
    arr = Decimal("12000.00")
    starting_mrr = Decimal("1000.00")
    movement_mrr = None  # no movement (kpi-spec section 7)
    seats = 10
    active_users_30d = active_users_7d = active_user_days_30d = 0
    events_30d = events_prev_30d = sessions_30d = 0
    minutes_30d = 0.0
    features_used_30d = 0
    open_tickets = tickets_90d = 0
    champion_left_90d = 0
    paid_before_period = True
    renewals_eligible = renewals_renewed = contracts_started = 0
    contracts_started_arr = contracts_started_tcv = Decimal(0)
    trial_started = trial_converted = onboarded = False
    tickets_opened = first_responses = tickets_resolved = resolved_first_contact = 0
    first_response_hours = resolution_hours = 0.0
    nps_promoters = nps_detractors = nps_responses = 0
    csat_satisfied = csat_responses = ces_score_sum = ces_responses = 0
    monthly_starting_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    monthly_lost_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    health_score = 80.0
    health_band = "green"
    health_model_version = 1
    computed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def renewal_contract(self, create: bool, wanted, **kwargs) -> None:
        """The renewal trigger reads contracts (the end of a committed term), not the row's
        days_to_renewal: a row stating days_to_renewal also gets the annual contract ending
        that day, unless `renewal_contract=False` (a test stating its own contracts)."""
        if not create or wanted is False or self.days_to_renewal is None:
            return
        end = self.as_of + timedelta(days=self.days_to_renewal)
        if not Contract.objects.filter(account=self.account, end_date=end).exists():
            ContractFactory(account=self.account, start_date=add_months(end, -12) + timedelta(1),
                            end_date=end, mrr=self.mrr)  # fmt: skip


def history(account, days: list[date], **values) -> None:
    """The same snapshot values on each of `days`."""
    for day in days:
        SnapshotFactory(account=account, as_of=day, **values)


def days_back(last: date, count: int) -> list[date]:
    """`count` days ending with `last`, oldest first."""
    return [last - timedelta(days=n) for n in range(count - 1, -1, -1)]


def make_playbook(
    trigger: str, *, conditions=(), actions=None, active: bool = True, **parameters
) -> Playbook:
    """A playbook with `conditions` as (field, operator, value) and `actions` as dicts; one
    "Follow up" task for the owner unless told otherwise."""
    playbook = Playbook.objects.create(
        name=parameters.pop("name", f"{trigger} {Playbook.objects.count() + 1}"),
        trigger=trigger,
        is_active=active,
        **parameters,
    )
    for field, operator, value in conditions:
        Condition.objects.create(playbook=playbook, field=field, operator=operator, value=value)
    for position, action in enumerate(
        actions or [{"kind": "create_task", "title": "Follow up with {account}"}], start=1
    ):
        PlaybookAction.objects.create(playbook=playbook, position=position, **action)
    return playbook


@pytest.fixture
def today_is(monkeypatch):
    """`today_is(day)` makes `timezone.localdate()` return `day` (TODAY by default)."""

    def set_today(day: date = TODAY) -> date:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        return day

    set_today()
    return set_today


@pytest.fixture
def snapshot_run(db):
    """Record the snapshot run of AS_OF: pages and event evaluation read the newest date."""
    return SnapshotRun.objects.create(
        as_of=AS_OF, accounts=0, seconds=0.1, finished_at=timezone.now()
    )


@pytest.fixture(autouse=True)
def queued_runs(request, monkeypatch) -> list[int]:
    """The run ids whose actions were queued; real-worker tests use the real broker."""
    queued: list[int] = []
    if request.node.get_closest_marker("celery_worker"):
        return queued

    def record(args=None, **options):
        queued.append(args[0])

    monkeypatch.setattr(execute_run, "apply_async", record)
    return queued
