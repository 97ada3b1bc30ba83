"""Connectors in the admin: secrets typed once and never shown again (only "set" / "not set"),
the delivery log, the external identities and the inbox of records that could not be applied."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from audit import services as audit
from audit.admin import AuditedModelAdmin
from connectors import services
from connectors.models import (
    PULLED_KINDS,
    SECRET_NAMES,
    Connector,
    ConnectorKind,
    ExternalIdentity,
    InboxItem,
    SyncBatch,
)


class ConnectorForm(forms.ModelForm):
    # Write-only: the stored value is never rendered back; leaving a field empty keeps it.
    signing_secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="Stripe (whsec_...) or Zendesk webhook signing secret. Empty keeps it.",
    )  # fmt: skip
    api_key = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="Stripe restricted key with read access to subscriptions and customers.",
    )  # fmt: skip
    access_token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="HubSpot private app access token (scopes: crm.objects.companies.read, "
        "crm.objects.contacts.read, crm.objects.owners.read).",
    )  # fmt: skip
    api_token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="Zendesk API token (settings: subdomain, email of the agent it belongs to).",
    )  # fmt: skip

    class Meta:
        model = Connector
        fields = ("kind", "name", "is_active", "settings")


@admin.register(Connector)
class ConnectorAdmin(AuditedModelAdmin):
    form = ConnectorForm
    list_display = ("name", "kind", "is_active", "endpoint", "secret_status", "last_success_at",
                    "last_error_at")  # fmt: skip
    list_filter = ("kind", "is_active")
    readonly_fields = ("endpoint", "secret_status", "dry_run", "state", "last_success_at",
                       "last_error", "last_error_at", "created_at")  # fmt: skip
    actions = ("issue_write_key", "preview_sync")

    @admin.display(description="dry run")
    def dry_run(self, connector: Connector) -> str:
        if not connector.pk or connector.kind not in PULLED_KINDS:
            return "pushed: nothing to preview"
        url = reverse("connector_dry_run", args=[connector.pk])
        return format_html('<a href="{}">Preview a sync (nothing is written)</a>', url)

    @admin.action(description="Preview a sync (dry run: nothing is written)")
    def preview_sync(self, request: HttpRequest, queryset):
        """The dry-run page of the first pulled connector chosen (one preview at a time)."""
        connector = queryset.filter(kind__in=PULLED_KINDS).order_by("name").first()
        if connector is None:
            messages.error(request, "Choose a Stripe, HubSpot or Zendesk connector: the others "
                           "are pushed, so there is no sync to preview.")  # fmt: skip
            return None
        return HttpResponseRedirect(reverse("connector_dry_run", args=[connector.pk]))

    @admin.display(description="secrets")
    def secret_status(self, connector: Connector) -> str:
        if connector.kind == ConnectorKind.SEGMENT:
            return f"write key: {'set' if connector.write_key_sha256 else 'not set'}"
        stored = services.connector_secrets(connector) if connector.pk else {}
        names = SECRET_NAMES[ConnectorKind(connector.kind)]
        return ", ".join(f"{name}: {'set' if stored.get(name) else 'not set'}" for name in names)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "kind") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Connector, form, change: bool) -> None:
        given = {
            n: form.cleaned_data.get(n, "") for n in ("signing_secret", "api_key", "access_token")
        }
        given = {n: v for n, v in given.items() if v}
        try:
            services.connector_secrets_set(connector=obj, secrets_given=given, save=False)
        except services.ConnectorInvalid as exc:
            messages.error(request, str(exc))
        key = None
        if not change and obj.kind == ConnectorKind.SEGMENT:
            key = services._new_write_key(obj)
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, f"Write key of “{obj.name}”: {key} — copy it now, it is "
                             "stored hashed and will not be shown again.")  # fmt: skip

    @admin.action(description="Issue a new write key (Segment; the old one stops working)")
    def issue_write_key(self, request: HttpRequest, queryset) -> None:
        for connector in queryset.filter(kind=ConnectorKind.SEGMENT):
            key = services.segment_write_key_issue(connector=connector)
            messages.warning(request, f"New write key of “{connector.name}”: {key} — shown once.")


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(AuditedModelAdmin):
    list_display = ("connector", "kind", "external_id", "object_id", "updated_at")
    list_filter = ("connector", "kind")
    search_fields = ("external_id",)


class ReadOnlyAdmin(AuditedModelAdmin):
    """Rows written only by the connectors."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SyncBatch)
class SyncBatchAdmin(ReadOnlyAdmin):
    list_display = ("connector", "source", "dry_run", "started_at", "received", "duplicates",
                    "applied", "refused", "unmatched")  # fmt: skip
    list_filter = ("connector", "source", "dry_run")


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    """The inbox: every record not applied, with its reason and the source's payload."""

    list_display = ("created_at", "connector", "status", "record_kind", "match_id", "reason",
                    "resolved_at")  # fmt: skip
    list_filter = ("resolved_at", "status", "connector", "record_kind")
    search_fields = ("match_id", "external_id", "reason")
    readonly_fields = ("connector", "batch", "status", "record_kind", "external_id",
                       "match_kind", "match_id", "reason", "payload", "created_at",
                       "resolved_at")  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("connector")

    actions = ("mark_resolved",)

    @admin.action(description="Mark as resolved (dismiss)")
    def mark_resolved(self, request, queryset) -> None:
        resolved = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        audit.record("inboxitem.resolve", model=InboxItem, label="inbox items",
                     details={"resolved": resolved})  # fmt: skip
