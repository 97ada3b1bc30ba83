"""Forms of the surveys app: the public answer, the results page's filters and the invitations
sent from the account page and the admin."""

from django import forms

from accounts.importer.records import SURVEYS
from accounts.models import Contact
from surveys.models import SCORE_RANGES, ScoreGroup, Survey, SurveyKind
from surveys.services import MAX_EXPIRY_DAYS


class ResponseForm(forms.Form):
    """A customer's answer. The score and comment go through the surveys.csv validator of
    kpi-spec section 2 (accounts/importer/records.py), so the page and the import accept exactly
    the same values; the kind comes from the invitation, never from the form."""

    score = forms.CharField(required=False, max_length=10)
    comment = forms.CharField(required=False, strip=False, widget=forms.Textarea)

    def __init__(self, data=None, *, survey: Survey):
        super().__init__(data)
        self.survey = survey

    def clean(self):
        cleaned = super().clean()
        if self.errors:  # a null character or an oversized score: not ours to parse further
            self._friendly_errors()
            return cleaned
        raw = {
            "kind": self.survey.kind,
            "score": cleaned.get("score") or "",
            "comment": cleaned.get("comment") or "",
        }
        values, problems = SURVEYS.clean(raw)
        for column, message in problems:
            self.add_error(column if column in self.fields else None, message)
        self._friendly_errors()
        if not self.errors:
            cleaned["score"], cleaned["comment"] = values["score"], values["comment"] or ""
        return cleaned

    def _friendly_errors(self) -> None:
        """The validator speaks to importers; a customer gets one plain sentence per field."""
        low, high = SCORE_RANGES[self.survey.kind]
        if "score" in self.errors:
            missing = not (self.data.get("score") or "").strip()
            message = (
                f"Choose a score from {low} to {high}."
                if missing
                else f"That score is not on the scale: choose a whole number from {low} to {high}."
            )
            self.errors["score"] = self.error_class([message])
        if "comment" in self.errors:
            detail = "; ".join(self.errors["comment"])
            self.errors["comment"] = self.error_class(
                [f"Your comment could not be saved: {detail}."]
            )


PERIOD_MONTHS = (3, 6, 12, 24)
DEFAULT_PERIOD_MONTHS = 12


class ResultsFilterForm(forms.Form):
    """The results page's query string; a bad value falls back to its default, so a stale
    bookmark still shows results."""

    kind = forms.ChoiceField(required=False, label="Survey",
                             choices=[("", "All surveys"), *SurveyKind.choices])  # fmt: skip
    group = forms.ChoiceField(required=False, label="Score group",
                              choices=[("", "Any score"), *ScoreGroup.choices])  # fmt: skip
    segment = forms.ChoiceField(required=False, label="Segment")
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Owner")
    months = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=DEFAULT_PERIOD_MONTHS,
        label="Period",
        choices=[(str(m), f"Last {m} months") for m in PERIOD_MONTHS],
    )

    def __init__(self, data=None, *, segments: list[str], owners: list[tuple[int, str]]):
        if data is not None and not data.get("months"):
            # Without a period asked for, the picker shows the default the page applies (else
            # the browser shows the first option, "Last 3 months", over 12 months of figures).
            data = data.copy()
            data["months"] = str(DEFAULT_PERIOD_MONTHS)
        super().__init__(data)
        self.fields["segment"].choices = [("", "Any segment")] + [(s, s) for s in segments]
        self.fields["owner"].choices = [("", "Any owner")] + [(str(pk), n) for pk, n in owners]
        if not owners:
            del self.fields["owner"]

    def params(self) -> dict:
        """Every filter's valid value, or its default when missing or invalid."""
        self.is_valid()
        defaults = {
            "kind": "",
            "group": "",
            "segment": "",
            "owner": None,
            "months": DEFAULT_PERIOD_MONTHS,
        }
        return {
            name: self.cleaned_data.get(name, default)
            if name in self.fields
            and name not in self.errors
            and self.cleaned_data.get(name) not in (None, "")
            else default
            for name, default in defaults.items()
        }


class InviteForm(forms.Form):
    """Send a survey from the account page: to one contact of the account, or to all of them."""

    survey = forms.ModelChoiceField(
        queryset=Survey.objects.filter(is_active=True),
        error_messages={"invalid_choice": "That survey is not active any more."},
    )
    contact = forms.CharField(max_length=20)

    def __init__(self, data=None, *, account):
        super().__init__(data)
        self.account = account

    def clean_contact(self) -> Contact | None:
        """None means every current contact of the account."""
        value = self.cleaned_data["contact"]
        if value == "all":
            return None
        contact = self.account.contacts.filter(pk=value).first() if value.isdigit() else None
        if contact is None:
            raise forms.ValidationError("That contact is not one of this account's contacts.")
        return contact


class SendSurveyForm(forms.Form):
    """The admin action's choices: which survey, and how long its links stay valid."""

    survey = forms.ModelChoiceField(
        queryset=Survey.objects.filter(is_active=True), empty_label=None
    )
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=MAX_EXPIRY_DAYS, initial=30, label="Link valid for (days)"
    )
