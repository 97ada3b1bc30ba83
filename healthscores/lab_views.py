"""The health lab page: preview, backtest, suggest and (with permission) save health weights."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

from accounts.access import user_sees_all_accounts
from accounts.models import Account
from core.charts import chart_html
from healthscores import charts, lab
from healthscores.forms import (
    LabComponentFormSet,
    LabThresholdsForm,
    lab_definition,
    lab_initial,
)
from healthscores.models import HealthModel
from healthscores.scoring import Definition
from healthscores.selectors import override_disagreement
from healthscores.services import health_model_apply, rescore_enqueue
from metrics.models import SnapshotRun
from metrics.selectors import latest_snapshot_run

CHANGE_PERMISSION = "healthscores.change_healthmodel"


def _require_lab_access(request: HttpRequest) -> None:
    """The lab names every account (backtest, disagreements): it needs the permission to see
    every account; staff status alone (the admin site) is not enough."""
    if not user_sees_all_accounts(request.user):
        raise PermissionDenied("The health lab is for admins and leaders.")


def _cached_sample(run: SnapshotRun) -> lab.Sample:
    """The backtest reads a year of snapshots; reuse it until the next snapshot run."""
    key = f"health-lab-sample-v2:{run.as_of}:{run.finished_at.timestamp()}"
    sample = cache.get(key)
    if sample is None:
        sample = lab.load_sample(run.as_of)
        cache.set(key, sample, timeout=6 * 3600)
    return sample


def _model_for(request: HttpRequest) -> HealthModel | None:
    model_id = request.GET.get("model") or request.POST.get("model")
    if model_id and str(model_id).isdigit():
        return get_object_or_404(HealthModel, pk=model_id)
    return HealthModel.objects.filter(is_active=True, segment="").first()


def _current_definition(model: HealthModel) -> Definition | None:
    latest = model.versions.order_by("-number").first()
    return Definition.from_json(latest.definition) if latest else None


def _panels() -> list[dict]:
    """The other apps' panels (settings.HEALTH_LAB_PANELS), each a context naming its template."""
    return [import_string(path)() for path in settings.HEALTH_LAB_PANELS]


def health_lab(request: HttpRequest) -> HttpResponse:
    _require_lab_access(request)
    model, run = _model_for(request), latest_snapshot_run()
    current = _current_definition(model) if model else None
    if model is None or current is None or run is None:
        return render(
            request, "healthscores/lab.html", {"empty": True, "model": model, "panels": _panels()}
        )
    sample = _cached_sample(run)
    proposal, suggestion, notes = current, None, []
    initial_thresholds, initial_components = lab_initial(current)
    thresholds = LabThresholdsForm(initial=initial_thresholds)
    components = LabComponentFormSet(initial=initial_components, prefix="c")
    if request.method == "POST":
        thresholds = LabThresholdsForm(request.POST)
        components = LabComponentFormSet(request.POST, prefix="c")
        if thresholds.is_valid() and components.is_valid():
            proposal = lab_definition(thresholds, components)
            confirmed = thresholds.cleaned_data["confirm_concentration"]
            action = request.POST.get("action", "preview")
            if action == "save":
                if not request.user.has_perm(CHANGE_PERMISSION):
                    raise PermissionDenied("Saving a health model needs the change permission.")
                move = lab.band_move(current, proposal, sample)
                if move.concentrated is None or confirmed:
                    return _save(request, model, proposal)
                notes.append(_refusal(move, "Not saved"))
            if action == "suggest":
                suggestion = lab.suggest_weights(proposal, sample)
                notes.append(_suggestion_note(suggestion))
                concentrated = suggestion.move.concentrated if suggestion.offered else None
                if concentrated and not confirmed:
                    notes.append(_refusal(suggestion.move, "Suggestion refused"))
                elif suggestion.offered:
                    proposal = suggestion.definition
                    initial_thresholds, initial_components = lab_initial(proposal)
                    thresholds = LabThresholdsForm(
                        initial={**initial_thresholds, "confirm_concentration": confirmed}
                    )
                    components = LabComponentFormSet(initial=initial_components, prefix="c")
    context = _results_context(current, proposal, sample)
    context.update(
        model=model,
        models=HealthModel.objects.order_by("segment", "name"),
        run=run,
        thresholds=thresholds,
        components=components,
        suggestion=suggestion,
        suggestion_note=notes[0] if notes else None,
        lab_notes=notes,
        suggestion_warnings=_suggestion_warnings(suggestion) if suggestion else [],
        suggestion_bands=_suggestion_bands(suggestion),
        sample_split=sample.split,
        can_save=request.user.has_perm(CHANGE_PERMISSION),
        disagreement=override_disagreement(as_of=run.as_of),
        panels=_panels(),
    )
    return render(request, "healthscores/lab.html", context)


