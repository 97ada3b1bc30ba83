"""The one fatigue rule, for every channel (email, in the product): a person is not asked a
survey of a kind if, in the last 90 days, they answered one of that kind (through any channel,
imported answers included) or dismissed that kind's question in the product; and never while
they hold an open invitation to it, whichever channel opened it (a partial unique index,
`one_pending_invitation_per_contact`, settles races between channels)."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from surveys.models import Invitation, InvitationStatus, SurveyResponse

RECENT_DAYS = 90


def asked_recently(kind: str, *, now: datetime, contact=None) -> Exists:
    """True for a contact (the outer query's row, or `contact`'s pk) who answered `kind` or
    dismissed its in-app question within RECENT_DAYS: one EXISTS over each table."""
    contact = OuterRef("pk") if contact is None else contact
    since = now - timedelta(days=RECENT_DAYS)
    answered = SurveyResponse.objects.filter(contact=contact, kind=kind, responded_at__gte=since)
    dismissed = Invitation.objects.filter(
        contact=contact,
        survey__kind=kind,
        status=InvitationStatus.DISMISSED,
        dismissed_at__gte=since,
    )
    return Exists(answered) | Exists(dismissed)


def has_open_invitation(survey_filter: Q, *, now: datetime, contact=None) -> Exists:
    """True for a contact with a pending, unexpired invitation to a survey matching
    `survey_filter` (e.g. Q(survey=s) for email, Q(survey__kind=k) for the widget)."""
    contact = OuterRef("pk") if contact is None else contact
    return Exists(
        Invitation.objects.filter(
            survey_filter, contact=contact, status=InvitationStatus.PENDING, expires_at__gt=now
        )
    )
