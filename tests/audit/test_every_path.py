"""Every way a change reaches the database leaves exactly its audit entries: the pages, the
admin, the API, a connector, the import, the nightly job, a playbook's run, sign-ins and
exports. Each step is taken the way a user or a source takes it (a request through the test
client, the command, the task function) and the entries it added are compared with the list
written here; at the end, the whole log is exactly the sum of those lists."""

import base64
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import Note
from api.models import ApiKey, Scope
from api.services import api_key_create
from audit.models import AuditEntry
from connectors.services import connector_create
from healthscores.models import Alert, HealthModel
from metrics.tasks import nightly
from playbooks.models import PlaybookRun, Task
from playbooks.services import playbooks_evaluate, run_execute
from surveys.models import Survey
from tests.api.conftest import post_items
from tests.audit.conftest import admin_form_data, entries_since, mark
from tests.factories import AccountFactory, ContactFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

NOTE = {"body": "Called the sponsor; renewal looks good."}
SENTIMENT = {"band": "green", "reason": "Exec sponsor confirmed the renewal."}


class Steps:
    """Takes each step and keeps what it was expected to record."""

    def __init__(self):
        self.expected: list[tuple[str, str, str]] = []

    def check(self, take, *expected: tuple[str, str, str]):
        before = mark()
        result = take()
        assert entries_since(before) == list(expected)
        self.expected += expected
        return result


def admin_change(client, path: str, **changes):
    page = client.get(path)
    assert page.status_code == 200, path
    response = client.post(path, admin_form_data(page, **changes))
    if response.status_code != 302:
        inlines = [(i.formset.errors, i.formset.non_form_errors())
                   for i in response.context["inline_admin_formsets"]]  # fmt: skip
        raise AssertionError((response.context["adminform"].form.errors, inlines))
    return response


