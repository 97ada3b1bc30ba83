"""Surveys: what we ask (Survey), whom we asked (Invitation) and what they said (SurveyResponse).

SurveyResponse is the voice of the customer that NPS, CSAT, CES and health scores read; the CSV
import and the public survey page both fill it, through the one validator of kpi-spec section 2
(accounts/importer/records.py), which reads SCORE_RANGES from here.
"""

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Contact


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"


# The score range of each kind (kpi-spec section 2), inclusive.
SCORE_RANGES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5), SurveyKind.CES: (1, 7)}

# Score groups per kind: (highest detractor score, lowest promoter score); between is passive.
# The one survey cut-off: every page, chart, export, alert, playbook and SQL statement reads it
# through `score_group`, `score_group_condition` or `SCORE_CUTOFFS`.
# NPS follows kpi-spec section 5 (detractors 0-6, passives 7-8, promoters 9-10). CSAT's
# promoters are its "satisfied" answers (4-5), the numerator of kpi-spec section 5's csat. A CSAT
# of 3 is passive: the scale's own middle ("neither satisfied nor dissatisfied"), not satisfied,
# so it lowers CSAT, but no cause for a follow-up; detractors (1-2) are the unhappy answers. CES
# 7 is the easiest: 1-3 detractors, 4-5 passives, 6-7 promoters. Detractors are the answers that
# call for a follow-up by the account's owner (an alert, the detractor playbook).
SCORE_GROUPS = {SurveyKind.NPS: (6, 9), SurveyKind.CSAT: (2, 4), SurveyKind.CES: (3, 6)}

# The same cut-offs as SQL parameters, e.g. `score >= %(nps_promoter_min)s`.
SCORE_CUTOFFS = {
    **{f"{kind.value}_detractor_max": top for kind, (top, _bottom) in SCORE_GROUPS.items()},
    **{f"{kind.value}_promoter_min": bottom for kind, (_top, bottom) in SCORE_GROUPS.items()},
}


class ScoreGroup(models.TextChoices):
    DETRACTOR = "detractor", "Detractors"
    PASSIVE = "passive", "Passives"
    PROMOTER = "promoter", "Promoters"


def score_group(kind: str, score: int) -> str:
    """detractor, passive or promoter: the group of one answer (see SCORE_GROUPS)."""
    detractor_max, promoter_min = SCORE_GROUPS[kind]
    if score <= detractor_max:
        return ScoreGroup.DETRACTOR
    return ScoreGroup.PROMOTER if score >= promoter_min else ScoreGroup.PASSIVE


def is_detractor(kind: str, score: int) -> bool:
    """A detractor answer (NPS 0-6, CSAT 1-2, CES 1-3): it raises a follow-up alert."""
    return score_group(kind, score) == ScoreGroup.DETRACTOR


def score_group_condition(group: str, prefix: str = "") -> Q:
    """The responses of a score group across the three kinds, as a filter."""
    condition = Q()
    for kind, (detractor_max, promoter_min) in SCORE_GROUPS.items():
        bounds = {
            ScoreGroup.DETRACTOR: {"score__lte": detractor_max},
            ScoreGroup.PASSIVE: {"score__gt": detractor_max, "score__lt": promoter_min},
            ScoreGroup.PROMOTER: {"score__gte": promoter_min},
        }[group]
        condition |= Q(**{f"{prefix}kind": kind, **{prefix + k: v for k, v in bounds.items()}})
    return condition


def _score_in_range() -> Q:
    condition = Q()
    for kind, (low, high) in SCORE_RANGES.items():
        condition |= Q(kind=kind, score__gte=low, score__lte=high)
    return condition


