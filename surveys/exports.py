"""The columns of the survey responses' CSV export (the results page's filter).

The web app streams them through core.exports.csv_response, whose cells keep a comment starting
with "=" or "@" as text instead of a formula (OWASP "CSV injection").
"""

from django.utils import timezone

from surveys.models import SurveyResponse

HEADER = ("Responded at", "Account", "Account external id", "Segment", "Owner", "Contact",
          "Contact email", "Survey", "Score", "Score group", "Comment")  # fmt: skip


def row_values(response: SurveyResponse) -> tuple:
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
    return values
