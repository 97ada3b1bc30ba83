"""The audit page's filters (the read API takes the same parameters)."""

from django import forms
from django.contrib.contenttypes.models import ContentType

from audit.models import ActorKind
from audit.selectors import AuditFilter, Cursor, object_types

_DATE = forms.DateInput({"type": "date"})


def type_key(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


class AuditFilterForm(forms.Form):
    actor_kind = forms.ChoiceField(
        label="Actor kind", required=False, choices=[("", "Any"), *ActorKind.choices]
    )
    actor = forms.CharField(
        label="Actor", required=False, max_length=200,
        help_text="A user, API key, connector or playbook name (its start).",
    )  # fmt: skip
    object_type = forms.ChoiceField(label="Object type", required=False)
    object_id = forms.CharField(label="Object id", required=False, max_length=64)
    action = forms.CharField(
        label="Action", required=False, max_length=64,
        help_text="task.create, or task for every action on tasks.",
    )  # fmt: skip
    date_from = forms.DateField(label="From", required=False, widget=_DATE)
    date_to = forms.DateField(label="To", required=False, widget=_DATE)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {type_key(ct): ct for ct in object_types()}
        self.fields["object_type"].choices = [("", "Any")] + [
            (key, f"{ct.app_label} · {ct.name}") for key, ct in self.types.items()
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def clean_cursor(self) -> Cursor | None:
        text = self.cleaned_data.get("cursor") or ""
        if not text:
            return None
        try:
            return Cursor.parse(text)
        except ValueError:
            message = "This page link is not valid; start from the first page."
            raise forms.ValidationError(message) from None

    def filters(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            actor_kind=data.get("actor_kind") or "",
            actor=data.get("actor") or "",
            object_type=self.types.get(data.get("object_type") or ""),
            object_id=data.get("object_id") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
