"""Forms of the account pages: the list's query parameters, notes, the CSM's sentiment (a
healthscores model) and the score movement's dates."""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.models import Group

from accounts.custom_fields import TEXT_MAX, FieldFilter, parse_value, stored_value
from accounts.filters import ViewFilter
from accounts.models import (
    BulkActionKind,
    CustomField,
    CustomFieldType,
    LifecycleStage,
    Note,
    View,
    ViewVisibility,
)
from accounts.selectors import ListChoices
from accounts.tags import BadTag, normalise_tag, parse_tags
from churn.models import HORIZONS
from core.forms import KnownIdField
from healthscores.models import SentimentOverride
from metrics.models import HealthBand
from playbooks.models import TaskPriority
from web.selectors import NOT_CUSTOMER, SORT_FIELDS, AccountListParams

SORT_CHOICES = [(key, key) for key in SORT_FIELDS] + [(f"-{key}", key) for key in SORT_FIELDS]
RENEWAL_WINDOWS = (30, 60, 90, 180, 365)


class AccountListForm(forms.Form):
    """The list's query string. A bad value falls back to its default instead of failing the
    page: a stale bookmark or a hand-edited URL still shows the accounts."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Search by name")
    segment = forms.ChoiceField(required=False, label="Segment")
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Owner")
    region = forms.ChoiceField(required=False, label="Region")
    stage = forms.ChoiceField(
        required=False, choices=[("", "Any stage"), *LifecycleStage.choices], label="Stage"
    )
    band = forms.ChoiceField(
        required=False,
        choices=[("", "Any health"), *HealthBand.choices, (NOT_CUSTOMER, "Not a customer")],
        label="Health",
    )
    renewal_within = forms.IntegerField(
        required=False, min_value=0, max_value=3650, label="Renews within (days)"
    )
    mine = forms.BooleanField(required=False, label="Only my accounts")
    group = KnownIdField(required=False, label="Company group")
    mrr_min = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="MRR from"
    )
    mrr_max = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="MRR to"
    )
    churn_above = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2,
        label="Churn probability above (%)",
    )  # fmt: skip
    churn_horizon = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="within",
        choices=[("", "Any horizon"), *((str(h), f"{h} days") for h in HORIZONS)],
    )  # fmt: skip
    tags = forms.CharField(
        required=False, max_length=400, label="Tags",
        help_text="Accounts carrying every one of these tags, separated by commas.",
    )  # fmt: skip
    view = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, data=None, *, choices: ListChoices):
        super().__init__(data)
        self.fields["segment"].choices = [("", "Any segment")] + [(s, s) for s in choices.segments]
        self.fields["region"].choices = [("", "Any region")] + [(r, r) for r in choices.regions]
        self.fields["owner"].choices = [("", "Any owner")] + [
            (str(pk), name) for pk, name in choices.owners
        ]
        self.fields["group"].known = frozenset(pk for pk, _name in choices.groups)
        # The chosen group, if any: the picker (static/js/group-picker.js) suggests the others.
        self.chosen_group = choices.groups[0] if choices.groups else None
        self.offers_groups = choices.offers_groups
        self.custom_fields = choices.fields
        for field in choices.fields:
            self.fields.update(_filter_fields(field))

    def clean_tags(self) -> tuple[str, ...]:
        try:
            return parse_tags(self.cleaned_data.get("tags") or "")
        except BadTag as error:
            raise forms.ValidationError(str(error)) from error

    def params(self) -> AccountListParams:
        """The valid values, each invalid or missing one replaced by its default."""
        self.is_valid()
        defaults = AccountListParams()
        values = {
            name: self.cleaned_data.get(name) if name not in self.errors else None
            for name in AccountListParams.__dataclass_fields__
        }
        kept = {name: value for name, value in values.items() if value not in (None, "")}
        kept["custom"] = self._field_filters()
        return AccountListParams(**{**defaults.__dict__, **kept})

    def _field_filters(self) -> tuple[FieldFilter, ...]:
        filters = []
        for field in self.custom_fields:
            name = f"cf_{field.key}"
            chosen = self.cleaned_data.get(name) or None
            one = FieldFilter(
                field.key,
                equals=_YES_NO.get(chosen, chosen) if chosen else None,
                low=self.cleaned_data.get(f"{name}_min"),
                high=self.cleaned_data.get(f"{name}_max"),
            )
            if (one.equals, one.low, one.high) != (None, None, None):
                filters.append(one)
        return tuple(filters)

    def custom_filters(self) -> list[dict]:
        """The custom fields' filters for the template: label, kind and their bound fields."""
        return [
            {
                "field": field,
                "number": field.field_type == CustomFieldType.NUMBER,
                "bound": [self[name] for name in _filter_fields(field)],
            }
            for field in self.custom_fields
        ]


