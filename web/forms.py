"""Forms of the account pages: the list's query parameters, notes, the CSM's sentiment (a
healthscores model) and the score movement's dates."""

from datetime import date, timedelta

from django import forms

from accounts.models import LifecycleStage, Note
from accounts.selectors import ListChoices
from healthscores.models import SentimentOverride
from metrics.models import HealthBand
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
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, data=None, *, choices: ListChoices):
        super().__init__(data)
        self.fields["segment"].choices = [("", "Any segment")] + [(s, s) for s in choices.segments]
        self.fields["region"].choices = [("", "Any region")] + [(r, r) for r in choices.regions]
        self.fields["owner"].choices = [("", "Any owner")] + [
            (str(pk), name) for pk, name in choices.owners
        ]

    def params(self) -> AccountListParams:
        """The valid values, each invalid or missing one replaced by its default."""
        self.is_valid()
        defaults = AccountListParams()
        values = {
            name: self.cleaned_data.get(name) if name not in self.errors else None
            for name in AccountListParams.__dataclass_fields__
        }
        kept = {name: value for name, value in values.items() if value not in (None, "")}
        return AccountListParams(**{**defaults.__dict__, **kept})


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
