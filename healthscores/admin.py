"""Admins tune health models here: components inline, validated, versioned, rescored."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from kombu.exceptions import OperationalError

from audit.admin import AuditedModelAdmin
from healthscores.forms import HealthComponentForm, HealthComponentFormSet, HealthModelForm
from healthscores.models import (
    Alert,
    HealthComponent,
    HealthModel,
    HealthModelVersion,
    RescoreJob,
    SentimentOverride,
)
from healthscores.selectors import VersionDiff, version_diff
from healthscores.services import health_model_publish, rescore_enqueue


class HealthComponentInline(admin.TabularInline):
    model = HealthComponent
    form = HealthComponentForm
    formset = HealthComponentFormSet
    extra = 1
    min_num = 1


def _queue_rescore(modeladmin, request, model: HealthModel | None = None) -> None:
    try:
        job = rescore_enqueue(model=model, user=request.user)
    except OperationalError:
        modeladmin.message_user(
            request,
            "The rescore could not be queued (the task broker is unreachable); the model is "
            "saved, and the nightly job will score with it.",
            messages.ERROR,
        )
        return
    if job is None:
        modeladmin.message_user(request, "No snapshots yet: nothing to rescore.", messages.INFO)
        return
    modeladmin.message_user(
        request,
        f"Queued a rescore of the snapshots from {job.first} to {job.last} "
        f"({job.total_dates} dates); its progress is shown on the model's page.",
        messages.SUCCESS,
    )


def _triple(values) -> str:
    if values is None:
        return "—"
    weight, bad, good = values
    return f"{weight:g} ({bad:g} → {good:g})"


def diff_table(diff: VersionDiff):
    """The components of a version beside the previous one's: weight (bad → good)."""
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((c.metric, _triple(c.before), _triple(c.after), c.change or "same")
         for c in diff.components),
    )  # fmt: skip
    before = diff.thresholds_before
    thresholds = format_html(
        "<tr><th scope='row'>green / yellow from</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        f"{before[0]:g} / {before[1]:g}" if before else "—",
        f"{diff.thresholds_after[0]:g} / {diff.thresholds_after[1]:g}",
        "same" if before == diff.thresholds_after else "changed",
    )
    return format_html(
        "<table><thead><tr><th scope='col'>component</th><th scope='col'>before: weight "
        "(bad → good)</th><th scope='col'>after</th><th scope='col'>change</th></tr></thead>"
        "<tbody>{}{}</tbody></table>",
        rows,
        thresholds,
    )


