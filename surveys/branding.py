"""Who customers hear from: the company's name, logo and sender address, from settings
(COMPANY_NAME, COMPANY_LOGO_URL, DEFAULT_FROM_EMAIL), for every page and email a customer sees.

Survey texts may name `{company}`; without COMPANY_NAME it reads "us", as the texts did.
"""

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.checks import Warning, register

PLACEHOLDER = "{company}"


@dataclass(frozen=True)
class Company:
    name: str
    logo_url: str  # as configured: a URL, a path on this site, or ""

    @property
    def absolute_logo_url(self) -> str:
        """For emails, which cannot follow a path on this site."""
        if self.logo_url.startswith("/"):
            return settings.SITE_URL + self.logo_url
        return self.logo_url


def company() -> Company:
    return Company(name=settings.COMPANY_NAME, logo_url=settings.COMPANY_LOGO_URL)


def with_company(text: str) -> str:
    """A survey text with `{company}` replaced by the company's name (or "us")."""
    return text.replace(PLACEHOLDER, settings.COMPANY_NAME or "us")


def from_email() -> str:
    """DEFAULT_FROM_EMAIL, shown as the company unless it names itself already."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if name or not settings.COMPANY_NAME:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((settings.COMPANY_NAME, address))


@register(deploy=True)
def check_branding(app_configs, **kwargs) -> list[Warning]:
    """`check --deploy`: customers should not get mail from localhost or pages saying "us"."""
    problems = []
    if not settings.COMPANY_NAME:
        problems.append(
            Warning(
                "COMPANY_NAME is not set: survey pages and emails say “us” instead of a name.",
                hint="Set COMPANY_NAME (and COMPANY_LOGO_URL) in the environment.",
                id="surveys.W001",
            )
        )
    if parseaddr(settings.DEFAULT_FROM_EMAIL)[1].endswith("@localhost"):
        problems.append(
            Warning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL}: customers get survey "
                "invitations from an address they cannot answer.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your company.",
                id="surveys.W002",
            )
        )
    return problems