def _results_context(current: Definition, proposal: Definition, sample: lab.Sample) -> dict:
    now, then = lab.evaluate(current, sample), lab.evaluate(proposal, sample)
    changes = lab.band_changes(current, proposal, sample)
    names = dict(
        Account.objects.filter(pk__in=[c["account_id"] for c in changes[:50]]).values_list(
            "pk", "name"
        )
    )
    for change in changes[:50]:
        change["name"] = names.get(change["account_id"], change["account_id"])
    return {
        "current_eval": now,
        "proposal_eval": then,
        "horizons": [
            {
                "days": h,
                "current": now.auc.get(h),
                "proposal": then.auc.get(h),
                "churner_current": now.mean_churner_score.get(h),
                "retained_current": now.mean_retained_score.get(h),
                "churner_proposal": then.mean_churner_score.get(h),
                "retained_proposal": then.mean_retained_score.get(h),
            }
            for h in lab.HORIZONS
        ],
        "bands": [
            {
                "band": b,
                "current": now.band_distribution[b],
                "proposal": then.band_distribution[b],
                "churn_current": now.churn_rate_by_band[b],
                "churn_proposal": then.churn_rate_by_band[b],
            }
            for b in lab.BANDS
        ],
        "changes": changes[:50],
        "changes_total": len(changes),
        "churners": sample.churners,
        "retained": sum(1 for _a, churned, _v in sample.horizons.get(90, []) if not churned),
        "charts": [
            chart_html(charts.auc_chart(now, then)),
            chart_html(charts.score_gap_chart(now, then)),
            chart_html(charts.band_distribution_chart(now, then)),
            chart_html(charts.churn_by_band_chart(now, then)),
        ],
    }


def _suggestion_note(suggestion: lab.Suggestion) -> str:
    """What the out-of-time check found: fitted on the earlier half-year, scored on the later."""
    s = suggestion
    if s.fit_before is None or s.fit_after is None:
        return "Not enough churn history to fit weights: no churner in the earlier half-year."
    if s.later_before is None or s.later_after is None:
        return (
            "The fitted weights cannot be checked out of time (no churner in the later "
            "half-year): nothing is suggested."
        )
    fitted = (
        f"fitted on the earlier half-year's churn (AUC {s.fit_before:.3f} to {s.fit_after:.3f})"
    )
    if not s.offered:
        return (
            f"No better weights found out of time: weights {fitted} score "
            f"{s.later_after:.3f} on the later half-year's churn, against {s.later_before:.3f} "
            "for these. Keep them."
        )
    return (
        f"Suggested weights, {fitted}, raise the 90-day AUC on the later half-year's churn, "
        f"which the fit never saw, from {s.later_before:.3f} to {s.later_after:.3f} "
        f"(+{s.later_after - s.later_before:.3f}). Review them, then preview or save."
    )


def _suggestion_bands(suggestion: lab.Suggestion | None) -> list[dict]:
    """The book by band before and after the suggestion, and how many moved into each."""
    if suggestion is None:
        return []
    move = suggestion.move
    return [
        {"band": b, "before": move.before[b], "after": move.after[b],
         "moved_into": move.moved_into[b]}
        for b in lab.BANDS
    ]  # fmt: skip


def _suggestion_warnings(suggestion: lab.Suggestion) -> list[str]:
    if not suggestion.few_churners:
        return []
    return [
        f"Only {suggestion.fit_churners} churner{'s' if suggestion.fit_churners != 1 else ''} "
        f"to fit on (fewer than {lab.FEW_CHURNERS}): suggested weights may fit their noise "
        "rather than what predicts churn."
    ]


def _refusal(move: lab.BandMove, what: str) -> str:
    band, moved = move.concentrated
    return (
        f"{what}: these weights move {moved} of {move.book} customers "
        f"({100 * moved / move.book:.0f} %) into {band}. Tick “I accept weights that move most of "
        "the book into one band” to go ahead."
    )


def _save(request: HttpRequest, model: HealthModel, proposal: Definition) -> HttpResponse:
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied("Saving a health model needs the change permission.")
    reason = request.POST.get("reason", "").strip()[:2000] or "Saved from the health lab."
    version = health_model_apply(model=model, definition=proposal, user=request.user, reason=reason)
    if version is None:
        messages.info(request, "Nothing changed: the model already has these weights.")
        return redirect(f"{request.path}?model={model.pk}")
    messages.success(request, f"Saved {model.name} as version {version.number}.")
    if model.is_active:
        try:
            job = rescore_enqueue(model=model, user=request.user)
        except OperationalError:
            messages.error(request, "The rescore could not be queued (task broker unreachable);"
                           " the nightly job will score with the new version.")  # fmt: skip
        else:
            if job:
                messages.info(
                    request,
                    f"Queued a rescore of the snapshots from {job.first} to {job.last} "
                    f"({job.total_dates} dates); its progress is on the model's admin page.",
                )
    return redirect(f"{request.path}?model={model.pk}")
