"""CSV export of survey responses: the results page's filter, safe to open in a spreadsheet.

Cells go through accounts.exports.csv_safe, so a comment starting with "=" or "@" stays text
instead of running as a formula (OWASP "CSV injection").
"""

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone

from accounts.exports import csv_safe
from surveys.models import SurveyResponse

HEADER = ("Responded at", "Account", "Account external id", "Segment", "Owner", "Contact",
          "Contact email", "Survey", "Score", "Score group", "Comment")  # fmt: skip


class _Echo:
    """A file-like object whose write returns the line, for a streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def row_values(response: SurveyResponse) -> list[str]:
    account, contact = response.account, response.contact
    owner = account.owner
    values = (
        timezone.localtime(response.responded_at).strftime("%Y-%m-%d %H:%M"),
        account.name,
        account.external_id,
        account.segment,
        (owner.get_full_name() or owner.email) if owner else "",
        str(contact) if contact else "",
        contact.email if contact else "",
        response.get_kind_display(),
        response.score,
        response.group,
        response.comment,
    )
    return [csv_safe(value) for value in values]


def csv_lines(responses: Iterable[SurveyResponse]) -> Iterator[str]:
    """The header and one line per response, produced as the rows are read."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for response in responses:
        yield writer.writerow(row_values(response))
