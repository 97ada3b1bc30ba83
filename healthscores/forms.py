"""Validation of health models, shared by the admin and the health lab."""

from django import forms
from django.core.exceptions import ValidationError

from healthscores.models import HealthComponent, HealthModel


class HealthModelForm(forms.ModelForm):
    class Meta:
        model = HealthModel
        fields = ("name", "segment", "is_active", "green_threshold", "yellow_threshold")

    def clean(self):
        cleaned = super().clean()
        green, yellow = cleaned.get("green_threshold"), cleaned.get("yellow_threshold")
        if green is not None and yellow is not None and not 0 < yellow < green <= 100:
            raise ValidationError("Thresholds must satisfy 0 < yellow < green <= 100.")
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


class HealthComponentForm(forms.ModelForm):
    class Meta:
        model = HealthComponent
        fields = ("metric", "weight", "bad", "good")

    def clean(self):
        cleaned = super().clean()
        weight = cleaned.get("weight")
        if weight is not None and weight < 0:
            self.add_error("weight", "A weight cannot be negative.")
        if cleaned.get("bad") is not None and cleaned.get("bad") == cleaned.get("good"):
            self.add_error("good", "Good must differ from bad (the score is linear between them).")
        return cleaned


class HealthComponentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        metrics = [data.get("metric") for data in kept]
        duplicates = sorted({m for m in metrics if metrics.count(m) > 1})
        if duplicates:
            raise ValidationError(f"Each metric may appear once: {', '.join(duplicates)}.")
        if not any((data.get("weight") or 0) > 0 for data in kept):
            raise ValidationError("At least one component needs a weight above 0.")
