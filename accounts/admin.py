"""Admin for the raw records: browse and correct; bulk loads go through import_data."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import (
    Account,
    Contact,
    Contract,
    CostMonth,
    CustomField,
    ImportLog,
    Note,
    SsoIdentity,
    Ticket,
    UsageDaily,
    UsageFeature,
    View,
)
from accounts.sessions import user_sessions, user_sessions_end
from audit import services as audit
from audit.admin import AuditedModelAdmin, AuditedUserAdmin
from surveys.admin import send_survey_to_accounts


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("external_id", "name", "email", "title", "is_champion", "left_on")


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("external_id", "plan", "start_date", "end_date", "mrr", "seats", "one_time_fee")


@admin.register(CustomField)
class CustomFieldAdmin(AuditedModelAdmin):
    list_display = ("label", "key", "target", "field_type")
    list_filter = ("target", "field_type")
    search_fields = ("label", "key")

    def get_readonly_fields(self, request, obj=None):
        # The key names an import column and the stored values: renaming it would orphan them.
        return ("key", "target") if obj else ()


@admin.register(Account)
class AccountAdmin(AuditedModelAdmin):
    list_display = ("name", "external_id", "segment", "region", "owner", "lifecycle_stage",
                    "created_on")  # fmt: skip
    list_filter = ("segment", "region", "lifecycle_stage", "industry")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("owner", "parent")
    date_hierarchy = "created_on"
    list_select_related = ("owner",)
    inlines = (ContactInline, ContractInline)
    actions = (send_survey_to_accounts,)


@admin.register(Contact)
class ContactAdmin(AuditedModelAdmin):
    list_display = ("name", "email", "account", "title", "is_champion", "left_on")
    list_filter = ("is_champion",)
    search_fields = ("name", "email", "external_id", "account__name")
    autocomplete_fields = ("account",)
    list_select_related = ("account",)


@admin.register(Contract)
class ContractAdmin(AuditedModelAdmin):
    list_display = ("external_id", "account", "plan", "start_date", "end_date", "mrr", "seats")
    list_filter = ("plan",)
    search_fields = ("external_id", "account__name")
    autocomplete_fields = ("account",)
    date_hierarchy = "start_date"
    list_select_related = ("account",)


@admin.register(Ticket)
class TicketAdmin(AuditedModelAdmin):
    list_display = ("external_id", "subject", "account", "priority", "opened_at",
                    "first_response_at", "resolved_at")  # fmt: skip
    list_filter = ("priority", "resolved_on_first_contact")
    search_fields = ("external_id", "subject", "account__name")
    autocomplete_fields = ("account",)
    date_hierarchy = "opened_at"
    list_select_related = ("account",)


@admin.register(UsageDaily)
class UsageDailyAdmin(AuditedModelAdmin):
    list_display = ("date", "account", "user_id", "feature", "events", "minutes", "sessions")
    list_filter = ("feature",)
    search_fields = ("user_id", "account__name", "account__external_id")
    autocomplete_fields = ("account",)
    date_hierarchy = "date"
    list_select_related = ("account",)
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(Note)
class NoteAdmin(AuditedModelAdmin):
    list_display = ("account", "author", "created_at")
    search_fields = ("body", "account__name")
    autocomplete_fields = ("account", "author")
    date_hierarchy = "created_at"
    list_select_related = ("account", "author")


@admin.register(CostMonth)
class CostMonthAdmin(AuditedModelAdmin):
    list_display = ("month", "sales_marketing_spend", "retention_spend")
    date_hierarchy = "month"


@admin.register(ImportLog)
class ImportLogAdmin(AuditedModelAdmin):
    list_display = ("kind", "source", "rows", "imported_at")
    list_filter = ("kind", "source")
    date_hierarchy = "imported_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UsageFeature)
class UsageFeatureAdmin(AuditedModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)

    def has_add_permission(self, request) -> bool:
        return False  # kept by a database trigger on usage rows

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(View)
class ViewAdmin(admin.ModelAdmin):
    """Views are saved from the accounts list (its form reads the filter); here admins rename
    them, change who sees them, or delete them. The filter itself is shown, not edited."""

    list_display = ("name", "visibility", "team", "owner", "updated_at")
    list_filter = ("visibility", "team")
    search_fields = ("name", "description")
    list_select_related = ("owner", "team")
    fields = ("name", "description", "owner", "visibility", "team", "definition", "tracked_since")
    readonly_fields = ("owner", "definition", "tracked_since")

    def has_add_permission(self, request) -> bool:
        return False  # saved from the accounts list, which reads the filter


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class NorthstarUserAdmin(AuditedUserAdmin):
    """Django's user admin, with the user's sessions: a page listing them, where an admin who
    may change the user ends one, several or all."""

    readonly_fields = (*UserAdmin.readonly_fields, "sessions_link", "sso_identity_shown")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Sign-in", {"fields": ("sso_identity_shown", "sessions_link")}),
    )

    def get_urls(self):
        view = self.admin_site.admin_view(self.sessions_view)
        view.model_admin = self  # as the admin's own views carry it
        sessions = path("<path:object_id>/sessions/", view, name="auth_user_sessions")
        return [sessions, *super().get_urls()]

    @admin.display(description="Sessions")
    def sessions_link(self, user) -> str:
        if user.pk is None:
            return "-"
        url = reverse("admin:auth_user_sessions", args=[user.pk])
        return format_html('<a href="{}">See and end this user\'s sessions</a>', url)

    @admin.display(description="Single sign-on")
    def sso_identity_shown(self, user) -> str:
        identity = SsoIdentity.objects.filter(user=user).first() if user.pk else None
        return str(identity) if identity else "None: signs in with a password"

    def sessions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        user = get_object_or_404(User, pk=object_id)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if request.method == "POST":
            chosen = None if "end_all" in request.POST else request.POST.getlist("session")
            ids = None if chosen is None else [int(pk) for pk in chosen if pk.isdigit()]
            ended = user_sessions_end(
                user=user, reason=f"ended by {request.user.get_username()}", session_ids=ids
            )
            audit.record("user.sessions_end", obj=user, details={"ended": ended})
            messages.success(request, f"{ended} session{'s' * (ended != 1)} ended.")
            return redirect("admin:auth_user_sessions", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Sessions of {user.get_username()}",
            "subject": user,
            "sessions": user_sessions(user=user),
            "opts": self.opts,
            "own_session_key": request.session.session_key,
        }
        return TemplateResponse(request, "admin/auth/user/sessions.html", context)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(AuditedModelAdmin):
    """Who signs in through the identity provider. Adding a row links an existing user to a
    provider account by hand (when the provider does not say the email address is verified)."""

    list_display = ("user", "issuer", "subject", "last_sign_in_at")
    search_fields = ("user__username", "user__email", "subject")
    raw_id_fields = ("user",)
