"""Surveys inside the customer's product: whom the embedded widget asks, and what it records.

An in-app question is an `Invitation` of channel "inapp", shown instead of emailed: so the
answer goes through `services.response_record` (the same validator, detractor alert and
follow-up deadline as the emailed page), and the fatigue rule (surveys/fatigue.py) and the
unique open invitation hold across channels without a second copy of either.

The widget identifies the signed-in end user by their account's external id and their email
(`northstar.identify`); only known contacts are asked. When the key requires it, the product's
server vouches for the email with an HMAC under the key's identity secret, so a visitor holding
the public key cannot answer as someone else.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Contact
from surveys import branding, fatigue
from surveys.models import (
    SCORE_RANGES,
    Channel,
    InAppKey,
    Invitation,
    InvitationStatus,
    Survey,
    SurveyKind,
)
from surveys.services import new_token

# The order the widget tries the kinds in; the first a user may be asked wins.
KIND_ORDER = (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES)
PROMPT_DAYS = 7  # an in-app question not answered or dismissed within a week lapses
IDENTITY_SALT = "northstar.surveys.inapp.identity"


@dataclass(frozen=True)
class Identity:
    """Who the widget says is signed in, as identify() sent it (validated by the view)."""

    account_external_id: str
    email: str
    user_hash: str = ""
    signed_up_on: date | None = None


class IdentityRefused(Exception):
    """identify() did not carry a valid userHash for a key that requires one."""


def identity_secret(key: InAppKey) -> str:
    """The key's identity secret: derived from SECRET_KEY and the public key, never stored, so
    it is shown to admins on demand and changes when either does."""
    return salted_hmac(IDENTITY_SALT, key.public_key, algorithm="sha256").hexdigest()


def user_hash(key: InAppKey, email: str) -> str:
    """What the product's server sends as userHash: HMAC-SHA256 of the lower-cased email."""
    secret = identity_secret(key).encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def identity_verified(key: InAppKey, identity: Identity) -> bool:
    if not identity.user_hash:
        return not key.require_identity_verification
    return hmac.compare_digest(user_hash(key, identity.email), identity.user_hash.lower())


def _contact(identity: Identity) -> Contact | None:
    """The known, current contact of that account with that email, or None."""
    today = timezone.localdate()
    return (
        Contact.objects.select_related("account")
        .filter(
            Q(left_on__isnull=True) | Q(left_on__gt=today),
            account__external_id=identity.account_external_id,
            email__iexact=identity.email.strip(),
        )
        .order_by("pk")
        .first()
    )


def _targets(survey: Survey, contact: Contact, identity: Identity, today: date) -> bool:
    if survey.inapp_segments and contact.account.segment not in survey.inapp_segments:
        return False
    if survey.inapp_champions_only and not contact.is_champion:
        return False
    if survey.inapp_min_days_since_signup:
        if identity.signed_up_on is None:
            return False
        return (today - identity.signed_up_on).days >= survey.inapp_min_days_since_signup
    return True


def _open_inapp_invitation(contact: Contact, now: datetime) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey")
        .filter(
            contact=contact,
            channel=Channel.INAPP,
            status=InvitationStatus.PENDING,
            expires_at__gt=now,
            survey__is_active=True,
            survey__inapp_enabled=True,
        )
        .order_by("-created_at")
        .first()
    )


def question_for(key: InAppKey, identity: Identity) -> Invitation | None:
    """The question to show this user now, or None (unknown user, not targeted, asked
    recently, or nothing enabled). An open in-app question is shown again until it is answered,
    dismissed or lapses; a new one is created only within the fatigue rule of every channel.
    Raises IdentityRefused when the key requires a userHash and this one is missing or wrong."""
    if not identity_verified(key, identity):
        raise IdentityRefused
    contact = _contact(identity)
    if contact is None or not contact.email:
        return None
    now = timezone.now()
    if (shown := _open_inapp_invitation(contact, now)) is not None:
        return shown
    surveys = {
        survey.kind: survey
        for survey in Survey.objects.filter(is_active=True, inapp_enabled=True, kind__in=KIND_ORDER)
    }
    today = timezone.localdate(now)
    candidates = [
        surveys[kind]
        for kind in KIND_ORDER
        if kind in surveys and _targets(surveys[kind], contact, identity, today)
    ]
    if not candidates:
        return None
    # One query: which of the candidate kinds the fatigue rule lets through for this person.
    blocked = (
        Contact.objects.filter(pk=contact.pk)
        .annotate(
            **{
                f"recent_{s.kind}": fatigue.asked_recently(s.kind, now=now, contact=contact.pk)
                for s in candidates
            },
            **{
                f"open_{s.kind}": fatigue.has_open_invitation(
                    Q(survey__kind=s.kind), now=now, contact=contact.pk
                )
                for s in candidates
            },
        )
        .values(*[f"{p}_{s.kind}" for s in candidates for p in ("recent", "open")])
        .get()
    )
    for survey in candidates:
        if blocked[f"recent_{survey.kind}"] or blocked[f"open_{survey.kind}"]:
            continue
        try:
            with transaction.atomic():
                # A pending invitation past its expiry would hold the unique index: lapse it.
                Invitation.objects.filter(
                    survey=survey, contact=contact, status=InvitationStatus.PENDING
                ).update(status=InvitationStatus.EXPIRED)
                return Invitation.objects.create(
                    survey=survey,
                    account_id=contact.account_id,
                    contact=contact,
                    email=contact.email,
                    channel=Channel.INAPP,
                    token=new_token(),
                    created_at=now,
                    sent_at=now,
                    expires_at=now + timedelta(days=PROMPT_DAYS),
                )
        except IntegrityError:  # another tab or an email run opened one at the same moment
            return None
    return None


def question_payload(invitation: Invitation) -> dict:
    """What the widget renders: the texts (with the company's name) and the scale."""
    survey = invitation.survey
    low, high = SCORE_RANGES[survey.kind]
    return {
        "token": invitation.token,
        "kind": survey.kind,
        "question": branding.with_company(survey.question),
        "lowLabel": survey.low_label,
        "highLabel": survey.high_label,
        "followUp": branding.with_company(survey.follow_up_question),
        "low": low,
        "high": high,
    }


def inapp_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey")
        .filter(token=token, channel=Channel.INAPP)
        .first()
    )


def dismiss(invitation: Invitation) -> bool:
    """The user closed the question: not asked this kind again for 90 days (the fatigue rule).
    False when it was no longer open (answered, lapsed, dismissed already)."""
    now = timezone.now()
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.PENDING, expires_at__gt=now
        ).update(status=InvitationStatus.DISMISSED, dismissed_at=now)
    )