def test_every_write_path_leaves_exactly_its_audit_entries(
    client, admin_user, alice, run_import, csv_dir, write_csv
):
    steps = Steps()
    # alice's fixture gave her the CSM role through the ORM: the system's doing.
    steps.expected.append(("user.roles_added", "system", "system"))
    account = AccountFactory(name="Acme", owner=alice, external_id="acme")
    staff = admin_user.get_username()

    # Sign-ins: a refused password (the name tried, never the password), then alice.
    steps.check(
        lambda: client.post("/login/", {"username": "alice", "password": "wrong"}),
        ("user.sign_in_failed", "anonymous", "alice"),
    )
    steps.check(
        lambda: client.post("/login/", {"username": "alice", "password": "password"}),
        ("user.sign_in", "user", "alice"),
    )
    assert AuditEntry.objects.filter(action__startswith="user.sign_in", ip="127.0.0.1").count() == 2

    # The 360 page's writes, as alice.
    steps.check(
        lambda: client.post(reverse("note_create", args=[account.pk]), NOTE),
        ("note.create", "user", "alice"),
    )
    steps.check(
        lambda: client.post(
            reverse("task_create", args=[account.pk]),
            {"title": "Call", "due_on": "2099-05-01", "priority": "normal"},
        ),
        ("task.create", "user", "alice"),
    )
    task = Task.objects.get(account=account)
    steps.check(
        lambda: client.post(reverse("task_snooze", args=[task.pk]), {"days": "1"}),
        ("task.snooze", "user", "alice"),
    )
    steps.check(
        lambda: client.post(reverse("task_complete", args=[task.pk])),
        ("task.complete", "user", "alice"),
    )
    alert = Alert.objects.create(
        account=account, owner=alice, reason="entered_red", as_of=timezone.localdate()
    )
    steps.check(
        lambda: client.post(reverse("alert_acknowledge", args=[alert.pk])),
        ("alert.acknowledge", "user", "alice"),
    )
    steps.check(
        lambda: client.post(reverse("sentiment_override_create", args=[account.pk]), SENTIMENT),
        ("sentimentoverride.create", "user", "alice"),
    )
    # Every export, with its filters.
    steps.check(
        lambda: b"".join(client.get(reverse("accounts_export"), {"q": "Acme"}).streaming_content),
        ("export.accounts", "user", "alice"),
    )
    assert AuditEntry.objects.get(action="export.accounts").details["query"] == {"q": ["Acme"]}

    # The admin, as staff: accounts, contacts, contracts, notes, users and roles, health
    # models, surveys, playbooks, API keys and connectors.
    steps.check(lambda: client.force_login(admin_user), ("user.sign_in", "user", staff))
    steps.check(
        lambda: admin_change(
            client, f"/admin/accounts/account/{account.pk}/change/", segment="Enterprise"
        ),
        ("account.update", "user", staff),
    )
    contact = ContactFactory(account=account, name="Sam")
    steps.check(
        lambda: admin_change(
            client, f"/admin/accounts/contact/{contact.pk}/change/", name="Sam Lee"
        ),
        ("contact.update", "user", staff),
    )
    steps.check(
        lambda: client.post(
            "/admin/accounts/contract/add/",
            {
                "account": account.pk,
                "external_id": "c-1",
                "mrr": "100",
                "currency": "USD",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "status": "active",
            },
        ),
        ("contract.create", "user", staff),
    )
    note = Note.objects.get(account=account)
    steps.check(
        lambda: client.post(f"/admin/accounts/note/{note.pk}/delete/", {"post": "yes"}),
        ("note.delete", "user", staff),
    )
    steps.check(
        lambda: admin_change(client, f"/admin/auth/user/{alice.pk}/change/", last_name="Smith"),
        ("user.update", "user", staff),
    )
    roles = [
        str(pk)
        for pk in Group.objects.filter(name__in=["CSM", "Leader"]).values_list("pk", flat=True)
    ]
    steps.check(
        lambda: admin_change(client, f"/admin/auth/user/{alice.pk}/change/", groups=roles),
        ("user.roles_added", "user", staff),
    )
    model = HealthModel.objects.first()
    steps.check(
        lambda: admin_change(
            client,
            f"/admin/healthscores/healthmodel/{model.pk}/change/",
            green_threshold="75",
            reason="Stricter green after the QBR review.",
        ),
        ("healthmodel.update", "user", staff),
        ("healthmodel.publish", "user", staff),
    )
    survey = Survey.objects.filter(is_active=True).first()
    steps.check(
        lambda: admin_change(
            client, f"/admin/surveys/survey/{survey.pk}/change/", question="How likely, really?"
        ),
        ("survey.update", "user", staff),
    )
    playbook = make_playbook("renewal_within", days=90, active=False, name="Renewals")
    steps.check(
        lambda: client.post(reverse("playbook_toggle", args=[playbook.pk]), {"active": "1"}),
        ("playbook.activate", "user", staff),
    )
    steps.check(
        lambda: client.post(
            "/admin/api/apikey/add/",
            {
                "name": "billing sync",
                "user": admin_user.pk,
                "rate_limit_per_minute": 600,
                "scopes": [Scope.WRITE_ACCOUNTS, Scope.READ_AUDIT],
            },
        ),
        ("apikey.create", "user", staff),
    )
    api_key = ApiKey.objects.get(name="billing sync")
    steps.check(
        lambda: client.post(
            "/admin/api/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}
        ),
        ("apikey.revoke", "user", staff),
    )
    steps.check(
        lambda: client.post(
            "/admin/connectors/connector/add/",
            {"kind": "stripe", "name": "Billing", "settings": "{}", "is_active": "on"},
        ),
        ("connector.create", "user", staff),
    )
    # Secrets and their hashes are never written to the log, only that they changed.
    changes = AuditEntry.objects.get(action="connector.create").changes
    assert set(changes.get("secrets_encrypted", [None])) <= {None, "(changed)"}

    # An API batch: one entry for the batch, however many items, by the key.
    _key, text = steps.check(
        lambda: api_key_create(name="sync job", user=admin_user, scopes=[Scope.WRITE_ACCOUNTS]),
        ("apikey.create", "system", "system"),
    )
    steps.check(
        lambda: post_items(
            client,
            "accounts",
            [{"external_id": f"api-{n}", "name": f"From the API {n}"} for n in range(3)],
            text,
        ),
        ("api_batch.accounts", "api_key", "sync job"),
    )
    assert AuditEntry.objects.get(action="api_batch.accounts").details == {
        "received": 3,
        "written": 3,
    }

    # A connector's delivery: one entry by the connector.
    _segment, write_key = connector_create(kind="segment", name="Product")
    steps.expected.append(("connector.create", "system", "system"))  # the command's service
    messages = [
        {
            "type": "identify",
            "userId": f"u{n}",
            "traits": {"email": f"u{n}@acme.example", "name": f"User {n}"},
            "context": {"groupId": "acme"},
        }
        for n in range(2)
    ]
    steps.check(
        lambda: client.post(
            "/ingest/segment/v1/batch",
            json.dumps({"batch": messages}),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{write_key}:".encode()).decode(),
        ),
        ("connector.delivery", "connector", "Product"),
    )

    # The import: one entry for every file and row.
    write_csv(
        csv_dir,
        "accounts.csv",
        """
        external_id,name,segment
        imp-1,Imported One,SMB
        imp-2,Imported Two,SMB
        """,
    )
    steps.check(lambda: run_import(csv_dir), ("import.run", "system", "system"))
    assert AuditEntry.objects.get(action="import.run").details["rows"] == {"accounts": 2}

    # The nightly job: one entry for the date, whatever it wrote.
    steps.check(lambda: nightly(), ("snapshot.recompute", "system", "system"))

    # A playbook's run: the task it makes is the playbook's doing.
    SnapshotFactory(account=account, as_of=AS_OF, days_to_renewal=30)
    playbooks_evaluate(as_of=AS_OF)
    run = PlaybookRun.objects.get(playbook=playbook, account=account)
    steps.check(lambda: run_execute(run_id=run.pk), ("task.create", "playbook", "Renewals"))

    # A customer answering a survey on the public page (no login; with the address).
    client.logout()
    invitation = InvitationFactory(contact=contact, account=account)
    steps.check(
        lambda: client.post(reverse("survey_respond", args=[invitation.token]), {"score": "9"}),
        ("surveyresponse.create", "anonymous", "anonymous"),
    )

    # Nothing else was ever recorded.
    assert list(AuditEntry.objects.order_by("id").values_list(
        "action", "actor_kind", "actor_label")) == steps.expected  # fmt: skip
