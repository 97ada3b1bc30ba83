"""Form pieces shared by the apps: rows of a table (a formset under column headings, the
admin's tabular inlines), where each input needs a name of its own since a column heading is
not a label; and a field for one id among thousands."""

import re

from django import forms
from django.core.exceptions import ValidationError

_ROW = re.compile(r"-(\d+)$")


class RowLabelsMixin:
    """Names each input of a formset row for assistive technology, "Weight, row 2", from its
    field's label and the form's index, unless the widget has an aria-label already. Done as a
    field is rendered, so the fields a formset adds (DELETE, ORDER) are named too."""

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        match = _ROW.search(self.prefix or "")
        row = f", row {int(match.group(1)) + 1}" if match else ""
        widget = getattr(bound.field.widget, "widget", bound.field.widget)  # admin wrappers
        widget.attrs.setdefault("aria-label", f"{bound.label}{row}")
        return bound


class KnownIdField(forms.IntegerField):
    """One id among many known ones (the filters' company group: 2,000 at the bench's 10,000
    accounts), checked against a set. A ChoiceField normalized and deep-copied its 2,000
    choices on every request (20 ms of the list and of the portfolio); the page renders the
    options itself (web.templatetags.northstar.select_options). Set `known` per form."""

    default_error_messages = {
        "unknown": "Select a valid choice. That choice is not one of the available choices."
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.known: frozenset[int] = frozenset()

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and value not in self.known:
            raise ValidationError(self.error_messages["unknown"], code="unknown")
