"""Validation of health models, shared by the admin and the health lab: the rules exist once."""

from django import forms
from django.core.exceptions import ValidationError

from core.forms import RowLabelsMixin
from healthscores.models import HealthComponent, HealthModel, metric_choices
from healthscores.scoring import Component, Definition
from healthscores.selectors import definition_changes


def check_thresholds(green, yellow) -> None:
    if green is not None and yellow is not None and not 0 < yellow < green <= 100:
        raise ValidationError("Thresholds must satisfy 0 < yellow < green <= 100.")


def check_component(form: forms.Form, cleaned: dict) -> None:
    """Field errors for one component: a weight >= 0, and good different from bad."""
    weight = cleaned.get("weight")
    if weight is not None and weight < 0:
        form.add_error("weight", "A weight cannot be negative.")
    if cleaned.get("bad") is not None and cleaned.get("bad") == cleaned.get("good"):
        form.add_error("good", "Good must differ from bad (the score is linear between them).")


def check_components(components: list[dict]) -> None:
    metrics = [data.get("metric") for data in components]
    duplicates = sorted({m for m in metrics if metrics.count(m) > 1})
    if duplicates:
        raise ValidationError(f"Each metric may appear once: {', '.join(duplicates)}.")
    if not any((data.get("weight") or 0) > 0 for data in components):
        raise ValidationError("At least one component needs a weight above 0.")


REASON_REQUIRED = (
    "Give a reason for the change (the field above the components): it is kept with the new "
    "version, so whoever reads a score later knows why the model changed."
)


class HealthModelForm(forms.ModelForm):
    # Required (by HealthComponentFormSet, which sees the components) when the save publishes
    # a new version of an existing model; kept on the version.
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the change",
        help_text="Required when weights, bad/good values or thresholds change.",
    )

    class Meta:
        model = HealthModel
        fields = ("name", "segment", "is_active", "green_threshold", "yellow_threshold")

    def clean(self):
        cleaned = super().clean()
        check_thresholds(cleaned.get("green_threshold"), cleaned.get("yellow_threshold"))
        if cleaned.get("is_active"):
            others = HealthModel.objects.filter(
                is_active=True, segment=cleaned.get("segment", "")
            ).exclude(pk=self.instance.pk)
            if others.exists():
                scope = cleaned.get("segment") or "accounts without a model of their own"
                raise ValidationError(
                    f"“{others.first().name}” is already the active model for {scope}; "
                    "deactivate it first."
                )
        return cleaned

    def _get_validation_exclusions(self):
        # clean() checks the two model constraints on these fields with clearer messages than
        # Django's generic "Constraint ... is violated"; the database still enforces them.
        exclude = super()._get_validation_exclusions()
        exclude.update({"green_threshold", "yellow_threshold", "is_active", "segment"})
        return exclude


def _lab_metric_choices() -> list[tuple[str, str]]:
    return [("", "—"), *metric_choices()]


class HealthComponentForm(RowLabelsMixin, forms.ModelForm):
    # The registry's metrics and the numeric custom fields, read when the form is used.
    metric = forms.ChoiceField(choices=metric_choices)

    class Meta:
        model = HealthComponent
        fields = ("metric", "weight", "bad", "good")

    def clean(self):
        cleaned = super().clean()
        check_component(self, cleaned)
        return cleaned


def _kept(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")]  # fmt: skip


class HealthComponentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = _kept(self)
        check_components(kept)
        model = self.instance  # with the posted thresholds (the admin builds it before this)
        if (
            model.pk
            and model.green_threshold is not None
            and model.yellow_threshold is not None
            and not (self.data.get("reason") or "").strip()
            and definition_changes(
                model, green=model.green_threshold, yellow=model.yellow_threshold,
                components=kept,
            )
        ):  # fmt: skip
            raise ValidationError(REASON_REQUIRED)


# The health lab: a proposal that is previewed, not saved (unless asked, with permission).


class LabThresholdsForm(forms.Form):
    green = forms.DecimalField(min_value=0, max_value=100, decimal_places=2, label="Green from")
    yellow = forms.DecimalField(min_value=0, max_value=100, decimal_places=2, label="Yellow from")
    confirm_concentration = forms.BooleanField(
        required=False,
        label="I accept weights that move most of the book into one band",
        help_text="Without it, a suggestion or a save that moves more than half of the "
        "customers into one band is refused.",
    )

    def clean(self):
        cleaned = super().clean()
        check_thresholds(cleaned.get("green"), cleaned.get("yellow"))
        return cleaned


class LabComponentForm(RowLabelsMixin, forms.Form):
    metric = forms.ChoiceField(choices=_lab_metric_choices, required=False)
    weight = forms.FloatField(min_value=0, max_value=1000, required=False)
    bad = forms.FloatField(required=False)
    good = forms.FloatField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("metric"):
            return {}  # an empty row is ignored
        for name in ("weight", "bad", "good"):
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, "Required for a component.")
        check_component(self, cleaned)
        return cleaned


class BaseLabComponentFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        check_components([f.cleaned_data for f in self.forms if f.cleaned_data])


# absolute_max: a POST claiming thousands of rows builds (and renders) at most 30 forms; by
# default Django builds up to max_num + 1000, seconds of work for one request.
LabComponentFormSet = forms.formset_factory(
    LabComponentForm,
    formset=BaseLabComponentFormSet,
    extra=2,
    max_num=30,
    validate_max=True,
    absolute_max=30,
)


def lab_definition(thresholds: LabThresholdsForm, components) -> Definition:
    """The proposal the valid lab forms describe."""
    return Definition(
        green=float(thresholds.cleaned_data["green"]),
        yellow=float(thresholds.cleaned_data["yellow"]),
        components=tuple(
            Component(f.cleaned_data["metric"], f.cleaned_data["weight"], f.cleaned_data["bad"],
                      f.cleaned_data["good"])
            for f in components.forms
            if f.cleaned_data
        ),
    )  # fmt: skip


def lab_initial(definition: Definition) -> tuple[dict, list[dict]]:
    """Initial data for the lab forms from a definition."""
    thresholds = {"green": definition.green, "yellow": definition.yellow}
    components = [
        {"metric": c.metric, "weight": c.weight, "bad": c.bad, "good": c.good}
        for c in definition.components
    ]
    return thresholds, components
