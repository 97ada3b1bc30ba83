"""Validation of playbooks, conditions, actions and tasks, shared by the admin and the pages:
each rule exists once, and every refusal says what to change."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from accounts.models import LifecycleStage, View
from core.forms import RowLabelsMixin
from playbooks import webhooks, wording
from playbooks.models import (
    TEXT_CONDITION_FIELDS,
    ActionKind,
    AssigneeRule,
    Condition,
    Operator,
    Playbook,
    PlaybookAction,
    TaskPriority,
    Trigger,
)

# The parameters each trigger needs; the others are cleared when a playbook is saved.
TRIGGER_PARAMETERS = {
    Trigger.BAND_ENTERED: ("band",),
    Trigger.HEALTH_FELL: ("points", "days"),
    Trigger.RENEWAL_WITHIN: ("days",),
    Trigger.USAGE_BELOW: ("threshold",),
    Trigger.SEATS_ABOVE: ("threshold",),
    Trigger.FILTER_MATCH: ("view",),
    Trigger.VIEW_ENTERED: ("view",),
    Trigger.VIEW_LEFT: ("view",),
}
PARAMETERS = ("band", "points", "days", "threshold", "view")
EMPTY = {"band": "", "points": None, "days": None, "threshold": None, "view": None}
PARAMETER_LABELS = {
    "band": "the band",
    "points": "the points (N)",
    "days": "the number of days",
    "threshold": "the percentage (X)",
    "view": "a view",
}


# The fields each kind of action uses, besides its position, kind and day.
ACTION_FIELDS = {
    ActionKind.CREATE_TASK: ("title", "body", "due_in_days", "business_days", "priority",
                             "assignee_rule", "assignee"),
    ActionKind.EMAIL_OWNER: ("title", "body"),
    ActionKind.SEND_SURVEY: ("survey_kind",),
    ActionKind.WEBHOOK: ("url",),
    ActionKind.SET_STAGE: ("stage",),
    ActionKind.ADD_NOTE: ("body",),
}  # fmt: skip


def _mark_types(form: forms.Form, select: str, uses: dict, choices) -> None:
    """Say on each type-specific field which types use it (`applies_to`: (value, label)
    pairs), for the editor: a script shows only the chosen type's fields, and without script
    the labels say it. The select choosing the type is marked for the script."""
    if select not in form.fields:  # a read-only admin page shows no fields to choose
        return
    labels = dict(choices)
    form.fields[select].widget.attrs["data-type-select"] = ""
    for kind, names in uses.items():
        for field in (form.fields[name] for name in names if name in form.fields):
            field.applies_to = [*getattr(field, "applies_to", []), (str(kind), labels[kind])]


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ("name", "description", "trigger", "band", "points", "days", "threshold",
                  "view", "reenroll_after_days")  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _mark_types(self, "trigger", TRIGGER_PARAMETERS, Trigger.choices)
        if "view" in self.fields:
            # Playbooks act for the workspace: they trigger on shared views only.
            self.fields["view"].queryset = View.objects.filter(visibility="shared")

    def clean(self):
        cleaned = super().clean()
        trigger = cleaned.get("trigger")
        needed = TRIGGER_PARAMETERS.get(trigger, ())
        for name in needed:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                label = Trigger(trigger).label
                self.add_error(name, f"“{label}” needs {PARAMETER_LABELS[name]}.")
        for name in PARAMETERS:
            if name not in needed:
                cleaned[name] = EMPTY[name]
        _check_ranges(self, cleaned, trigger)
        return cleaned


def _check_ranges(form: forms.Form, cleaned: dict, trigger: str) -> None:
    days, points, threshold = cleaned.get("days"), cleaned.get("points"), cleaned.get("threshold")
    if trigger == Trigger.HEALTH_FELL:
        if points is not None and not 0 < points <= 100:
            form.add_error("points", "Health points are between 0 and 100: give 1 to 100.")
        if days is not None and not 1 <= days <= 365:
            form.add_error("days", "The fall is measured over 1 to 365 days.")
    if trigger == Trigger.RENEWAL_WITHIN and days is not None and not 1 <= days <= 730:
        form.add_error("days", "Give a renewal window of 1 to 730 days.")
    if trigger == Trigger.USAGE_BELOW and threshold is not None and not -100 < threshold <= 1000:
        form.add_error("threshold", "Usage trend is a change in %: give a value above -100.")
    if trigger == Trigger.SEATS_ABOVE and threshold is not None and not 0 <= threshold <= 1000:
        form.add_error("threshold", "Seat utilisation is a percentage: give 0 to 1000.")


class PlaybookAdminForm(PlaybookForm):
    class Meta(PlaybookForm.Meta):
        fields = (*PlaybookForm.Meta.fields, "is_active")


BAND_VALUES = ("green", "yellow", "red", "unknown")


class ConditionForm(RowLabelsMixin, forms.ModelForm):
    class Meta:
        model = Condition
        fields = ("field", "operator", "value")

    def clean(self):
        cleaned = super().clean()
        name, op, raw = cleaned.get("field"), cleaned.get("operator"), cleaned.get("value", "")
        if not name or not op:
            return cleaned
        if name in TEXT_CONDITION_FIELDS:
            if op not in (Operator.IN, Operator.NOT_IN):
                self.add_error(
                    "operator", "Compare a text field with “is one of” or “is not one of”."
                )
                return cleaned
            values = [v.strip() for v in (raw or "").split(",") if v.strip()]
            if not values:
                self.add_error("value", "Give at least one value, separated by commas.")
                return cleaned
            self._check_values(name, values)
            cleaned["value"] = ", ".join(values)
            return cleaned
        if op not in (Operator.GTE, Operator.LTE):
            self.add_error("operator", "Compare a number with “is at least” or “is at most”.")
            return cleaned
        try:
            cleaned["value"] = str(float((raw or "").strip()))
        except ValueError:
            self.add_error("value", f"“{raw}” is not a number.")
        return cleaned

    def _check_values(self, name: str, values: list[str]) -> None:
        if name == "health_band":
            unknown = [v for v in values if v not in BAND_VALUES]
            if unknown:
                self.add_error(
                    "value", f"Bands are {', '.join(BAND_VALUES)}; not {', '.join(unknown)}."
                )
        elif name == "lifecycle_stage":
            unknown = [v for v in values if v not in LifecycleStage.values]
            if unknown:
                stages = ", ".join(LifecycleStage.values)
                self.add_error("value", f"Stages are {stages}; not {', '.join(unknown)}.")
        elif name == "owner":
            found = set(
                get_user_model()
                .objects.filter(username__in=values)
                .values_list("username", flat=True)
            )
            missing = [v for v in values if v not in found]
            if missing:
                self.add_error("value", f"No user named {', '.join(missing)}.")


class ActionForm(forms.ModelForm):
    url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="URL", help_text="Webhook URL."
    )

    class Meta:
        model = PlaybookAction
        fields = ("position", "kind", "day_offset", "title", "body", "due_in_days",
                  "business_days", "priority", "assignee_rule", "assignee", "survey_kind",
                  "url", "stage")  # fmt: skip
        widgets = {"body": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True)
        _mark_types(self, "kind", ACTION_FIELDS, ActionKind.choices)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {
            ActionKind.CREATE_TASK: {"title": "A task needs a title."},
            ActionKind.EMAIL_OWNER: {
                "title": "An email needs a subject.",
                "body": "An email needs a text.",
            },
            ActionKind.SEND_SURVEY: {"survey_kind": "Choose the survey to send (NPS, CSAT, CES)."},
            ActionKind.WEBHOOK: {"url": "A webhook needs a URL."},
            ActionKind.SET_STAGE: {"stage": "Choose the lifecycle stage to set."},
            ActionKind.ADD_NOTE: {"body": "A note needs a text."},
        }.get(kind, {})
        for name, message in required.items():
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        if (
            kind == ActionKind.CREATE_TASK
            and cleaned.get("assignee_rule") == AssigneeRule.USER
            and not cleaned.get("assignee")
        ):
            self.add_error("assignee", "Choose the user, or another assignee rule.")
        url = cleaned.get("url") or ""
        if kind == ActionKind.WEBHOOK and url and not url.startswith(("http://", "https://")):
            self.add_error("url", "A webhook URL starts with http:// or https://.")
        elif kind == ActionKind.WEBHOOK and url:
            try:  # resolved now, and again at each call (playbooks.webhooks)
                webhooks.target_addresses(url)
            except webhooks.TargetRefused as refused:
                self.add_error("url", str(refused))
        for name in ("title", "body"):
            unknown = wording.unknown_placeholders(cleaned.get(name) or "")
            if unknown and name not in self.errors:
                known = ", ".join(f"{{{p}}}" for p in wording.PLACEHOLDERS)
                names = ", ".join(f"{{{u}}}" for u in unknown)
                self.add_error(name, f"Unknown placeholder {names}; use {known}.")
        return cleaned


class BaseConditionFormSet(forms.BaseInlineFormSet):
    pass


class BaseActionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept and not any(self.errors):
            raise ValidationError("A playbook needs at least one action.")


ConditionFormSet = inlineformset_factory(
    Playbook, Condition, form=ConditionForm, formset=BaseConditionFormSet, fk_name="playbook",
    extra=2, can_delete=True,
)  # fmt: skip
ActionFormSet = inlineformset_factory(
    Playbook, PlaybookAction, form=ActionForm, formset=BaseActionFormSet, extra=1, can_delete=True
)


# Tasks


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200, label="Task")
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)


class DayFilterForm(forms.Form):
    """My day's filters: which playbook made the task (or a person), and when it is due."""

    playbook = forms.ChoiceField(required=False, label="From")
    due = forms.ChoiceField(required=False, label="Due")

    def __init__(self, *args, playbooks: list[tuple[str, str]] = (), **kwargs):
        from playbooks.selectors import DUE_FILTERS

        super().__init__(*args, **kwargs)
        self.fields["playbook"].choices = [("", "Every playbook and person"), *playbooks]
        self.fields["due"].choices = DUE_FILTERS

    @staticmethod
    def filters(data) -> dict[str, str]:
        """The filters of a query string, read before the choices are known (they come from the
        day's own tasks); a value that makes no sense is dropped."""
        from playbooks.selectors import DUE_FILTERS, PERSON

        due, playbook = data.get("due", ""), data.get("playbook", "")
        return {
            "due": due if due in dict(DUE_FILTERS) else "",
            "playbook": playbook if playbook == PERSON or playbook.isdigit() else "",
        }


class TaskIdsForm(forms.Form):
    """The tasks ticked on My day, for completing them at once."""

    tasks = forms.TypedMultipleChoiceField(coerce=int, error_messages={
        "required": "Tick the tasks to complete first."})  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any whole numbers: the view reaches tasks only through the access rule.
        self.fields["tasks"].valid_value = lambda value: str(value).isdigit()


SNOOZE_CHOICES = (("1", "Tomorrow"), ("7", "Next week"))


class SnoozeForm(forms.Form):
    days = forms.TypedChoiceField(choices=SNOOZE_CHOICES, coerce=int)


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        from playbooks.selectors import assignable_users

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()
        self.fields["assignee"].error_messages["invalid_choice"] = (
            "Choose someone who can be given tasks."
        )
