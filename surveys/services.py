"""Writes of the surveys app: inviting contacts, sending the emails, recording an answer from
the public page, and closing the loop on detractors with an alert for the account's owner.

Views, admin actions, tasks and other apps (playbooks) all come through here, so the duplicate
rules and the alert rule exist once.
"""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.bulk import bulk_action_record
from accounts.filters import ViewFilter, filter_accounts
from accounts.importer.records import SURVEY_PAGE_PREFIX
from accounts.models import Account, BulkAction, BulkActionKind, Contact
from audit import services as audit
from healthscores.models import Alert, AlertReason, AlertStatus
from surveys import branding, fatigue
from surveys.models import (
    Channel,
    Invitation,
    InvitationStatus,
    Survey,
    SurveyResponse,
    is_detractor,
)
from surveys.signals import response_recorded

logger = logging.getLogger("northstar.surveys")

RECENT_RESPONSE_DAYS = fatigue.RECENT_DAYS  # see surveys/fatigue.py: one rule for every channel
MAX_EXPIRY_DAYS = 365
EMAIL_BATCH = 100  # invitations per email task
FOLLOW_UP_BUSINESS_DAYS = 2  # a detractor's alert is due within two business days
ALERT_DETAILS_MAX = 4000
TOKEN_BYTES = 32  # 256 bits from `secrets`, 43 URL-safe characters


@dataclass(frozen=True)
class InvitationOutcome:
    """What an invitation run did: how many it created and why it skipped the others."""

    created: int
    skipped_recent_response: int
    skipped_open_invitation: int
    skipped_no_email: int
    invitations: list[Invitation] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.skipped_recent_response + self.skipped_open_invitation + self.skipped_no_email

    def summary(self) -> str:
        """One sentence for a message: 'Survey sent to 3 contacts; skipped 2: ...'."""
        sent = f"sent to {self.created} contact{'s' if self.created != 1 else ''}"
        reasons = [
            (self.skipped_recent_response, f"answered in the last {RECENT_RESPONSE_DAYS} days"),
            (self.skipped_open_invitation, "already have an open invitation"),
            (self.skipped_no_email, "have no email address"),
        ]
        skipped = [f"{count} {reason}" for count, reason in reasons if count]
        return f"Survey {sent}" + (
            f"; skipped {self.skipped}: {', '.join(skipped)}" if skipped else ""
        )


class SurveyNotActive(ValueError):
    pass


