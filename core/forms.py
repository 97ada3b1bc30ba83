"""Forms shown as rows of a table (a formset under column headings, the admin's tabular
inlines): each input needs a name of its own, since a column heading is not a label."""

import re

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
