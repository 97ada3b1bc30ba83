from django.contrib import admin

from renewals.models import ChurnReason, RenewalOutcome


@admin.register(ChurnReason)
class ChurnReasonAdmin(admin.ModelAdmin):
    """The library of reasons owners pick from when an account churns or downsells."""

    list_display = ["name", "is_active", "position"]
    list_editable = ["is_active", "position"]
    ordering = ["position", "name"]


@admin.register(RenewalOutcome)
class RenewalOutcomeAdmin(admin.ModelAdmin):
    """Outcomes are derived from the contracts each night: read here, never typed."""

    list_display = ["contract", "account", "kind", "ended_on", "mrr_before", "mrr_after", "reason"]
    list_filter = ["kind", "reason"]
    readonly_fields = [f.name for f in RenewalOutcome._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
