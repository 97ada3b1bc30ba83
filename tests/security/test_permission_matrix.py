"""Who may open what: every URL pattern of the project, for every kind of user.

The URL patterns are read from the root resolver (recursively, the admin's included), so a new
page is never forgotten: a pattern missing from ACCESS fails `test_every_url_pattern_is_
classified` with a message saying how to classify it. Each pattern is then requested once per
persona, with its path parameters filled with real objects (alice's account, an alert on it,
a row of the admin's model), and the status compared with its row of ACCESS. Every HTML page
served with 200 must also keep the Content-Security-Policy (a nonce on each inline script, no
inline event handler).

Personas (tests/conftest.py): anonymous; `owner` alice, a CSM owning the account in the path;
`other_csm` bob, a CSM owning another account; `leader` lena; `admin`, a superuser (staff).
Three more CSMs hold a task on alice's account (issue 13): `assigned` carol was given one by the
leader, so she may read the account but not change it; `self_assigned` dave wrote himself one
due in 2099 and `done_task` erin finished hers, and neither task grants anything: both are
answered exactly as `other_csm`.
"""

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import BulkAction, CostMonth, CustomField, ImportLog, Note, View
from connectors.models import InboxItem
from connectors.services import connector_create
from healthscores.models import Alert, SentimentOverride
from metrics.models import KpiTarget
from metrics.services import snapshot_recompute
from playbooks.models import Task
from renewals.models import RenewalOutcome
from surveys.models import InAppKey
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    SurveyResponseFactory,
    TaskFactory,
    TicketFactory,
    UsageDailyFactory,
    UserFactory,
)
from tests.playbooks.conftest import make_playbook
from tests.security.csp import csp_problems
from tests.surveys.factories import InvitationFactory