_YES_NO = {"yes": True, "no": False}


def list_query(spec: ViewFilter, *, view_id: int | None = None) -> dict[str, str]:
    """The list's query string for a filter (the inverse of AccountListForm.params): opening a
    view fills the list's inputs with its criteria, so it can be read, refined and saved."""
    query = {
        name: str(getattr(spec, name))
        for name in ("q", "segment", "region", "stage", "band", "owner", "group")
        if getattr(spec, name) not in ("", None)
    }
    for name in ("renewal_within", "mrr_min", "mrr_max", "churn_horizon"):
        if getattr(spec, name) is not None:
            query[name] = str(getattr(spec, name))
    if spec.churn_above is not None:
        query["churn_above"] = format((Decimal(str(spec.churn_above)) * 100).normalize(), "f")
    if spec.mine:
        query["mine"] = "1"
    if spec.tags:
        query["tags"] = ", ".join(spec.tags)
    for one in spec.custom:
        if one.equals is not None:
            equals = {True: "yes", False: "no"}.get(one.equals, one.equals)
            query[f"cf_{one.key}"] = str(equals)
        if one.low is not None:
            query[f"cf_{one.key}_min"] = str(one.low)
        if one.high is not None:
            query[f"cf_{one.key}_max"] = str(one.high)
    if view_id is not None:
        query["view"] = str(view_id)
    return query


def _filter_fields(field: CustomField) -> dict[str, forms.Field]:
    """The list's inputs for one custom field: a select for one of a list and yes/no, a range
    for numbers (named cf_<key>, cf_<key>_min, cf_<key>_max)."""
    if field.field_type == CustomFieldType.NUMBER:
        bound = {"required": False, "max_digits": 30, "decimal_places": 6}
        return {
            f"cf_{field.key}_min": forms.DecimalField(label=f"{field.label} from", **bound),
            f"cf_{field.key}_max": forms.DecimalField(label=f"{field.label} to", **bound),
        }
    if field.field_type == CustomFieldType.BOOLEAN:
        choices = [("", "Any"), ("yes", "Yes"), ("no", "No")]
    else:
        choices = [("", "Any"), *((value, value) for value in field.choices)]
    return {
        f"cf_{field.key}": forms.ChoiceField(required=False, label=field.label, choices=choices)
    }


class CustomValuesForm(forms.Form):
    """The account's custom values on the 360 page: one input per field, each judged by the
    import's parser for its type (so the page accepts what a file would); empty removes it."""

    def __init__(self, data=None, *, fields: list[CustomField], custom: dict):
        super().__init__(data, prefix="custom")
        self.definitions = fields
        for field in fields:
            self.fields[field.key] = _value_field(field, custom.get(field.key))

    def clean(self):
        cleaned = super().clean()
        for field in self.definitions:
            raw = cleaned.get(field.key)
            if raw in (None, ""):
                cleaned[field.key] = None
                continue
            try:
                parsed = parse_value(field, str(raw))
            except ValueError as error:
                self.add_error(field.key, str(error).capitalize() + ".")
                continue
            cleaned[field.key] = stored_value(field.field_type, parsed)
        return cleaned

    def values(self) -> dict[str, object]:
        return {field.key: self.cleaned_data.get(field.key) for field in self.definitions}


def _value_field(field: CustomField, stored) -> forms.Field:
    common = {"required": False, "label": field.label, "help_text": field.help_text}
    if field.field_type == CustomFieldType.BOOLEAN:
        initial = {True: "yes", False: "no"}.get(stored, "")
        choices = [("", "Not set"), ("yes", "Yes"), ("no", "No")]
        return forms.ChoiceField(choices=choices, initial=initial, **common)
    if field.field_type == CustomFieldType.CHOICE:
        choices = [("", "Not set"), *((value, value) for value in field.choices)]
        return forms.ChoiceField(choices=choices, initial=stored or "", **common)
    if field.field_type == CustomFieldType.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
        return forms.CharField(widget=widget, initial=stored or "", **common)
    if field.field_type == CustomFieldType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
        return forms.CharField(widget=widget, initial="" if stored is None else stored, **common)
    return forms.CharField(initial=stored or "", max_length=TEXT_MAX, **common)


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ("body",)
        labels = {"body": "Add a note"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "placeholder": "What happened?"})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something before saving the note.")
        return body


