"""Helpers of the audit tests: what was recorded since a mark, and admin forms posted back."""

import datetime as dt
import json

from django.db.models import Max

from audit.models import AuditEntry


def mark() -> int:
    return AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0


def entries_since(last: int) -> list[tuple[str, str, str]]:
    """(action, actor kind, actor label) of each entry after `last`, oldest first."""
    return list(
        AuditEntry.objects.filter(id__gt=last)
        .order_by("id")
        .values_list("action", "actor_kind", "actor_label")
    )


def _as_posted(value) -> object:
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def admin_form_data(response, **changes) -> dict:
    """The data a browser posts back from an admin change page as it is (every field of the
    form and of its inlines with their current values), with `changes` applied."""
    data = {}

    def add(form) -> None:
        for name in form.fields:
            bound = form[name]
            widget = bound.field.widget
            value = bound.value()
            if hasattr(widget, "widgets"):  # the admin's split date and time
                parts = widget.decompress(value)
                for index, part in enumerate(parts):
                    posted = _as_posted(part)
                    if posted is not None:
                        data[f"{bound.html_name}_{index}"] = posted
                continue
            posted = _as_posted(value)
            if posted is not None:
                data[bound.html_name] = posted

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
        for form in formset.initial_forms:
            add(form)
    data.update(changes)
    return data
