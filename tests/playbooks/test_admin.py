"""The Django admin edits playbooks with the same validation as the playbook page."""

import pytest

from playbooks.models import Playbook, PlaybookRun
from playbooks.services import playbooks_evaluate
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


def test_every_playbook_admin_page_renders(admin_client, today_is):
    playbook = make_playbook("renewal_within", days=90)
    SnapshotFactory(as_of=AS_OF, days_to_renewal=10)
    playbooks_evaluate(as_of=AS_OF)
    run = PlaybookRun.objects.get()

    for url in (
        "/admin/playbooks/playbook/", "/admin/playbooks/playbook/add/",
        f"/admin/playbooks/playbook/{playbook.pk}/change/",
        "/admin/playbooks/playbookrun/", f"/admin/playbooks/playbookrun/{run.pk}/change/",
        "/admin/playbooks/task/", "/admin/playbooks/task/add/",
    ):  # fmt: skip
        assert admin_client.get(url).status_code == 200, url


def test_the_admin_refuses_a_trigger_without_its_parameters(admin_client, today_is):
    data = {
        "name": "Falling", "description": "", "trigger": "health_fell", "band": "",
        "points": "", "days": "", "threshold": "", "view": "",
        "reenroll_after_days": "30",
        "conditions-TOTAL_FORMS": "0", "conditions-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
        "actions-0-position": "1", "actions-0-kind": "add_note", "actions-0-day_offset": "0",
        "actions-0-title": "", "actions-0-body": "Health fell: {details}",
        "actions-0-due_in_days": "3", "actions-0-priority": "normal",
        "actions-0-assignee_rule": "owner",
    }  # fmt: skip

    response = admin_client.post("/admin/playbooks/playbook/add/", data)

    page = response.content.decode()
    assert "needs the points (N)" in page and "needs the number of days" in page
    assert not Playbook.objects.filter(name="Falling").exists()


def test_admin_actions_activate_and_rotate_the_secret(admin_client, today_is):
    playbook = make_playbook("champion_left", active=False)
    secret = playbook.webhook_secret

    admin_client.post("/admin/playbooks/playbook/",
                      {"action": "activate", "_selected_action": [playbook.pk]})  # fmt: skip
    admin_client.post("/admin/playbooks/playbook/",
                      {"action": "rotate_secret", "_selected_action": [playbook.pk]})  # fmt: skip

    playbook.refresh_from_db()
    assert playbook.is_active and playbook.webhook_secret != secret
    assert len(playbook.webhook_secret) == 64