class SentimentOverrideForm(forms.ModelForm):
    """A CSM's own reading of the account: a band and the reason, both required."""

    band = forms.ChoiceField(
        label="Your read of the account",
        choices=SentimentOverride._meta.get_field("band").choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = SentimentOverride
        fields = ("band", "reason")
        labels = {"reason": "Why"}
        widgets = {
            "reason": forms.Textarea(
                attrs={"rows": 2, "placeholder": "e.g. Exec sponsor confirmed the renewal"}
            ),
        }

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why: the next person reading this needs it.")
        return reason


class ScoreMovementForm(forms.Form):
    """Two dates to compare the health score between; defaults to 30 days ago vs the latest."""

    first = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    second = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *, latest: date | None):
        self.latest = latest
        self.default_first = latest - timedelta(days=30) if latest else None
        if data is not None and not ({"first", "second"} & set(data)):
            data = None  # the page without a comparison asked for: show the defaults
        super().__init__(data, initial={"first": self.default_first, "second": latest})

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first"), cleaned.get("second")
        if first and second and first >= second:
            self.add_error("second", "Pick a date after the first one.")
        if second and self.latest and second > self.latest:
            self.add_error("second", f"The latest snapshot is of {self.latest:%d %b %Y}.")
        return cleaned

    def dates(self) -> tuple[date, date] | None:
        """The dates to compare: the valid input, else the defaults (None without a snapshot)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["first"], self.cleaned_data["second"]
        if self.latest is None:
            return None
        return self.default_first, self.latest


# Bulk actions from the accounts list (accounts.bulk).

BULK_SELECTED, BULK_FILTER = "selected", "filter"
NO_OWNER = "none"


class BulkSelectionForm(forms.Form):
    """The list's action bar: what to do, and to which accounts (the ticked rows, or every
    account the list's current filter matches, read from the query string). Every kind is
    accepted here; whether the user's role may run it is accounts.bulk's answer (403)."""

    kind = forms.ChoiceField(choices=BulkActionKind.choices, label="Action")
    scope = forms.ChoiceField(
        choices=[(BULK_SELECTED, "Selected rows"), (BULK_FILTER, "Every account matching")],
        initial=BULK_SELECTED,
        required=False,
    )
    # The ticked rows (checkboxes named ids), or the frozen list of the confirmation page.
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    account_ids = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["ids"].choices = []  # any integer: access is checked by accounts.bulk
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()

    def clean_account_ids(self) -> list[int]:
        raw = self.cleaned_data.get("account_ids") or ""
        parts = [part for part in raw.split(",") if part.strip()]
        if not all(part.strip().isdigit() for part in parts):
            raise forms.ValidationError("The list of accounts was damaged; start again.")
        return [int(part) for part in parts]

    def chosen_ids(self) -> list[int]:
        return self.cleaned_data["account_ids"] or self.cleaned_data["ids"]


class BulkValueForm(forms.Form):
    """The second step: the value the action sets (owner, stage, field and value, survey, or
    the task), checked as the single-account forms check it."""

    owner = forms.ChoiceField(required=False, label="New owner")
    stage = forms.ChoiceField(
        required=False, choices=[("", "Choose a stage"), *LifecycleStage.choices],
        label="Lifecycle stage",
    )  # fmt: skip
    field = forms.ChoiceField(required=False, label="Field")
    field_value = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Value",
        help_text="Typed as in an import file (yes/no, 2026-12-31, 1200.50); empty clears it.",
    )  # fmt: skip
    tag = forms.CharField(
        required=False, max_length=200, label="Tag",
        help_text="Letters, digits, spaces and - _ . : / & + #; compared in lower case.",
    )  # fmt: skip
    survey = forms.ChoiceField(required=False, label="Survey")
    title = forms.CharField(required=False, max_length=200, label="Task")
    due_on = forms.DateField(
        required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(
        required=False, choices=TaskPriority.choices, initial=TaskPriority.NORMAL
    )

    def __init__(self, data=None, *, kind: str, owners=(), fields=(), surveys=()):
        super().__init__(data)
        self.kind = kind
        self.fields["owner"].choices = [("", "Choose an owner"), (NO_OWNER, "No owner")] + [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in owners
        ]
        self.owners = {str(user.pk): user for user in owners}
        self.custom_fields = {field.key: field for field in fields}
        self.fields["field"].choices = [("", "Choose a field")] + [
            (field.key, field.label) for field in fields
        ]
        self.fields["survey"].choices = [("", "Choose a survey")] + [
            (str(survey.pk), str(survey)) for survey in surveys
        ]
        self.surveys = {str(survey.pk): survey for survey in surveys}

    REQUIRED = {
        BulkActionKind.OWNER: ("owner",),
        BulkActionKind.STAGE: ("stage",),
        BulkActionKind.FIELD: ("field",),
        BulkActionKind.TAG_ADD: ("tag",),
        BulkActionKind.TAG_REMOVE: ("tag",),
        BulkActionKind.SURVEY: ("survey",),
        BulkActionKind.TASK: ("title", "due_on"),
    }

    def clean(self):
        cleaned = super().clean()
        for name in self.REQUIRED[self.kind]:
            if not cleaned.get(name):
                self.add_error(name, "Choose or type a value.")
        if self.kind == BulkActionKind.FIELD and cleaned.get("field"):
            cleaned["parsed"] = self._parsed(self.custom_fields[cleaned["field"]])
        if self.kind in (BulkActionKind.TAG_ADD, BulkActionKind.TAG_REMOVE) and cleaned.get("tag"):
            try:
                cleaned["tag"] = normalise_tag(cleaned["tag"])
            except BadTag as error:
                self.add_error("tag", str(error))
        return cleaned

    def _parsed(self, field: CustomField):
        raw = (self.cleaned_data.get("field_value") or "").strip()
        if not raw:
            return None
        try:
            return stored_value(field.field_type, parse_value(field, raw))
        except ValueError as error:
            self.add_error("field_value", str(error).capitalize() + ".")
            return None

    def visible_fields_for_kind(self) -> list:
        names = {
            BulkActionKind.OWNER: ("owner",),
            BulkActionKind.STAGE: ("stage",),
            BulkActionKind.FIELD: ("field", "field_value"),
            BulkActionKind.TAG_ADD: ("tag",),
            BulkActionKind.TAG_REMOVE: ("tag",),
            BulkActionKind.SURVEY: ("survey",),
            BulkActionKind.TASK: ("title", "due_on", "priority"),
        }[self.kind]
        return [self[name] for name in names]


class ViewForm(forms.ModelForm):
    """A view's name and audience; its filter is the list's query it was saved from (`query`).
    Only leaders and admins share views; a name is one's own once."""

    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    class Meta:
        model = View
        fields = ("name", "description", "visibility", "team")
        labels = {"visibility": "Who sees it", "team": "Shared with"}
        help_texts = {"team": "A shared view is everyone's, or only one team's."}
        widgets = {"visibility": forms.RadioSelect}

    def __init__(self, *args, user, may_share: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.may_share = user, may_share
        self.fields["team"].required = False
        self.fields["team"].empty_label = "Everyone"
        self.fields["team"].queryset = Group.objects.order_by("name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        owner = self.instance.owner if self.instance.pk else self.user
        taken = View.objects.filter(owner=owner, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a view named “{name}”.")
        return name

    def clean_visibility(self) -> str:
        visibility = self.cleaned_data["visibility"]
        if visibility == ViewVisibility.SHARED and not self.may_share:
            raise forms.ValidationError(
                "Shared views are made by leaders and admins; save it for yourself."
            )
        if visibility == ViewVisibility.PERSONAL and self.instance.pk and not self.instance.owner:
            raise forms.ValidationError("A view that came from a saved filter stays shared.")
        return visibility

    def clean(self):
        cleaned = super().clean()
        personal = cleaned.get("visibility") == ViewVisibility.PERSONAL
        if personal:
            cleaned["team"] = None
        if personal and self.instance.pk and self.instance.playbooks.exists():
            self.add_error("visibility", "A playbook triggers on this view: it stays shared.")
        return cleaned
