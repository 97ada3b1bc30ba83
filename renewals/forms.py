"""The renewal desk's forms: the page's filter, the CSM's call and a churn's reason."""

from django import forms

from renewals.models import Call, ChurnReason
from renewals.selectors import WINDOWS


class RenewalFilterForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Ending within", choices=[(d, f"{d} days") for d in WINDOWS], coerce=int,
        required=False,
    )  # fmt: skip
    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Everyone"), *owners]

    def params(self) -> dict:
        """The valid values; anything invalid falls back to the default (90 days, everyone)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"days": data.get("days") or 90, "owner_id": data.get("owner")}


class RenewalCallForm(forms.Form):
    call = forms.ChoiceField(choices=Call.choices)
    probability = forms.DecimalField(
        label="Chance of churn (%)", min_value=0, max_value=100, decimal_places=1, required=False,
        help_text="Optional: your own chance that it does not renew.",
    )  # fmt: skip
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           required=False)  # fmt: skip

    def churn_probability(self) -> float | None:
        value = self.cleaned_data.get("probability")
        return None if value is None else float(value) / 100


class OutcomeReasonForm(forms.Form):
    reason = forms.ModelChoiceField(queryset=ChurnReason.objects.none(), empty_label=None)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           required=False)  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ChurnReason.objects.filter(is_active=True)
