"""Fixtures and helpers of the health-score tests (kpi-spec section 8).

Every expected score in tests/healthscores is computed by hand from the spec, with the arithmetic
in a comment next to it; no test computes an expectation with the code under test, except where
a test's very point is that two implementations agree (SQL and Python scoring).

Time is frozen the way the code knows it: scoring and alerts take explicit dates, snapshot rows
carry fixed dates, and the one place that asks for "today" (the nightly hook, deciding whether a
date is the newest) gets it from `today_is`.

No test here talks to the task broker: `queued_rescores` (autouse) replaces the rescore task's
`apply_async`, so a queued rescore is a recorded call, never a message in someone's Redis.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import factory
import pytest
from django.utils import timezone
from factory.django import DjangoModelFactory
from kombu.exceptions import OperationalError

from accounts.models import Account
from healthscores.models import HealthComponent, HealthModel, HealthModelVersion
from healthscores.services import health_model_publish
from healthscores.tasks import rescore
from metrics.models import AccountSnapshot, SnapshotRun
from tests.factories import AccountFactory, ContractFactory, ScoredSnapshotFactory

# The default model of kpi-spec section 8, copied from the spec's table (not imported from the
# code under test): (metric, weight, bad, good).
SPEC_DEFAULT_COMPONENTS = [
    ("usage_trend", 20, -50, 10),
    ("seat_utilization", 15, 20, 80),
    ("feature_adoption", 10, 10, 60),
    ("nps_180d", 15, -50, 50),
    ("csat_180d", 10, 50, 90),
    ("open_tickets", 10, 10, 0),
    ("avg_first_response_hours_90d", 10, 48, 4),
    ("champion_left_90d", 10, 1, 0),
]

END_OF_MARCH = date(2024, 3, 31)


def at(text: str) -> datetime:
    """An aware timestamp: ISO 8601, UTC when it carries no offset."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def contract(account: Account, start: str, end: str | None, mrr: int = 1000, seats: int = 10):
    return ContractFactory(
        account=account,
        start_date=date.fromisoformat(start),
        end_date=date.fromisoformat(end) if end else None,
        mrr=Decimal(mrr),
        seats=seats,
    )


class AccountSnapshotFactory(ScoredSnapshotFactory):
    """A stored snapshot row with every count 0 and every nullable metric null, unscored: a test
    states the metric values it scores. Scoring and alerts read only these columns."""

    class Meta:
        model = AccountSnapshot

    as_of = END_OF_MARCH
    account = factory.SubFactory(AccountFactory)
    mrr = Decimal("1000.00")
    arr = Decimal("12000.00")
    starting_mrr = Decimal("1000.00")
    movement_mrr = None  # no movement (kpi-spec section 7)
    seats = 10
    active_users_30d = 0
    active_users_7d = 0
    active_user_days_30d = 0
    events_30d = 0
    events_prev_30d = 0
    minutes_30d = 0.0
    sessions_30d = 0
    features_used_30d = 0
    open_tickets = 0
    tickets_90d = 0
    champion_left_90d = 0
    paid_before_period = True
    renewals_eligible = 0
    renewals_renewed = 0
    contracts_started = 0
    contracts_started_arr = Decimal(0)
    contracts_started_tcv = Decimal(0)
    trial_started = False
    trial_converted = False
    onboarded = False
    tickets_opened = 0
    first_responses = 0
    first_response_hours = 0.0
    tickets_resolved = 0
    resolution_hours = 0.0
    resolved_first_contact = 0
    nps_promoters = 0
    nps_detractors = 0
    nps_responses = 0
    csat_satisfied = 0
    csat_responses = 0
    ces_score_sum = 0
    ces_responses = 0
    monthly_starting_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    monthly_lost_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    computed_at = factory.LazyFunction(lambda: at("2024-04-01 02:00"))


class SnapshotRunFactory(DjangoModelFactory):
    class Meta:
        model = SnapshotRun

    as_of = END_OF_MARCH
    accounts = 0
    seconds = 0.1
    finished_at = factory.LazyFunction(lambda: at("2024-04-01 02:00"))


def health_model(
    components: Iterable[tuple[str, float, float, float]],
    *,
    name: str = "Custom",
    segment: str = "",
    active: bool = True,
    green: float = 70,
    yellow: float = 40,
) -> HealthModel:
    """A model with these (metric, weight, bad, good) components and its first version."""
    model = HealthModel.objects.create(
        name=name,
        segment=segment,
        is_active=active,
        green_threshold=Decimal(str(green)),
        yellow_threshold=Decimal(str(yellow)),
    )
    for metric, weight, bad, good in components:
        HealthComponent.objects.create(
            model=model, metric=metric, weight=Decimal(str(weight)), bad=bad, good=good
        )
    health_model_publish(model=model)
    return model


def latest_version(model: HealthModel) -> HealthModelVersion:
    return model.versions.order_by("-number").first()


@pytest.fixture
def default_model(db) -> HealthModel:
    """The model the migration installs: active, for every segment without a model of its own."""
    return HealthModel.objects.get(is_active=True, segment="")


@pytest.fixture
def only_model(default_model) -> Callable[..., HealthModel]:
    """`only_model(components, ...)` deactivates the default model and activates a new one for
    every segment, so a test's expected scores involve only the components it states."""

    def make(components, **options) -> HealthModel:
        HealthModel.objects.filter(pk=default_model.pk).update(is_active=False)
        return health_model(components, **options)

    return make


@pytest.fixture(autouse=True)
def queued_rescores(monkeypatch) -> list[list]:
    """The argument lists of every rescore queued during the test (nothing reaches a broker)."""
    calls: list[list] = []

    def apply_async(args=None, kwargs=None, **options):
        calls.append(list(args or []))

    monkeypatch.setattr(rescore, "apply_async", apply_async)
    return calls


@pytest.fixture
def broker_down(monkeypatch) -> None:
    """The task broker cannot be reached: queueing raises kombu's OperationalError."""

    def apply_async(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(rescore, "apply_async", apply_async)


@pytest.fixture
def today_is(monkeypatch) -> Callable[[date], None]:
    """`today_is(date(2024, 4, 1))` freezes the workspace's today (timezone.localdate)."""

    def freeze(day: date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return freeze
