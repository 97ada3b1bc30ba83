"""Single sign-on in the audit log, against the real local provider (tests/oidc): a first
sign-in records the roles the provider's groups gave and the sign-in; leaving a group records
the role removed (and the refusal); a tampered token records the refusal with its reason."""

import pytest

from audit.models import AuditEntry
from tests.accounts.test_sso import MAYA, sign_in
from tests.audit.conftest import entries_since, mark

pytestmark = pytest.mark.django_db


def test_sso_sign_ins_and_the_roles_they_map_are_recorded(client, sso):
    sso.users(maya=MAYA)
    before = mark()
    sign_in(client, "maya", "maya-pass")
    assert entries_since(before) == [
        # The callback maps the provider's groups before anyone is signed in: anonymous, with
        # the address of the request.
        ("user.roles_added", "anonymous", "anonymous"),
        ("user.sign_in", "user", "maya@corp.example"),
    ]
    assert AuditEntry.objects.get(action="user.roles_added").changes == {"groups": [None, ["CSM"]]}

    client.logout()
    sso.users(maya={**MAYA, "groups": ["everyone"]})
    before = mark()
    sign_in(client, "maya", "maya-pass")
    # In no mapped group any more: the role goes, and the sign-in is refused.
    actions = [action for action, _kind, _label in entries_since(before)]
    assert actions == ["user.roles_removed", "user.sign_in_failed"]


def test_a_tampered_token_is_recorded_as_a_refused_sign_in_with_its_reason(client, sso):
    sso.users(maya=MAYA)
    sso.fault("tampered")
    before = mark()
    sign_in(client, "maya", "maya-pass")
    assert entries_since(before) == [("user.sign_in_failed", "anonymous", "anonymous")]
    details = AuditEntry.objects.get(action="user.sign_in_failed").details
    assert details["method"] == "oidc"
    assert details["reason"].startswith("The ID token is not valid")