# What a persona gets. Numbers are HTTP statuses; the names are redirects, told apart by target.
LOGIN = "login"  # 302 to /login/?next=... (LoginRequiredMiddleware)
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=... (the admin's staff check)
DONE = "redirect"  # 302 anywhere else: an action done, or a page moved

PERSONAS = (
    "anonymous", "owner", "other_csm", "leader", "admin", "assigned", "self_assigned", "done_task",
)  # fmt: skip
# A task that grants nothing leaves its holder where a CSM without any task is.
AS_OTHER_CSM = ("self_assigned", "done_task")
# Changing an account read through a task given to you: 403, the owner's call.
READ_ONLY = 403


@dataclass(frozen=True)
class Rule:
    """The expected answer for each persona, and how to ask."""

    anonymous: int | str
    owner: int | str
    other_csm: int | str
    leader: int | str
    admin: int | str
    # carol, reading alice's account through a task the leader gave her: None answers as the
    # owner (every read); each write of the account says READ_ONLY.
    assigned: int | str | None = None
    method: str = "GET"
    # The request's data, or a function of the world giving it (for real ids).
    data: dict | Callable[[dict], dict] = field(default_factory=dict)
    # A list or export of accounts: alice's account must appear for those who may see it
    # (status 200) and be absent for the other CSM.
    lists_accounts: bool = False

    def expected(self, persona: str) -> int | str:
        if persona in AS_OTHER_CSM:
            return self.other_csm
        if persona == "assigned" and self.assigned is None:
            return self.owner
        return getattr(self, persona)


def every(answer: int | str, **kwargs) -> Rule:
    return Rule(answer, answer, answer, answer, answer, **kwargs)


def staff_only(admin: int | str = 200, **kwargs) -> Rule:
    """A model admin's page: logged-in users who are not staff are sent to the admin's login,
    anonymous users to the site's login first (LoginRequiredMiddleware)."""
    return Rule(LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, admin, **kwargs)


def admin_site_page(admin: int | str = 200, **kwargs) -> Rule:
    """A page of the admin site itself (Django marks these login_not_required): everyone but
    staff is sent to the admin's login."""
    return Rule(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, admin, **kwargs)


NOTE = {"body": "Called the sponsor; renewal looks good."}
SENTIMENT = {"band": "green", "reason": "Exec sponsor confirmed the renewal."}
TASK = {"title": "Call", "due_on": "2099-05-01", "priority": "normal"}


def bulk_task(world: dict) -> dict:
    """Step two of a bulk action: a task for alice's account."""
    return {"kind": "task", "account_ids": str(world["account"].pk), "confirm": "1", **TASK}


# The classification of every URL pattern. Keys are URL names (namespace:name) or, for unnamed
# patterns, the route; a key may use shell wildcards (*), the first matching key wins, exact
# keys before wildcards. To classify a new page, add its row here.
ACCESS: dict[str, Rule] = {
    # Public.
    "healthz": every(200),
    "login": Rule(200, DONE, DONE, DONE, DONE),  # a logged-in user is sent on
    "logout": Rule(LOGIN, DONE, DONE, DONE, DONE, method="POST"),
    # Single sign-on, not configured here: the pages do not exist. Configured, they answer
    # everyone (the sign-in starts there); tests/accounts/test_sso.py checks that state.
    "oidc_authenticate": every(404),
    "oidc_callback": every(404),
    # Accounts: a CSM sees the accounts they own, leaders and admins every account; 404 hides
    # an account's existence from those who may not see it.
    "home": Rule(LOGIN, 200, 200, 200, 200, lists_accounts=True),
    "accounts_export": Rule(LOGIN, 200, 200, 200, 200, lists_accounts=True),
    "account_detail": Rule(LOGIN, 200, 404, 200, 200),
    # The header's search finds only the accounts one may see (bob finds nothing of alice's).
    "search": Rule(LOGIN, 200, 200, 200, 200, data={"q": "Customer"}, lists_accounts=True),
    "search_suggest": Rule(LOGIN, 200, 200, 200, 200, data={"q": "Customer"}, lists_accounts=True),
    # The group picker suggests only the company groups one may see (the world's account has no
    # children: the test below makes it a group and checks bob is offered nothing of it).
    "group_suggest": Rule(LOGIN, 200, 200, 200, 200, data={"q": "Customer"}),
    # Leaders read notes but do not write them (no accounts.add_note).
    # A CSM given a task on the account reads it but changes nothing (READ_ONLY).
    "note_create": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST", data=NOTE),
    "alert_acknowledge": Rule(LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST"),
    "alert_close": Rule(LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST"),
    "sentiment_override_create": Rule(
        LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST", data=SENTIMENT
    ),
    # The account's custom values, edited by those who may act on it (issue 16).
    "account_fields_update": Rule(LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST"),
    # Its tags, likewise (issue 16).
    "account_tags_update": Rule(
        LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST", data={"add": "matrix"}
    ),
    # Bulk actions (issue 16): tasks and surveys on one's own accounts, anything for leaders
    # and admins; another CSM's account is hidden (404), one read through a task is the
    # owner's (403). A record (alice's) is for its author and those who may bulk-change any.
    "bulk_actions": Rule(LOGIN, 200, 200, 200, 200),
    "bulk_action_start": Rule(
        LOGIN, DONE, 404, DONE, DONE, READ_ONLY, method="POST", data=bulk_task
    ),
    "bulk_action_detail": Rule(LOGIN, 200, 404, 200, 200, 404),
    "bulk_action_undo": Rule(LOGIN, DONE, 404, DONE, DONE, 404, method="POST"),
    # Views (issue 16): the page and the form for everyone logged in; the view in the path is
    # alice's personal view, nobody else's to read, change, delete or send a survey to (404:
    # not even a leader or an admin learns it exists).
    "view_list": Rule(LOGIN, 200, 200, 200, 200),
    "view_create": Rule(LOGIN, 200, 200, 200, 200),
    "view_edit": Rule(LOGIN, 200, 404, 404, 404, 404),
    "view_delete": Rule(LOGIN, DONE, 404, 404, 404, 404, method="POST"),
    "view_survey_send": Rule(LOGIN, DONE, 404, 404, 404, 404, method="POST"),
    # Portfolio: everyone logged in; a CSM's figures cover their own accounts only.
    "portfolio": Rule(LOGIN, 200, 200, 200, 200),
    "portfolio_export": Rule(LOGIN, 200, 200, 200, 200),
    # Targets are set by leaders and admins (metrics.change_kpitarget), never by a CSM.
    "portfolio_target_save": Rule(
        LOGIN, 403, 403, DONE, DONE, method="POST", data={"key": "nrr", "target": "100"}
    ),
    "portfolio_drill": Rule(LOGIN, 200, 200, 200, 200, lists_accounts=True),
    # Health lab: those who see every account (leaders, admins); staff status is not enough.
    "health_lab": Rule(LOGIN, 403, 403, 200, 200),
    # Surveys: results cover the accounts one may see; sending one is for those who may send.
    "survey_results": Rule(LOGIN, 200, 200, 200, 200),
    "survey_results_export": Rule(LOGIN, 200, 200, 200, 200),
    "survey_account_invite": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST"),
    # The public survey page, reached from an emailed link: no login, the token is the key.
    "survey_respond": every(200),
    "survey_thanks": every(DONE),  # not answered yet: back to the questions
    # The in-app widget's calls: no session, a public key, and only from the origins the key
    # lists; the matrix sends none, so every persona is refused (tests/surveys/test_inapp.py).
    "inapp_ask": every(403, method="POST"),
    "inapp_answer": every(403, method="POST"),
    "inapp_dismiss": every(403, method="POST"),
    # Playbooks: My day for everyone; tasks of the accounts one may see, acted on by CSMs and
    # staff (leaders read); playbooks are read by leaders and staff, and written by staff. The
    # task in the path is alice's: carol, reading the account through her own task, may neither
    # work on alice's tasks nor add one (tests/playbooks/test_task_access.py: her own task).
    "my_day": Rule(LOGIN, 200, 200, 200, 200),
    "task_complete": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST"),
    # Ticked tasks are looked up through the rule of task_complete: another CSM's ids, or
    # (carol) a task on an account read through one's own, change nothing.
    "tasks_complete": Rule(LOGIN, DONE, DONE, 403, DONE, method="POST", data={"tasks": "1"}),
    "tasks_undo": Rule(LOGIN, DONE, DONE, 403, DONE, method="POST"),
    "task_snooze": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST", data={"days": "1"}),
    "task_reassign": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST"),
    "task_create": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST", data=TASK),
    "playbook_list": Rule(LOGIN, 403, 403, 200, 200),
    "playbook_detail": Rule(LOGIN, 403, 403, 200, 200),
    "playbook_dry_run": Rule(LOGIN, 403, 403, 200, 200),
    "playbook_create": Rule(LOGIN, 403, 403, 403, 200),
    "playbook_edit": Rule(LOGIN, 403, 403, 403, 200),
    "playbook_toggle": Rule(LOGIN, 403, 403, 403, DONE, method="POST", data={"active": "1"}),
    # The renewal desk: renewals of the accounts one may see; a call or a churn's reason is the
    # owner's (leaders read, carol reading through a task changes nothing); forecast and reasons
    # cover the accounts one may see.
    "renewals": Rule(LOGIN, 200, 200, 200, 200, lists_accounts=True),
    "renewal_call": Rule(
        LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST", data={"call": "commit"}
    ),
    "renewal_outcome_reason": Rule(LOGIN, DONE, 404, 403, DONE, READ_ONLY, method="POST"),
    "renewal_forecast": Rule(LOGIN, 200, 200, 200, 200),
    "renewal_reasons": Rule(LOGIN, 200, 200, 200, 200),
    # The API authenticates by key, never by session: 401 for every persona here (its own tests
    # cover keys and scopes). Its schema and docs page are for signed-in users or a key.
    "api:*_upsert": every(401, method="POST"),
    "api:events_record": every(401, method="POST"),
    "api:*_read": every(401),
    "api:openapi-json": Rule(401, 200, 200, 200, 200),
    "api:openapi-view": Rule(LOGIN, 200, 200, 200, 200),
    "api:api-root": every(404),
    # Sources push to /ingest/ with their own credentials, never a session: a Segment write key
    # (401 without one) and a Stripe signature (400 without one). No CSRF token either.
    "segment_ingest": every(401, method="POST"),
    "segment_ingest_call": every(401, method="POST"),
    "stripe_webhook": every(400, method="POST"),
    "zendesk_webhook": every(404, method="POST"),  # the path's connector is a Stripe one
    # The connectors' inbox: admins only (it shows what sources sent, and creates accounts).
    "connector_inbox": Rule(LOGIN, 403, 403, 403, 200),
    "connector_inbox_map": Rule(
        LOGIN, 403, 403, 403, DONE, method="POST", data={"new_account_name": "From the inbox"}
    ),
    # The admin's preview of a pulled connector's sync (GET shows the button; the POST, which
    # calls the source, is tested in tests/connectors/test_dry_run.py).
    "connector_dry_run": Rule(LOGIN, 403, 403, 403, 200),
    # The audit log and its CSV: admins only (staff), like the admin it records.
    "audit_log": Rule(LOGIN, 403, 403, 403, 200),
    "audit_export": Rule(LOGIN, 403, 403, 403, 200),
    # Notifications: everyone signed in has their own bell, page and preferences (each sees only
    # their own rows: tests/notifications/test_bell.py). The digest's unsubscribe link is public
    # and signed (a bad token: 400); GET only asks to confirm. Slack's buttons carry Slack's
    # signature instead of a session: without one, 401 for everyone.
    "notification_list": Rule(LOGIN, 200, 200, 200, 200),
    "notification_bell": Rule(LOGIN, 200, 200, 200, 200),
    "notification_read": Rule(LOGIN, DONE, DONE, DONE, DONE, method="POST", data={"all": "1"}),
    "notification_preferences": Rule(LOGIN, 200, 200, 200, 200),
    "notification_unsubscribe": every(200),
    "slack_interactivity": every(401, method="POST"),
    # The admin: staff only, whatever the page.
    "admin:index": admin_site_page(),
    "admin:login": Rule(200, 200, 200, 200, DONE),  # non-staff are told they lack access
    "admin:logout": Rule(ADMIN_LOGIN, DONE, DONE, DONE, DONE, method="POST"),
    "admin:password_change": admin_site_page(),
    "admin:password_change_done": admin_site_page(),
    "admin:autocomplete": admin_site_page(403),  # without its query parameters
    "admin:jsi18n": admin_site_page(),
    "admin:view_on_site": admin_site_page(404),  # accounts have no public URL
    "admin:app_list": admin_site_page(),
    "admin:auth_user_password_change": staff_only(),
    # A user's sessions, listed and ended by those who may change the user.
    "admin:auth_user_sessions": staff_only(),
    "admin/(?P<url>.*)$": admin_site_page(404),  # the admin's catch-all
    # Rows written only by the system: django-axes' logs, health model versions (an audit
    # trail), rescore jobs (the rescore's progress), import logs, the feature catalog (a
    # trigger keeps it) and snapshot runs.
    "admin:axes_*_add": staff_only(403),
    "admin:healthscores_healthmodelversion_add": staff_only(403),
    "admin:healthscores_rescorejob_add": staff_only(403),
    "admin:accounts_importlog_add": staff_only(403),
    "admin:accounts_usagefeature_add": staff_only(403),
    "admin:metrics_snapshotrun_add": staff_only(403),
    "admin:surveys_invitation_add": staff_only(403),
    "admin:playbooks_playbookrun_add": staff_only(403),
    "admin:api_apikey_delete": staff_only(403),  # keys are revoked, never deleted
    "admin:connectors_syncbatch_add": staff_only(403),
    "admin:connectors_inboxitem_add": staff_only(403),
    "admin:accounts_view_add": staff_only(403),  # views are saved from the accounts list
    "admin:renewals_renewaloutcome_add": staff_only(403),  # outcomes come from the contracts
    # Every model admin, including those other apps will register.
    "admin:*_changelist": staff_only(),
    "admin:*_add": staff_only(),
    "admin:*_change": staff_only(),
    "admin:*_delete": staff_only(),
    "admin:*_history": staff_only(),
    "admin/*/<path:object_id>/": staff_only(DONE),  # the old change URL, redirected
}


# --- The URL patterns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name with its namespace, or the route when unnamed
    route: str
    callback: object


def url_patterns(patterns=None, prefix: str = "", namespace: str = "") -> list[Pattern]:
    """Every URL pattern under the root resolver, with its full route."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, (namespace, entry.namespace)))
            found += url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, (namespace, entry.name))) if entry.name else None
            found.append(Pattern(name or route, route, entry.callback))
    return found


def rule_for(key: str) -> Rule | None:
    if key in ACCESS:
        return ACCESS[key]
    return next(
        (rule for k, rule in ACCESS.items() if "*" in k and fnmatch.fnmatchcase(key, k)), None
    )


def test_every_url_pattern_is_classified():
    unclassified = [p.key for p in url_patterns() if rule_for(p.key) is None]

    assert unclassified == [], (
        "These URL patterns have no row in ACCESS (tests/security/test_permission_matrix.py). "
        "Classify each: who may open it (anonymous, owner, other CSM, leader, admin) and with "
        "which status, so access to the new page is tested:\n  " + "\n  ".join(unclassified)
    )


def test_the_walk_finds_the_admin_and_the_pages_of_every_app():
    keys = {p.key for p in url_patterns()}

    assert {"home", "account_detail", "portfolio", "health_lab", "healthz"} <= keys
    assert {"admin:index", "admin:accounts_account_change", "admin:auth_user_changelist"} <= keys


# --- The world the requests are made in ------------------------------------------------------


@pytest.fixture
def world(alice, bob, leader, admin_user):
    """alice's account with one row of every kind, bob's account, one snapshot, one alert, and
    the three CSMs holding a task on alice's account."""
    account = AccountFactory(name="Alices Customer", owner=alice)
    AccountFactory(name="Bobs Customer", owner=bob)
    ContractFactory(account=account)
    # A renewal ending in 30 days, and a term that churned in 2023 (the snapshot's nightly chain
    # derives its outcome).
    today = timezone.localdate()
    renewal = ContractFactory(account=account, start_date=today - timedelta(days=335),
                              end_date=today + timedelta(days=30))  # fmt: skip
    ContractFactory(account=account, start_date=date(2022, 7, 1), end_date=date(2023, 6, 30))
    contact = ContactFactory(account=account)
    TicketFactory(account=account)
    UsageDailyFactory(account=account)
    SurveyResponseFactory(account=account, contact=contact)
    Note.objects.create(account=account, author=alice, body="Kick-off done.")
    CostMonth.objects.create(month=date(2024, 1, 1))
    ImportLog.objects.create(kind="accounts", rows=2)
    KpiTarget.objects.create(key="mrr", target=1000)
    snapshot_recompute(as_of=date(2024, 3, 31))
    alert = Alert.objects.create(
        account=account, owner=alice, reason="detractor", as_of=date(2024, 3, 31)
    )
    SentimentOverride.objects.create(account=account, author=alice, band="red", reason="Quiet.")
    AccessAttempt.objects.create(
        username="mallory", ip_address="203.0.113.1", failures_since_start=1
    )
    AccessLog.objects.create(username="alice", ip_address="203.0.113.2")
    AccessFailureLog.objects.create(username="mallory", ip_address="203.0.113.1")
    task = Task.objects.create(
        account=account, assignee=alice, title="Call", due_on=date(2024, 4, 2), source="person"
    )
    holders = {
        persona: UserFactory(username=name, groups=["CSM"])
        for persona, name in (
            ("assigned", "carol"), ("self_assigned", "dave"), ("done_task", "erin"),
        )
    }  # fmt: skip
    TaskFactory(account=account, assignee=holders["assigned"], created_by=leader)
    TaskFactory(
        account=account, assignee=holders["self_assigned"], created_by=holders["self_assigned"],
        due_on=date(2099, 12, 31),
    )  # fmt: skip
    TaskFactory(account=account, assignee=holders["done_task"], created_by=leader, status="done")
    return {
        "users": {
            "owner": alice,
            "other_csm": bob,
            "leader": leader,
            "admin": admin_user,
            **holders,
        },
        "account": account,
        "alert": alert,
        "renewal": renewal,
        "task": task,
        "playbook": make_playbook("detractor", name="Rescue"),
        "invitation": InvitationFactory(contact=contact),
        "inapp_key": InAppKey.objects.create(name="App", allowed_origins="https://app.example"),
        "stripe_connector": connector_create(
            kind="stripe", name="Billing", secrets_given={"signing_secret": MATRIX_SECRET}
        )[0],
    }


def path_values(pattern: Pattern, world: dict) -> dict[str, Callable[[], str]]:
    """How to get a real value for each path parameter the project uses (called per request, so
    an action such as completing a task meets a fresh task every time)."""
    account = world["account"]
    model_admin = getattr(pattern.callback, "model_admin", None)

    def admin_object_id() -> str:
        first = model_admin.model._default_manager.order_by("pk").first()
        return str(first.pk) if first else MISSING_OBJECT  # none yet: the admin says so

    def fresh_view() -> str:
        """alice's personal view (a new one each time: a delete removes it)."""
        view = View.objects.create(
            name=f"Alice's view {View.objects.count() + 1}", owner=world["users"]["owner"],
            definition={"segment": "SMB"},
        )  # fmt: skip
        return str(view.pk)

    def fresh_task() -> str:
        task = Task.objects.create(
            account=account, assignee=world["users"]["owner"], title="Call back",
            due_on=date(2024, 4, 2), source="person",
        )  # fmt: skip
        return str(task.pk)

    def fresh_bulk_action() -> str:
        action = BulkAction.objects.create(
            kind="stage", performed_by=world["users"]["owner"], account_ids=[account.pk],
            value={"stage": account.lifecycle_stage}, summary="Lifecycle stage set",
            old_values={str(account.pk): account.lifecycle_stage},
        )  # fmt: skip
        return str(action.pk)

    return {
        "account_id": lambda: str(account.pk),
        "alert_id": lambda: str(world["alert"].pk),
        "contract_id": lambda: str(world["renewal"].pk),
        "outcome_id": lambda: str(RenewalOutcome.objects.get(account=account).pk),
        "key": lambda: "mrr",
        "object_id": admin_object_id if model_admin else lambda: str(account.pk),
        "content_type_id": lambda: str(ContentType.objects.get_for_model(account).pk),
        "id": lambda: str(world["users"]["owner"].pk),
        "app_label": lambda: "accounts",
        "url": lambda: "no-such-page/",
        "task_id": fresh_task,
        "view_id": fresh_view,
        "playbook_id": lambda: str(world["playbook"].pk),
        "token": lambda: world["invitation"].token,
        "external_id": lambda: account.external_id,
        "call": lambda: "batch",
        "item_id": lambda: str(unmatched_item(world["stripe_connector"]).pk),
        "connector_id": lambda: str(world["stripe_connector"].pk),
        "action_id": fresh_bulk_action,
        "public_key": lambda: world["inapp_key"].public_key,
    }


def unmatched_item(connector) -> InboxItem:
    """A fresh unmatched record (each mapping request resolves one)."""
    number = InboxItem.objects.count() + 1
    return InboxItem.objects.create(
        connector=connector, status="unmatched", record_kind="contracts", reason="customer: ?",
        match_kind="account", match_id=f"cus_{number}", payload={},
    )  # fmt: skip


MISSING_OBJECT = "0"
MATRIX_SECRET = "whsec_matrix"  # pragma: allowlist secret
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def build_path(pattern: Pattern, values: dict[str, Callable[[], str]]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, (
            f"{pattern.key}: no value for the path parameter {name!r}; teach path_values() "
            "which real object to use"
        )
        return values[name]()

    return "/" + PARAMETER.sub(value, pattern.route).replace("^", "").replace("$", "")


def outcome(response) -> int | str:
    if response.status_code not in (301, 302):
        return response.status_code
    location = response["Location"]
    if location.startswith("/login/?next="):
        return LOGIN
    if location.startswith("/admin/login/?next="):
        return ADMIN_LOGIN
    return DONE


def client_for(persona: str, world: dict) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def account_listed(response, name: str) -> bool:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return name.encode() in body


def test_every_url_answers_each_persona_as_classified(world):
    """One walk over the whole matrix, reporting every mismatch at once."""
    mismatches, csp = [], []
    clients = {persona: client_for(persona, world) for persona in PERSONAS}
    for pattern in url_patterns():
        rule = rule_for(pattern.key)
        assert rule is not None, f"{pattern.key} is unclassified (see the test above)"
        values = path_values(pattern, world)
        for persona in PERSONAS:
            path = build_path(pattern, values)
            client = clients[persona]
            send = client.post if rule.method == "POST" else client.get
            response = send(path, rule.data(world) if callable(rule.data) else rule.data)
            if pattern.key.endswith("logout"):  # log in again for the next pattern
                clients[persona] = client_for(persona, world)
            expected, got = rule.expected(persona), outcome(response)
            if MISSING_OBJECT in path.split("/") and expected == 200:
                expected = DONE  # the admin redirects: "… with ID "0" doesn't exist"
            if got != expected:
                mismatches.append(f"{rule.method} {path} as {persona}: {got}, expected {expected}")
            if rule.lists_accounts and got == 200:
                shown = account_listed(response, world["account"].name)
                if shown != (persona not in ("other_csm", *AS_OTHER_CSM)):
                    verb = "lists" if shown else "does not list"
                    mismatches.append(f"{path} as {persona} {verb} alice's account")
            if got == 200 and response.get("Content-Type", "").startswith("text/html"):
                csp += [f"{path} as {persona}: {p}" for p in csp_problems(response)]

    assert mismatches == [], "Access differs from ACCESS:\n" + "\n".join(mismatches)
    assert csp == [], "The Content-Security-Policy would not hold:\n" + "\n".join(csp)


def test_a_csm_filtering_or_editing_another_csms_accounts_finds_nothing_and_changes_nothing(
    world,
):
    """bob cuts the list and its export by alice's company group and custom values, and posts
    values to her account; carol, reading it through a task, posts too: nothing is found,
    nothing is written."""
    CustomField.objects.create(target="accounts", key="tier", label="Tier", field_type="choice",
                               choices=["Gold", "Silver"])  # fmt: skip
    account = world["account"]
    account.custom = {"tier": "Gold"}
    account.save()
    AccountFactory(name="Alices Subsidiary", owner=world["users"]["owner"], parent=account,
                   custom={"tier": "Gold"})  # fmt: skip
    bob = client_for("other_csm", world)
    cut = {"group": account.pk, "cf_tier": "Gold"}

    for url in ("/", "/accounts/export.csv", "/portfolio/drill/mrr/"):
        response = bob.get(url, cut)
        assert response.status_code == 200
        assert not account_listed(response, "Alices"), url
    assert bob.get("/search/groups/", {"q": "Alices"}).json() == {"results": []}
    offered = client_for("owner", world).get("/search/groups/", {"q": "Alices"}).json()
    assert [group["id"] for group in offered["results"]] == [account.pk]
    for persona, status in (("other_csm", 404), ("assigned", 403)):
        answer = client_for(persona, world).post(
            f"/accounts/{account.pk}/fields/", {"custom-tier": "Silver"}
        )
        assert answer.status_code == status
    # Bulk: a field (leaders' only), a task each (hidden from bob, read-only for carol).
    tasks = Task.objects.count()
    for persona, status in (("other_csm", 403), ("assigned", 403)):
        answer = client_for(persona, world).post(
            "/accounts/bulk/new/",
            {"kind": "field", "account_ids": str(account.pk), "confirm": "1", "field": "tier",
             "field_value": "Silver"},
        )  # fmt: skip
        assert answer.status_code == status
    for persona, status in (("other_csm", 404), ("assigned", 403)):
        answer = client_for(persona, world).post("/accounts/bulk/new/", bulk_task(world))
        assert answer.status_code == status
    assert Task.objects.count() == tasks
    assert not BulkAction.objects.exists()
    account.refresh_from_db()
    assert account.custom == {"tier": "Gold"}
