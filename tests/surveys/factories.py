"""Factories of the surveys app: an invitation is open, unsent and valid for 30 days."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from surveys.models import Invitation, Survey
from surveys.services import new_token
from tests.factories import ContactFactory


def default_survey(kind: str = "nps") -> Survey:
    """The active survey of a kind, as the migration installs it."""
    return Survey.objects.get(kind=kind, is_active=True)


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    class Params:
        kind = "nps"

    survey = factory.LazyAttribute(lambda invitation: default_survey(invitation.kind))
    contact = factory.SubFactory(ContactFactory)
    account = factory.SelfAttribute("contact.account")
    email = factory.SelfAttribute("contact.email")
    token = factory.LazyFunction(new_token)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(
        lambda invitation: invitation.created_at + timedelta(days=30)
    )