@admin.register(HealthModel)
class HealthModelAdmin(AuditedModelAdmin):
    form = HealthModelForm
    inlines = (HealthComponentInline,)
    list_display = ("name", "segment", "is_active", "green_threshold", "yellow_threshold",
                    "latest_version", "updated_at")  # fmt: skip
    list_filter = ("is_active",)
    search_fields = ("name", "segment")
    actions = ("rescore_last_365_days",)
    fields = ("name", "segment", "is_active", "green_threshold", "yellow_threshold",
              "weights_total", "reason", "rescores", "version_history")  # fmt: skip
    readonly_fields = ("weights_total", "rescores", "version_history")

    @admin.display(description="version")
    def latest_version(self, obj: HealthModel):
        latest = obj.versions.order_by("-number").first()
        return f"v{latest.number}" if latest else "—"

    @admin.display(description="Weights total")
    def weights_total(self, obj: HealthModel):
        """Scores divide by the weights present, so the total need not be 100; shown so that
        a weight's share is easy to read (a weight of 20 in 100 is a fifth of the score)."""
        if obj.pk is None:
            return "—"
        weights = [float(c.weight) for c in obj.components.all()]
        total = sum(weights)
        return f"{total:g} over {len(weights)} components (a component's share: weight / {total:g})"

    @admin.display(description="Rescores")
    def rescores(self, obj: HealthModel):
        jobs = list(obj.rescore_jobs.select_related("version")[:5]) if obj.pk else []
        if not jobs:
            return "No rescore queued for this model yet."
        return format_html(
            "<table><thead><tr><th scope='col'>queued</th><th scope='col'>dates</th>"
            "<th scope='col'>version</th><th scope='col'>progress</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{} to {}</td><td>{}</td><td>{} of {} dates ({}%), {}{}</td>"
                "</tr>",
                (
                    (
                        date_format(timezone.localtime(j.created_at), "DATETIME_FORMAT"),
                        j.first, j.last, f"v{j.version.number}" if j.version else "—",
                        j.done_dates, j.total_dates, f"{j.percent:.0f}", j.status,
                        f": {j.error}" if j.error else "",
                    )
                    for j in jobs
                ),
            ),
        )  # fmt: skip

    @admin.display(description="Versions")
    def version_history(self, obj: HealthModel):
        versions = (
            list(obj.versions.select_related("created_by").order_by("number")) if obj.pk else []
        )
        if not versions:
            return "—"
        previous = [None, *(v.definition for v in versions[:-1])]
        return format_html_join(
            "",
            "<h4>v{} · {} · {}</h4><p>{}</p>{}",
            (
                (
                    v.number,
                    date_format(timezone.localtime(v.created_at), "DATETIME_FORMAT"),
                    v.created_by or "system",
                    v.reason or "No reason recorded.",
                    diff_table(version_diff(before, v.definition)),
                )
                for v, before in reversed(list(zip(versions, previous, strict=True)))
            ),
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        version = health_model_publish(
            model=form.instance, user=request.user, reason=form.cleaned_data.get("reason", "")
        )
        if version is not None:
            self.message_user(request, f"Published version {version.number} of the model.")
        # A new version of an active model, or a model switched on or off or moved to another
        # segment, changes scores: the same 365 days as the lab's backtest are rescored, so no
        # comparison a page makes crosses a version boundary. Queued once the change is
        # committed, so that the worker reads the new version.
        activation_changed = {"is_active", "segment"} & set(form.changed_data)
        if (version is not None and form.instance.is_active) or (change and activation_changed):
            model = form.instance
            transaction.on_commit(lambda: _queue_rescore(self, request, model))

    @admin.action(description="Rescore the last 365 days with the active models")
    def rescore_last_365_days(self, request, queryset) -> None:
        _queue_rescore(self, request, queryset.filter(is_active=True).first())


@admin.register(HealthModelVersion)
class HealthModelVersionAdmin(AuditedModelAdmin):
    list_display = ("model", "number", "created_at", "created_by", "reason")
    list_filter = ("model",)
    readonly_fields = ("model", "number", "reason", "changes", "definition", "created_at",
                       "created_by")  # fmt: skip

    @admin.display(description="Changes from the previous version")
    def changes(self, obj: HealthModelVersion):
        previous = obj.model.versions.filter(number__lt=obj.number).order_by("-number").first()
        return diff_table(version_diff(previous.definition if previous else None, obj.definition))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RescoreJob)
class RescoreJobAdmin(AuditedModelAdmin):
    list_display = ("created_at", "model", "version", "first", "last", "done_dates",
                    "total_dates", "status", "finished_at")  # fmt: skip
    list_filter = ("model",)
    readonly_fields = [f.name for f in RescoreJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(AuditedModelAdmin):
    list_display = ("account", "reason", "status", "owner", "as_of", "due_on")
    list_filter = ("reason", "status")
    search_fields = ("account__name", "details")
    autocomplete_fields = ("account", "owner")
    date_hierarchy = "as_of"
    list_select_related = ("account", "owner")


@admin.register(SentimentOverride)
class SentimentOverrideAdmin(AuditedModelAdmin):
    list_display = ("account", "band", "author", "created_at")
    list_filter = ("band",)
    search_fields = ("account__name", "reason")
    autocomplete_fields = ("account",)
    date_hierarchy = "created_at"
    readonly_fields = ("author", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an audit trail: entries are added, never edited
