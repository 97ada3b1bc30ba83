"""Admin for surveys: edit the surveys' wording, follow invitations, browse responses, and the
Accounts action that sends a survey to every contact of a filtered set of accounts."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from audit.admin import AuditedModelAdmin
from surveys import inapp, services
from surveys.defaults import INVITE_PERMISSION
from surveys.forms import SendSurveyForm
from surveys.models import InAppKey, Invitation, InvitationStatus, Survey, SurveyResponse


@admin.register(Survey)
class SurveyAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "is_active", "question", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "question")
    fieldsets = (
        (None, {"fields": ("kind", "name", "is_active")}),
        ("Question", {"fields": ("question", "low_label", "high_label", "follow_up_question")}),
        ("Invitation email", {"fields": ("email_subject", "email_intro")}),
        (
            "In the product (docs/inapp.md)",
            {
                "fields": (
                    "inapp_enabled",
                    "inapp_segments",
                    "inapp_champions_only",
                    "inapp_min_days_since_signup",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Answers already given were given on this scale: its kind stays once it was sent.
        if obj is not None and obj.invitations.exists():
            return ("kind",)
        return ()


class InvitationStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open"), ("unsent", "Open, email not sent"), ("answered", "Answered"),
                ("expired", "Expired"), ("dismissed", "Dismissed in the product"))  # fmt: skip

    def queryset(self, request, queryset):
        now = timezone.now()
        pending = queryset.filter(status=InvitationStatus.PENDING)
        return {
            "open": pending.filter(expires_at__gt=now),
            "unsent": pending.filter(expires_at__gt=now, sent_at__isnull=True),
            "answered": queryset.filter(status=InvitationStatus.ANSWERED),
            "expired": queryset.filter(status=InvitationStatus.EXPIRED)
            | pending.filter(expires_at__lte=now),
            "dismissed": queryset.filter(status=InvitationStatus.DISMISSED),
        }.get(self.value(), queryset)


@admin.register(Invitation)
class InvitationAdmin(AuditedModelAdmin):
    list_display = ("created_at", "survey", "account", "email", "state", "sent_at",
                    "expires_at", "responded_at", "invited_by")  # fmt: skip
    list_filter = (InvitationStateFilter, "survey__kind", "survey")
    search_fields = ("email", "account__name", "contact__name")
    date_hierarchy = "created_at"
    list_select_related = ("survey", "account", "invited_by")
    readonly_fields = ("survey", "account", "contact", "email", "status", "invited_by",
                       "created_at", "expires_at", "sent_at", "send_error", "responded_at",
                       "response", "alert", "follow_up_due_on")  # fmt: skip
    exclude = ("token",)  # the link is the customer's alone
    actions = ("send_unsent_emails",)

    @admin.display(description="State")
    def state(self, invitation: Invitation) -> str:
        if invitation.is_expired:
            return "Expired"
        if invitation.status == InvitationStatus.PENDING:
            return "Open" if invitation.sent_at else "Open, not sent yet"
        return invitation.get_status_display()

    def has_add_permission(self, request) -> bool:
        return False  # invitations come from the account page, the Accounts action or playbooks

    @admin.action(description="Send the emails of selected open invitations not sent yet")
    def send_unsent_emails(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        ids = services.unsent_invitation_ids(queryset)
        services.invitation_emails_enqueue(ids)
        self.message_user(request, f"{len(ids)} email(s) queued.", messages.SUCCESS)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(AuditedModelAdmin):
    list_display = ("responded_at", "account", "contact", "kind", "score")
    list_filter = ("kind", "score")
    search_fields = ("comment", "external_id", "account__name")
    autocomplete_fields = ("account", "contact")
    date_hierarchy = "responded_at"
    list_select_related = ("account", "contact")


@admin.action(description="Send a survey to every contact of the selected accounts")
def send_survey_to_accounts(modeladmin, request: HttpRequest, queryset: QuerySet):
    """Ask which survey and for how long, then invite the current contacts of every selected
    account (with "select all", every account of the filter) in one run."""
    if not request.user.has_perm(f"surveys.{INVITE_PERMISSION}"):
        modeladmin.message_user(request, "Your role may not send surveys.", messages.ERROR)
        return None
    form = SendSurveyForm(request.POST if "send" in request.POST else None)
    if form.is_bound and form.is_valid():
        outcome = services.invite_accounts(
            survey=form.cleaned_data["survey"],
            accounts=queryset,
            invited_by=request.user,
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        level = messages.SUCCESS if outcome.created else messages.WARNING
        modeladmin.message_user(request, f"{outcome.summary()}.", level)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Send a survey",
        "opts": modeladmin.model._meta,
        "form": form,
        "accounts": queryset.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": "send_survey_to_accounts",
    }
    return TemplateResponse(request, "admin/surveys/send_survey.html", context)


@admin.register(InAppKey)
class InAppKeyAdmin(admin.ModelAdmin):
    """The keys customers' products embed; the page shows the snippet to paste and the identity
    secret their server signs emails with (docs/inapp.md)."""

    list_display = ("name", "public_key", "is_active", "require_identity_verification")
    readonly_fields = ("public_key", "snippet", "identity_secret", "created_at")
    fields = ("name", "is_active", "allowed_origins", "require_identity_verification",
              "public_key", "snippet", "identity_secret", "created_at")  # fmt: skip

    @admin.display(description="Embed in your product")
    def snippet(self, obj: InAppKey) -> str:
        if not obj.pk:
            return "Saved keys show the snippet here."
        from django.conf import settings

        return format_html(
            '<pre>&lt;script src="{}/static/northstar-inapp.js" data-key="{}" defer&gt;'
            "&lt;/script&gt;\n&lt;!-- then, from your own script file, once the user is known:"
            " --&gt;\nnorthstar.identify({{userId, email, accountId, userHash, signedUpAt}});"
            "</pre>",
            settings.SITE_URL,
            obj.public_key,
        )

    @admin.display(description="Identity secret (keep it on your server)")
    def identity_secret(self, obj: InAppKey) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            "<code>{}</code><br>userHash = HMAC-SHA256(secret, lower-cased email), hex.",
            inapp.identity_secret(obj),
        )
