"""Admin for the metrics app: KPI targets are set here; snapshots are read-only history."""

from django import forms
from django.contrib import admin

from audit.admin import AuditedModelAdmin
from metrics.models import KpiTarget, SnapshotRun
from metrics.registry import PORTFOLIO, PORTFOLIO_KPIS


class KpiTargetForm(forms.ModelForm):
    # A choice of the registry's keys, so a target cannot name a KPI that does not exist.
    key = forms.ChoiceField(
        choices=[(kpi.key, f"{kpi.label} ({kpi.key})") for kpi in PORTFOLIO_KPIS]
    )

    class Meta:
        model = KpiTarget
        fields = ("key", "segment", "target", "note")


class SegmentFilter(admin.SimpleListFilter):
    """The segments targets are set for, the empty one named "Whole portfolio" (the field's
    own filter wrote it as a link without text)."""

    title = "segment"
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        segments = model_admin.get_queryset(request).values_list("segment", flat=True)
        return [(s, s or "Whole portfolio") for s in sorted(set(segments))]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(segment=value)


@admin.register(KpiTarget)
class KpiTargetAdmin(AuditedModelAdmin):
    form = KpiTargetForm
    list_display = ("key", "label", "segment_or_portfolio", "target", "unit", "note")
    list_filter = (SegmentFilter,)
    search_fields = ("key", "segment", "note")

    @admin.display(description="KPI")
    def label(self, target: KpiTarget) -> str:
        kpi = PORTFOLIO.get(target.key)
        return kpi.label if kpi else "(unknown key)"

    @admin.display(description="Unit")
    def unit(self, target: KpiTarget) -> str:
        kpi = PORTFOLIO.get(target.key)
        return str(kpi.unit) if kpi else ""

    @admin.display(description="Segment", ordering="segment")
    def segment_or_portfolio(self, target: KpiTarget) -> str:
        return target.segment or "Whole portfolio"


@admin.register(SnapshotRun)
class SnapshotRunAdmin(AuditedModelAdmin):
    """Which dates have snapshots, and how long each took; written only by the nightly job."""

    list_display = ("as_of", "accounts", "seconds", "finished_at")
    date_hierarchy = "as_of"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
