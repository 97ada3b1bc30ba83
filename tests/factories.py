"""Factories for the raw records: valid by default, so a test states only what it is about.

Every external id comes from a sequence, every timestamp is aware (UTC) and every date is fixed,
so a factory-made row never depends on the day the test runs.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory, Password

from accounts.models import Account, Contact, Contract, CostMonth, Ticket, UsageDaily
from healthscores.models import SnapshotHealth
from playbooks.models import Task, TaskSource
from surveys.models import SurveyResponse


class UserFactory(DjangoModelFactory):
    """A user who can log in with the password "password"; `groups=["CSM"]` puts them in roles."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@northstar.example")
    first_name = factory.LazyAttribute(lambda user: user.username.capitalize())
    password = Password("password")

    @factory.post_generation
    def groups(self, create: bool, names: list[str] | None, **kwargs) -> None:
        if create and names:
            self.groups.add(*(Group.objects.get(name=name) for name in names))


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    name = factory.Sequence(lambda n: f"Account {n:05d}")
    segment = "Mid-Market"
    region = "EMEA"
    owner = None
    created_on = date(2024, 1, 1)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    external_id = factory.Sequence(lambda n: f"CON-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.LazyAttribute(lambda contact: f"{contact.external_id.lower()}@customer.example")


class ContractFactory(DjangoModelFactory):
    """An open-ended paid contract since 2024-01-01."""

    class Meta:
        model = Contract

    external_id = factory.Sequence(lambda n: f"CTR-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    plan = "Growth"
    start_date = date(2024, 1, 1)
    end_date = None
    mrr = Decimal("1000.00")
    seats = 10


class TicketFactory(DjangoModelFactory):
    """An open ticket (no response yet)."""

    class Meta:
        model = Ticket

    external_id = factory.Sequence(lambda n: f"TKT-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    subject = "Cannot log in"
    priority = "normal"
    opened_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class UsageDailyFactory(DjangoModelFactory):
    class Meta:
        model = UsageDaily

    account = factory.SubFactory(AccountFactory)
    user_id = factory.Sequence(lambda n: f"u-{n}")
    date = date(2024, 3, 1)
    feature = "dashboards"
    events = 10
    minutes = 15.0
    sessions = 1


class SurveyResponseFactory(DjangoModelFactory):
    """A promoter's NPS answer."""

    class Meta:
        model = SurveyResponse

    external_id = factory.Sequence(lambda n: f"SRV-{n:05d}")
    account = factory.SubFactory(AccountFactory)
    contact = None
    kind = "nps"
    score = 9
    responded_at = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class CostMonthFactory(DjangoModelFactory):
    """One month of the cost ledger; successive instances take successive months from 2020-01."""

    class Meta:
        model = CostMonth

    month = factory.Sequence(lambda n: date(2020 + n // 12, n % 12 + 1, 1))
    sales_marketing_spend = Decimal("10000.00")
    retention_spend = Decimal("2000.00")


class ScoredSnapshotFactory(DjangoModelFactory):
    """Base of the snapshot factories: `health_score`, `health_band`, `health_model_version` (an
    id) and `health_component_scores` give the row a stored score (healthscores.SnapshotHealth),
    as the scoring would."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        health = {
            name: kwargs.pop(f"health_{name}")
            for name in ("score", "band", "model_version", "component_scores")
            if f"health_{name}" in kwargs
        }
        snapshot = super()._create(model_class, *args, **kwargs)
        if health:
            SnapshotHealth.objects.create(
                snapshot=snapshot,
                as_of=snapshot.as_of,
                account_id=snapshot.account_id,
                mrr=snapshot.mrr,
                score=health.get("score"),
                band=health.get("band", "unknown"),
                model_version_id=health.get("model_version"),
                component_scores=health.get("component_scores", []),
            )
        return snapshot


class TaskFactory(DjangoModelFactory):
    """An open task a person wrote: give `assignee` and `created_by` (who gave it decides whether
    it lets the assignee read the account)."""

    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    assignee = None
    created_by = None
    title = "Call the sponsor"
    due_on = date(2024, 4, 2)
    source = TaskSource.PERSON
