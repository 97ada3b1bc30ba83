"""Celery entry points of the surveys app: thin wrappers around surveys.services.

The email task takes invitation ids, never instances. It is idempotent (only open, unsent
invitations are sent, and each is marked when sent), so a redelivery after a crash or a retry
after a mail server error sends nothing twice.
"""

from smtplib import SMTPException

from celery import shared_task

from surveys.services import invitation_emails_send


@shared_task(
    name="surveys.send_invitations",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def send_invitations(invitation_ids: list[int]) -> dict:
    return {"sent": invitation_emails_send(invitation_ids=invitation_ids)}
