"""Playbook words for templates: `{{ playbook|trigger_summary }}` reads "Renewal in 90 days"."""

from django import template

from playbooks import wording

register = template.Library()


@register.filter
def trigger_summary(playbook) -> str:
    return wording.trigger_summary(playbook)