def new_token() -> str:
    """An unguessable token for a public survey link (256 bits from the OS's CSPRNG)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _contacts_query(contacts: QuerySet[Contact] | Iterable[Contact]) -> QuerySet[Contact]:
    if isinstance(contacts, QuerySet):
        return Contact.objects.filter(pk__in=contacts.values("pk"))
    return Contact.objects.filter(pk__in=[contact.pk for contact in contacts])


def invite_contacts(
    *,
    survey: Survey,
    contacts: QuerySet[Contact] | Iterable[Contact],
    invited_by: AbstractBaseUser | None = None,
    expires_in_days: int = 30,
) -> InvitationOutcome:
    """Invite each contact to answer `survey`, and queue the emails when the transaction commits.

    Skipped, and counted as such: a contact without an email address; one who answered the same
    kind of survey in the last 90 days (imported and in-app answers count) or dismissed its
    question in the product (surveys/fatigue.py, the rule of every channel); one who already
    has an open invitation to this survey (resending never makes a second one; an expired one
    does not count). The checks are one query for all contacts, and a unique index settles a
    race between two runs. Raises SurveyNotActive for an inactive survey, ValueError for an
    expiry outside 1..365 days. Works inside a caller's transaction: the emails wait for its commit.
    """
    if not survey.is_active:
        raise SurveyNotActive(f"The survey {survey} is not active.")
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}.")
    now = timezone.now()
    chosen = _contacts_query(contacts)
    with transaction.atomic():
        # An invitation past its expiry is no longer open: mark it, so the unique index of
        # pending invitations lets a new one in.
        Invitation.objects.filter(
            survey=survey, contact__in=chosen, status=InvitationStatus.PENDING, expires_at__lte=now
        ).update(status=InvitationStatus.EXPIRED)
        rows = _classified(chosen, survey=survey, now=now)
        no_email = [row for row in rows if not row[2]]
        recent = [row for row in rows if row[2] and row[3]]
        open_ = [row for row in rows if row[2] and not row[3] and row[4]]
        eligible = [row for row in rows if row[2] and not row[3] and not row[4]]
        expires_at = now + timedelta(days=expires_in_days)
        new = [
            Invitation(survey=survey, contact_id=pk, account_id=account_id, email=email,
                       token=new_token(), invited_by=invited_by, created_at=now,
                       expires_at=expires_at)
            for pk, account_id, email, _recent, _open in eligible
        ]  # fmt: skip
        # A concurrent run may have invited the same contact since the check: the unique index
        # drops that row, which then counts as having an open invitation.
        Invitation.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        created = list(Invitation.objects.filter(token__in=[i.token for i in new]).order_by("pk"))
        if created:
            transaction.on_commit(partial(invitation_emails_enqueue, [i.pk for i in created]))
            # One entry for the batch of invitations, with its counts.
            audit.record("survey.invite", obj=survey, details={
                "invited": len(created), "skipped": len(rows) - len(created)})  # fmt: skip
    return InvitationOutcome(
        created=len(created),
        skipped_recent_response=len(recent),
        skipped_open_invitation=len(open_) + len(new) - len(created),
        skipped_no_email=len(no_email),
        invitations=created,
    )


def _classified(contacts: QuerySet[Contact], *, survey: Survey, now) -> list[tuple]:
    """(pk, account_id, email, answered recently, has an open invitation) per contact."""
    return list(
        contacts.annotate(
            answered_recently=fatigue.asked_recently(survey.kind, now=now),
            invited=fatigue.has_open_invitation(Q(survey=survey), now=now),
        )
        .order_by("pk")
        .values_list("pk", "account_id", "email", "answered_recently", "invited")
    )


def _current_contacts() -> Q:
    """Contacts still at their company: those who left are not surveyed."""
    return Q(left_on__isnull=True) | Q(left_on__gt=timezone.localdate())


def invite_account(
    *,
    survey: Survey,
    account: Account,
    invited_by: AbstractBaseUser | None = None,
    expires_in_days: int = 30,
) -> InvitationOutcome:
    """Invite every current contact of the account (not those who left); see invite_contacts."""
    return invite_accounts(
        survey=survey,
        accounts=Account.objects.filter(pk=account.pk),
        invited_by=invited_by,
        expires_in_days=expires_in_days,
    )


def invite_accounts(
    *,
    survey: Survey,
    accounts: QuerySet[Account],
    invited_by: AbstractBaseUser | None = None,
    expires_in_days: int = 30,
) -> InvitationOutcome:
    """Invite every current contact of a filtered set of accounts (the admin action), in one
    pass whatever their number; see invite_contacts for the rules."""
    contacts = Contact.objects.filter(_current_contacts(), account__in=accounts.values("pk"))
    return invite_contacts(
        survey=survey, contacts=contacts, invited_by=invited_by, expires_in_days=expires_in_days
    )


def invite_accounts_bulk(
    *, user: AbstractBaseUser, account_ids: list[int], survey: Survey
) -> BulkAction:
    """Send `survey` to the current contacts of the chosen accounts (a bulk action from the
    accounts list), by invite_accounts' rules, and record it in the same transaction; the
    emails leave when it commits. Undone by invitations_bulk_revert."""
    with transaction.atomic():
        outcome = invite_accounts(
            survey=survey, accounts=Account.objects.filter(pk__in=account_ids), invited_by=user
        )
        return bulk_action_record(
            kind=BulkActionKind.SURVEY, user=user, account_ids=account_ids,
            value={"survey": survey.pk},
            summary=f"\u201c{survey}\u201d: {outcome.summary()}"[:300],
            created_ids=[i.pk for i in outcome.invitations],
        )  # fmt: skip


def invitations_bulk_revert(action: BulkAction) -> list[int]:
    """Undo of invite_accounts_bulk: the action's invitations not answered yet are withdrawn
    (marked expired, so their links say the survey is closed and unsent emails are never sent;
    an email already delivered cannot be recalled). Answered ones are kept. The ids withdrawn."""
    open_ = Invitation.objects.filter(pk__in=action.created_ids, status=InvitationStatus.PENDING)
    withdrawn = list(open_.select_for_update().values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=withdrawn).update(status=InvitationStatus.EXPIRED)
    return withdrawn


# Emails


def invitation_emails_enqueue(invitation_ids: list[int]) -> None:
    """Queue the emails, a task per batch. Called on commit: when the broker cannot be reached
    the invitations stay unsent (the admin's "send unsent emails" action queues them again)
    rather than failing the request that created them."""
    from surveys.tasks import send_invitations

    for start in range(0, len(invitation_ids), EMAIL_BATCH):
        batch = invitation_ids[start : start + EMAIL_BATCH]
        try:
            send_invitations.apply_async(args=[batch], retry=False)
        except (OperationalError, OSError):
            logger.warning("broker unreachable: %d survey emails left unsent", len(batch))


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("survey_respond", args=[invitation.token])


def _message(invitation: Invitation) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "survey": invitation.survey,
        "contact": invitation.contact,
        "url": invitation_url(invitation),
        "company": branding.company(),
    }
    message = EmailMultiAlternatives(
        subject=branding.with_company(invitation.survey.email_subject),
        body=render_to_string("surveys/email/invitation.txt", context),
        from_email=branding.from_email(),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("surveys/email/invitation.html", context), "text/html"
    )
    return message


def invitation_emails_send(*, invitation_ids: list[int]) -> int:
    """Email the invitations among `invitation_ids` that are still open and not yet sent, through
    Django's email backend (EMAIL_URL); returns how many were sent. Each sent one is marked,
    so a retry after a failure half-way sends only the rest."""
    now = timezone.now()
    invitations = list(
        Invitation.objects.filter(
            pk__in=invitation_ids,
            channel=Channel.EMAIL,
            status=InvitationStatus.PENDING,
            sent_at__isnull=True,
            expires_at__gt=now,
        )
        .select_related("survey", "contact")
        .order_by("pk")
    )
    if not invitations:
        return 0
    sent: list[int] = []
    try:
        with get_connection() as connection:
            for invitation in invitations:
                connection.send_messages([_message(invitation)])
                sent.append(invitation.pk)
    except Exception as exc:
        failed = [i.pk for i in invitations if i.pk not in set(sent)]
        Invitation.objects.filter(pk__in=failed).update(send_error=str(exc)[:500])
        raise
    finally:
        Invitation.objects.filter(pk__in=sent).update(sent_at=timezone.now(), send_error="")
    return len(sent)


def unsent_invitation_ids(invitations: QuerySet[Invitation]) -> list[int]:
    return list(
        invitations.filter(
            channel=Channel.EMAIL,
            status=InvitationStatus.PENDING,
            sent_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).values_list("pk", flat=True)
    )


# Answers from the public page


class InvitationClosed(Exception):
    """The invitation cannot take an answer: `reason` is "answered" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _page_external_id(invitation: Invitation) -> str:
    """`survey-page-<invitation id>`: the import and the API refuse the prefix. A row that took
    the id before the prefix was reserved keeps it, and this answer gets a suffix: a customer's
    submit never fails on someone else's key."""
    external_id = f"{SURVEY_PAGE_PREFIX}{invitation.pk}"
    if SurveyResponse.objects.filter(external_id=external_id).exists():
        logger.warning("%s was taken by another record; the answer gets a suffix", external_id)
        external_id = f"{external_id}-{secrets.token_hex(4)}"
    return external_id


def response_record(*, invitation_id: int, score: int, comment: str) -> SurveyResponse:
    """Store the answer to an invitation (score and comment validated by the surveys.csv rules,
    see surveys.forms.ResponseForm): attributed to the invitation's account and contact,
    timestamped now. One answer per invitation: the row is locked, so a double submit stores
    one answer and the other raises InvitationClosed. A detractor raises or joins the owner's
    follow-up alert in the same transaction; `response_recorded` is sent after commit."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "account", "contact")
            .get(pk=invitation_id)
        )
        if invitation.status == InvitationStatus.ANSWERED:
            raise InvitationClosed("answered")
        if invitation.is_expired:
            raise InvitationClosed("expired")
        response = SurveyResponse.objects.create(
            external_id=_page_external_id(invitation),
            account=invitation.account,
            contact=invitation.contact,
            kind=invitation.survey.kind,
            score=score,
            comment=comment.strip(),
            responded_at=now,
        )
        invitation.status = InvitationStatus.ANSWERED
        invitation.responded_at = now
        invitation.response = response
        if is_detractor(response.kind, response.score):
            due_on = add_business_days(timezone.localdate(now), FOLLOW_UP_BUSINESS_DAYS)
            invitation.alert = detractor_alert_raise(response=response, due_on=due_on)
            invitation.follow_up_due_on = due_on
        invitation.save(
            update_fields=["status", "responded_at", "response", "alert", "follow_up_due_on"]
        )
        audit.record_created(
            "surveyresponse.create", response, label=f"{response} ({invitation.account})"
        )
        transaction.on_commit(
            partial(response_recorded.send, sender=SurveyResponse, response=response)
        )
    return response


# Closing the loop


def add_business_days(day: date, days: int) -> date:
    """The date `days` business days (Monday to Friday) after `day`; holidays are not known."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _detractor_line(response: SurveyResponse) -> str:
    contact = response.contact
    who = (
        f" from {contact} ({contact.email})"
        if contact and contact.email
        else (f" from {contact}" if contact else "")
    )
    said = f': "{response.comment}"' if response.comment else " (no comment)"
    return f"{response.get_kind_display()} {response.score}{who}{said}"


def detractor_alert_raise(*, response: SurveyResponse, due_on: date) -> Alert:
    """The owner's detractor alert for this answer. The account has at most one unclosed alert
    per reason (a unique index), so a detractor while one is open joins it: its comment is
    added to the details and the due date is the earlier of the two (an acknowledged alert
    takes the new one, since the new answer has not been followed up yet)."""
    unclosed = Alert.objects.select_for_update().filter(
        account_id=response.account_id,
        reason=AlertReason.DETRACTOR,
        status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED],
    )
    line = _detractor_line(response)
    alert = unclosed.first()
    if alert is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent detractor may open it first
                return Alert.objects.create(
                    account_id=response.account_id,
                    owner_id=response.account.owner_id,
                    reason=AlertReason.DETRACTOR,
                    as_of=timezone.localdate(response.responded_at),
                    details=line[:ALERT_DETAILS_MAX],
                    due_on=due_on,
                )
        except IntegrityError:
            alert = unclosed.get()
    alert.details = f"{line}\n{alert.details}"[:ALERT_DETAILS_MAX]
    if alert.status == AlertStatus.OPEN and alert.due_on:
        alert.due_on = min(alert.due_on, due_on)
    else:
        alert.due_on = due_on
    alert.save(update_fields=["details", "due_on"])
    return alert


def invite_view(
    *,
    survey: Survey,
    accounts: QuerySet[Account],
    spec: ViewFilter,
    invited_by: AbstractBaseUser | None,
    as_of: date | None = None,
    expires_in_days: int = 30,
) -> InvitationOutcome:
    """Survey targeting by a view: every current contact of the accounts among `accounts` (the
    caller's access rule: those the sender may act on) that the view's filter matches on
    `as_of` (None: the newest snapshot), through the one filter compiler (accounts.filters)."""
    targeted = filter_accounts(accounts, spec, as_of=as_of, user=invited_by)
    return invite_accounts(
        survey=survey, accounts=targeted, invited_by=invited_by, expires_in_days=expires_in_days
    )