class SurveyResponse(models.Model):
    external_id = models.CharField(max_length=128, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="survey_responses")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True, default="")
    responded_at = models.DateTimeField()

    class Meta:
        ordering = ["-responded_at"]
        constraints = [
            models.CheckConstraint(condition=_score_in_range(), name="survey_score_in_range"),
        ]
        indexes = [
            # Per-account trailing 180 days, and the account page's latest comments.
            models.Index(fields=["account", "responded_at"], name="survey_account_resp_idx"),
            # Portfolio sentiment of a month, by kind.
            models.Index(fields=["responded_at", "kind"], name="survey_responded_idx"),
            # The invitation rule "answered this kind in the last 90 days", per contact.
            models.Index(
                fields=["contact", "kind", "responded_at"], name="survey_contact_kind_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} from {self.account_id}"

    @property
    def group(self) -> str:
        return score_group(self.kind, self.score)

    @property
    def is_detractor(self) -> bool:
        return is_detractor(self.kind, self.score)


class Survey(models.Model):
    """One question on a scale, and the follow-up question; at most one active per kind, which
    is the one invitations send (admins edit the wording)."""

    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    name = models.CharField(max_length=100)
    question = models.CharField(max_length=300)
    low_label = models.CharField(
        max_length=60, help_text="The label under the lowest score, e.g. 'Not at all likely'."
    )
    high_label = models.CharField(
        max_length=60, help_text="The label under the highest score, e.g. 'Extremely likely'."
    )
    follow_up_question = models.CharField(
        max_length=300, default="What is the main reason for your score?"
    )
    email_subject = models.CharField(max_length=200)
    email_intro = models.TextField(
        max_length=2000,
        help_text="The paragraph above the link in the invitation email.",
    )
    is_active = models.BooleanField(default=True)
    # In the product (docs/inapp.md): whom the embedded widget may ask this survey.
    inapp_enabled = models.BooleanField(
        "ask in the product",
        default=False,
        help_text="Show this survey to signed-in users of your product through the in-app "
        "widget, within the same once-per-90-days rule as email.",
    )
    inapp_segments = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        verbose_name="in-app segments",
        help_text="Ask only users of accounts in these segments (comma-separated); empty: all.",
    )
    inapp_champions_only = models.BooleanField(
        "in-app: champions only",
        default=False,
        help_text="Ask only contacts marked as champions.",
    )
    inapp_min_days_since_signup = models.PositiveIntegerField(
        "in-app: days since signup",
        default=0,
        help_text="Ask only users who signed up at least this many days ago (the widget's "
        "signedUpAt); 0 asks everyone, and a user whose signup date is not sent is asked only "
        "when this is 0.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_active=True),
                name="one_active_survey_per_kind",
                violation_error_message=(
                    "Another survey of this kind is active: switch it off first, so that "
                    "invitations always know which survey to send."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> range:
        low, high = SCORE_RANGES[self.kind]
        return range(low, high + 1)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    EXPIRED = "expired", "Expired"
    DISMISSED = "dismissed", "Dismissed in the product"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    INAPP = "inapp", "In the product"


class Invitation(models.Model):
    """A survey sent to one contact: the unguessable token of its public page, its expiry, the
    email's delivery and, once answered, the response and the follow-up alert it raised."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    email = models.EmailField(max_length=254, help_text="The address it was sent to.")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    token = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=500, blank=True, default="")
    responded_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="invitation",
    )  # fmt: skip
    # Closing the loop on a detractor: the alert it raised (or joined) and when it is due.
    alert = models.ForeignKey(
        "healthscores.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follow_up_due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Resending never makes a second open invitation for the same contact and survey.
            models.UniqueConstraint(
                fields=["survey", "contact"],
                condition=Q(status="pending"),
                name="one_pending_invitation_per_contact",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(status="answered", responded_at__isnull=False)
                | (~Q(status="answered") & Q(responded_at__isnull=True)),
                name="invitation_answered_has_time",
            ),
        ]
        indexes = [
            # The fatigue rule: a question dismissed in the product in the last 90 days.
            models.Index(
                fields=["contact", "dismissed_at"],
                condition=Q(status="dismissed"),
                name="invitation_dismissed_idx",
            ),
            # The results page's response rate: invitations by the month they were created.
            models.Index(fields=["created_at"], name="invitation_created_idx"),
            # Detractor follow-up figures: answered invitations with an alert, by answer time.
            models.Index(
                fields=["responded_at"],
                condition=Q(alert__isnull=False),
                name="invitation_followup_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} to {self.email}"

    @property
    def is_expired(self) -> bool:
        return self.status == InvitationStatus.EXPIRED or (
            self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()
        )

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired


def new_public_key() -> str:
    return f"pk_{secrets.token_urlsafe(18)}"


class InAppKey(models.Model):
    """The public key a customer's product embeds with the in-app widget (docs/inapp.md). It is
    not a secret: what guards it is the list of origins allowed to use it, the rate limits and,
    when required, the identity hash the product's server computes for each user."""

    name = models.CharField(max_length=100, help_text="Where it is embedded, e.g. 'Web app'.")
    public_key = models.CharField(max_length=40, unique=True, default=new_public_key)
    allowed_origins = models.TextField(
        help_text="One origin per line, e.g. https://app.example.com (scheme, host and port; "
        "no path). Requests from any other origin are refused."
    )
    require_identity_verification = models.BooleanField(
        default=False,
        help_text="Refuse a user unless identify() carries userHash, the HMAC-SHA256 of the "
        "user's email under this key's identity secret (computed by your server).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "in-app key"

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> set[str]:
        return {
            line.strip().rstrip("/").lower()
            for line in self.allowed_origins.splitlines()
            if line.strip()
        }
