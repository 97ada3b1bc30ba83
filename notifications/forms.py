"""The preferences form: which signals go through which channel, scope, quiet hours, digest."""

import zoneinfo

from django import forms

from accounts.access import user_sees_all_accounts
from notifications.models import ChannelChoice, NotificationPreference, Scope, Signal


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["digest", "digest_hour", "time_zone", "scope", "quiet_from", "quiet_until",
                  "slack_user_id"]  # fmt: skip
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["digest_hour"].widget = forms.NumberInput(attrs={"min": 0, "max": 23})
        for signal in Signal:
            self.fields[f"channels_{signal.value}"] = forms.MultipleChoiceField(
                label=signal.label,
                choices=ChannelChoice.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=self.instance.channels.get(signal.value, []),
            )

    def signal_fields(self):
        return [self[f"channels_{signal.value}"] for signal in Signal]

    def clean_digest_hour(self):
        hour = self.cleaned_data["digest_hour"]
        if not 0 <= hour <= 23:
            raise forms.ValidationError("Choose an hour from 0 to 23.")
        return hour

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(
                    f"{name!r} is not a time zone: use a name such as Europe/Berlin."
                ) from None
        return name

    def clean_scope(self):
        scope = self.cleaned_data["scope"]
        if scope == Scope.ALL and not user_sees_all_accounts(self.user):
            raise forms.ValidationError("Only those who see every account can follow them all.")
        return scope

    def clean(self):
        cleaned = super().clean()
        quiet = (cleaned.get("quiet_from"), cleaned.get("quiet_until"))
        if (quiet[0] is None) != (quiet[1] is None):
            self.add_error("quiet_until", "Give both ends of the quiet hours, or neither.")
        elif quiet[0] is not None and quiet[0] == quiet[1]:
            self.add_error("quiet_until", "The quiet hours cannot start and end at once.")
        return cleaned

    def save(self, commit=True):
        preference = super().save(commit=False)
        preference.user = self.user
        preference.channels = {
            signal.value: self.cleaned_data.get(f"channels_{signal.value}", []) for signal in Signal
        }
        if commit:
            preference.save()
        return preference
