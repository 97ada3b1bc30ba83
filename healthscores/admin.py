"""Admins tune health models here: components inline, validated, versioned, rescored."""

from django.contrib import admin, messages
from django.db import transaction
from kombu.exceptions import OperationalError

from healthscores.forms import HealthComponentForm, HealthComponentFormSet, HealthModelForm
from healthscores.models import (
    Alert,
    HealthComponent,
    HealthModel,
    HealthModelVersion,
    SentimentOverride,
)
from healthscores.services import health_model_publish, rescore_enqueue


class HealthComponentInline(admin.TabularInline):
    model = HealthComponent
    form = HealthComponentForm
    formset = HealthComponentFormSet
    extra = 1
    min_num = 1


def _queue_rescore(modeladmin, request, days: int) -> None:
    try:
        queued = rescore_enqueue(days=days)
    except OperationalError:
        modeladmin.message_user(
            request,
            "The rescore could not be queued (the task broker is unreachable); the model is "
            "saved, and the nightly job will score with it.",
            messages.ERROR,
        )
        return
    if queued is None:
        modeladmin.message_user(request, "No snapshots yet: nothing to rescore.", messages.INFO)
        return
    first, last = queued
    modeladmin.message_user(
        request, f"Queued a rescore of the snapshots from {first} to {last}.", messages.SUCCESS
    )


@admin.register(HealthModel)
class HealthModelAdmin(admin.ModelAdmin):
    form = HealthModelForm
    inlines = (HealthComponentInline,)
    list_display = ("name", "segment", "is_active", "green_threshold", "yellow_threshold",
                    "latest_version", "updated_at")  # fmt: skip
    list_filter = ("is_active",)
    search_fields = ("name", "segment")
    actions = ("rescore_last_365_days",)

    @admin.display(description="version")
    def latest_version(self, obj: HealthModel):
        latest = obj.versions.order_by("-number").first()
        return f"v{latest.number}" if latest else "—"

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        version = health_model_publish(model=form.instance, user=request.user)
        if version is not None:
            self.message_user(request, f"Published version {version.number} of the model.")
        # A new version of an active model, or a model switched on or off or moved to another
        # segment, changes scores. Queue the rescore once the change is committed, so that the
        # worker reads the new version.
        activation_changed = {"is_active", "segment"} & set(form.changed_data)
        if (version is not None and form.instance.is_active) or (change and activation_changed):
            transaction.on_commit(lambda: _queue_rescore(self, request, days=1))

    @admin.action(description="Rescore the last 365 days with the active models")
    def rescore_last_365_days(self, request, queryset) -> None:
        _queue_rescore(self, request, days=365)


@admin.register(HealthModelVersion)
class HealthModelVersionAdmin(admin.ModelAdmin):
    list_display = ("model", "number", "created_at", "created_by")
    list_filter = ("model",)
    readonly_fields = ("model", "number", "definition", "created_at", "created_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("account", "reason", "status", "owner", "as_of", "due_on")
    list_filter = ("reason", "status")
    search_fields = ("account__name", "details")
    autocomplete_fields = ("account", "owner")
    date_hierarchy = "as_of"
    list_select_related = ("account", "owner")


@admin.register(SentimentOverride)
class SentimentOverrideAdmin(admin.ModelAdmin):
    list_display = ("account", "band", "author", "created_at")
    list_filter = ("band",)
    search_fields = ("account__name", "reason")
    autocomplete_fields = ("account",)
    date_hierarchy = "created_at"
    readonly_fields = ("author", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an audit trail: entries are added, never edited
