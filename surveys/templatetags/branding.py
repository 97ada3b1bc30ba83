"""The company customers hear from, for the public survey pages and the invitation emails:
`{% company as company %}` and `{{ survey.question|with_company }}`."""

from django import template

from surveys import branding

register = template.Library()


@register.simple_tag
def company() -> branding.Company:
    return branding.company()


@register.filter
def with_company(text: str) -> str:
    return branding.with_company(text)
