"""A real Celery worker, consuming the real Redis broker, emails an invitation through Django's
email backend (a file backend here: the worker is another process)."""

import subprocess
import time
from pathlib import Path

import pytest

from surveys.models import Invitation
from surveys.services import invite_contacts
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.factories import default_survey


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


@pytest.fixture
def worker_with_file_email(transactional_db, mail_dir):
    """A real worker writing emails as files in `mail_dir` (filemail:// with an absolute
    path)."""
    process = start_worker(output=subprocess.PIPE, TEST_EMAIL_URL=f"filemail:///{mail_dir}")
    yield process
    stop_worker(process)


@pytest.mark.celery_worker
def test_a_real_worker_emails_the_invitation_once_it_is_committed(worker_with_file_email, mail_dir):
    purge_queue()
    contact = ContactFactory(
        account=AccountFactory(), name="Ana Lima", email="ana@customer.example"
    )

    outcome = invite_contacts(survey=default_survey(), contacts=[contact])  # commits: no test txn

    invitation = outcome.invitations[0]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        invitation.refresh_from_db()
        if invitation.sent_at is not None:
            break
        assert worker_with_file_email.poll() is None, worker_with_file_email.stdout.read()
        time.sleep(0.5)
    assert invitation.sent_at is not None, "the worker did not send the email within 90 s"
    emails = "".join(path.read_text() for path in mail_dir.iterdir())
    assert "To: ana@customer.example" in emails
    assert f"/s/{invitation.token}/" in emails
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 0
