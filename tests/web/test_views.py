"""Views: one filter definition, one compiler, the same accounts everywhere.

The table below states, criterion by criterion, which of five accounts a filter matches; each
row is then asked of the compiler itself, the accounts list, its CSV export, the portfolio's
drill-down and survey targeting, and all five must answer the same accounts. alice and bob are
CSMs, `leader` sees every account.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from accounts.filters import Criterion, ViewFilter, view_condition
from accounts.models import Account, CustomField, View
from churn.models import ChurnModel, ChurnScore
from surveys.models import Invitation
from surveys.services import invite_view
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.factories import default_survey
from tests.web.test_accounts import AS_OF, SnapshotFactory, snapshot_run
from web.forms import list_query

pytestmark = pytest.mark.django_db
EVERYONE = {"Acme", "Globex", "Initech", "Subsidiary", "Churned"}


@pytest.fixture
def book(alice, bob):
    """Five accounts, each with a snapshot of AS_OF, a contact, and some churn scores."""
    snapshot_run(AS_OF - timedelta(days=30))
    snapshot_run(AS_OF)
    CustomField.objects.create(target="accounts", key="tier", label="Tier", field_type="choice",
                               choices=["Gold", "Silver"])  # fmt: skip
    acme = AccountFactory(name="Acme", owner=alice, segment="Enterprise", region="EMEA",
                          lifecycle_stage="active", custom={"tier": "Gold"})  # fmt: skip
    globex = AccountFactory(name="Globex", owner=alice, segment="SMB", region="APAC",
                            lifecycle_stage="onboarding", custom={"tier": "Silver"})  # fmt: skip
    initech = AccountFactory(name="Initech", owner=bob, segment="SMB", region="EMEA",
                             lifecycle_stage="active")  # fmt: skip
    subsidiary = AccountFactory(name="Subsidiary", owner=bob, segment="Enterprise",
                                region="EMEA", lifecycle_stage="active", parent=acme)  # fmt: skip
    churned = AccountFactory(name="Churned", owner=alice, segment="SMB", region="EMEA",
                             lifecycle_stage="churned")  # fmt: skip
    SnapshotFactory(account=acme, mrr=Decimal(5000), health_score=85.0, days_to_renewal=20)
    SnapshotFactory(account=globex, mrr=Decimal(800), health_score=30.0, days_to_renewal=200)
    SnapshotFactory(account=initech, mrr=Decimal(2000), health_score=55.0)
    SnapshotFactory(account=subsidiary, mrr=Decimal(1000), health_score=75.0)
    SnapshotFactory(account=churned, mrr=Decimal(0), health_score=None)
    model = ChurnModel.objects.create(
        kind="logistic", horizon_days=90, version=1,
        train_to=date(2024, 12, 31), test_from=date(2025, 1, 1),
    )  # fmt: skip
    for account, day, probability in (
        (acme, AS_OF, 0.6),
        (globex, AS_OF, 0.1),
        (initech, AS_OF - timedelta(days=7), 0.7),  # older: the latest below counts
        (initech, AS_OF, 0.4),
    ):
        ChurnScore.objects.create(account=account, as_of=day, horizon_days=90,
                                  probability=probability, model=model)  # fmt: skip
    for account in (acme, globex, initech, subsidiary, churned):
        ContactFactory(account=account)
    return {a.name: a for a in (acme, globex, initech, subsidiary, churned)}


def group_of_acme(book) -> dict:
    return {"group": book["Acme"].pk}


def owned_by_bob(book) -> dict:
    return {"owner": book["Initech"].owner_id}


# Each criterion a row: its definition (or a function of the book giving it) and the accounts.
ROWS = [
    ({}, EVERYONE),
    ({"segment": "Enterprise"}, {"Acme", "Subsidiary"}),
    ({"region": "APAC"}, {"Globex"}),
    ({"stage": "onboarding"}, {"Globex"}),
    (owned_by_bob, {"Initech", "Subsidiary"}),
    (group_of_acme, {"Acme", "Subsidiary"}),
    ({"band": "red"}, {"Globex"}),
    ({"band": "green"}, {"Acme", "Subsidiary"}),
    ({"band": "not_customer"}, {"Churned"}),
    ({"renewal_within": 30}, {"Acme"}),
    ({"mrr_min": "1000", "mrr_max": "2000"}, {"Initech", "Subsidiary"}),
    ({"churn_above": 0.5, "churn_horizon": 90}, {"Acme"}),
    ({"custom": [{"key": "tier", "equals": "Gold"}]}, {"Acme"}),
    ({"q": "ini"}, {"Initech"}),
    ({"conditions": [["mrr", "gte", ["2000"]]]}, {"Acme", "Initech"}),
    ({"conditions": [["health_band", "not_in", ["green"]]]}, {"Globex", "Initech", "Churned"}),
    ({"conditions": [["owner", "in", ["bob"]]]}, {"Initech", "Subsidiary"}),
    ({"segment": "SMB", "region": "EMEA"}, {"Initech", "Churned"}),
]
IDS = [
    "all", "segment", "region", "stage", "owner", "group", "band red", "band green",
    "not a customer", "renewal window", "mrr range", "churn probability", "custom field",
    "name", "playbook mrr", "playbook band", "playbook owner", "segment and region",
]  # fmt: skip


def definition(row, book) -> dict:
    return row(book) if callable(row) else row


def list_names(client, view: View) -> set[str]:
    response = client.get("/", {"view": view.pk, "pick": "1"}, follow=True)
    assert response.status_code == 200
    return {account.name for account in response.context["page"].object_list}


def export_names(client, view: View) -> set[str]:
    spec = ViewFilter.from_dict(view.definition)
    response = client.get("/accounts/export.csv", list_query(spec, view_id=view.pk))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return {row[1] for row in rows[1:]}


def portfolio_names(client, view: View) -> set[str]:
    """The portfolio's MRR drill-down lists the paying accounts of its filter."""
    response = client.get("/portfolio/drill/mrr/", {"view": view.pk})
    assert response.status_code == 200
    return {row["cells"][0]["value"] for row in response.context["table"]}


def survey_names(leader, view: View) -> set[str]:
    Invitation.objects.all().delete()
    invite_view(
        survey=default_survey("nps"), accounts=Account.objects.all(),
        spec=ViewFilter.from_dict(view.definition), invited_by=leader, as_of=AS_OF,
    )  # fmt: skip
    return set(Invitation.objects.values_list("contact__account__name", flat=True))


@pytest.mark.parametrize(("row", "expected"), ROWS, ids=IDS)
def test_every_criterion_selects_the_same_accounts_in_every_consumer(
    client, leader, book, row, expected
):
    view = View.objects.create(name="Cut", owner=leader, visibility="personal",
                               definition=definition(row, book))  # fmt: skip
    spec = ViewFilter.from_dict(view.definition)
    client.force_login(leader)

    compiled = set(Account.objects.filter(view_condition(spec, as_of=AS_OF, user=leader))
                   .values_list("name", flat=True))  # fmt: skip

    assert compiled == expected
    assert list_names(client, view) == expected
    assert export_names(client, view) == expected
    paying = expected - {"Churned"}  # the MRR drill-down lists paying accounts
    assert portfolio_names(client, view) == paying
    assert survey_names(leader, view) == expected


def test_a_definition_round_trips_through_json():
    spec = ViewFilter(
        segment="SMB", mrr_min=Decimal("1000.50"), churn_above=0.25, churn_horizon=90,
        conditions=(Criterion("mrr", "gte", ("5000",)),),
    )  # fmt: skip

    assert ViewFilter.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["mrr_min"] == "1000.50"


def test_a_csms_view_shows_only_her_accounts(client, alice, book):
    view = View.objects.create(name="EMEA", owner=alice, definition={"region": "EMEA"})
    client.force_login(alice)

    # Not bob's Initech; his Subsidiary is in alice's company group (its parent is hers).
    assert list_names(client, view) == {"Acme", "Subsidiary", "Churned"}


def test_a_shared_view_shows_each_reader_the_accounts_they_may_see(client, alice, bob, book):
    shared = View.objects.create(name="SMB", visibility="shared", definition={"segment": "SMB"})

    client.force_login(alice)
    assert list_names(client, shared) == {"Globex", "Churned"}
    client.force_login(bob)
    assert list_names(client, shared) == {"Initech"}


# The pages


def test_saving_the_lists_filter_makes_a_personal_view_and_opens_it(client, alice, book):
    client.force_login(alice)
    query = urlencode({"segment": "SMB", "band": "red"})

    response = client.post("/views/new/", {"name": "Red SMB", "visibility": "personal",
                                           "query": query})  # fmt: skip

    view = View.objects.get(name="Red SMB")
    assert (view.owner, view.visibility) == (alice, "personal")
    assert view.definition == {"segment": "SMB", "band": "red"}
    assert response.status_code == 302 and f"view={view.pk}" in response["Location"]
    assert list_names(client, view) == {"Globex"}


def test_a_csm_may_not_share_a_view_and_is_told_at_the_field(client, alice, book):
    client.force_login(alice)

    response = client.post("/views/new/", {"name": "Mine", "visibility": "shared", "query": ""})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "visibility": ["Shared views are made by leaders and admins; save it for yourself."]
    }
    assert not View.objects.exists()


def test_a_name_taken_or_empty_is_refused_at_the_name(client, alice, book):
    View.objects.create(name="Mine", owner=alice)
    client.force_login(alice)

    taken = client.post("/views/new/", {"name": "Mine", "visibility": "personal"})
    empty = client.post("/views/new/", {"name": "  ", "visibility": "personal"})

    assert taken.context["form"].errors["name"] == ["There is already a view named “Mine”."]
    assert "name" in empty.context["form"].errors
    assert View.objects.count() == 1


def test_a_leader_shares_a_view_with_a_team(client, leader, book):
    from django.contrib.auth.models import Group

    client.force_login(leader)
    csm = Group.objects.get(name="CSM")

    client.post("/views/new/", {"name": "Renewals", "visibility": "shared", "team": csm.pk,
                                "query": "renewal_within=30"})  # fmt: skip

    view = View.objects.get(name="Renewals")
    assert (view.visibility, view.team, view.definition) == ("shared", csm, {"renewal_within": 30})


def test_a_team_view_is_read_by_its_team_only(alice, leader):
    from django.contrib.auth.models import Group

    from accounts.access import views_readable_by
    from tests.factories import UserFactory

    leaders_only = View.objects.create(name="Board", visibility="shared",
                                       team=Group.objects.get(name="Leader"))  # fmt: skip
    everyone = View.objects.create(name="All", visibility="shared")
    other = UserFactory(username="zed", groups=["Leader"])

    assert set(views_readable_by(alice)) == {everyone}
    assert set(views_readable_by(other)) == {leaders_only, everyone}
    assert set(views_readable_by(leader)) == {leaders_only, everyone}


def test_updating_a_view_from_the_list_replaces_its_filter(client, alice, book):
    view = View.objects.create(name="Mine", owner=alice, definition={"segment": "SMB"})
    client.force_login(alice)

    client.post(f"/views/{view.pk}/edit/", {"name": "Mine", "visibility": "personal",
                                            "query": "region=APAC"})  # fmt: skip

    view.refresh_from_db()
    assert view.definition == {"region": "APAC"}


def test_renaming_a_view_keeps_its_filter(client, alice, book):
    view = View.objects.create(name="Mine", owner=alice, definition={"segment": "SMB"})
    client.force_login(alice)

    client.post(f"/views/{view.pk}/edit/", {"name": "SMB book", "visibility": "personal"})

    view.refresh_from_db()
    assert (view.name, view.definition) == ("SMB book", {"segment": "SMB"})


def test_a_csm_cannot_open_edit_or_delete_another_csms_personal_view(client, alice, bob, book):
    hers = View.objects.create(name="Hers", owner=alice, definition={"segment": "SMB"})
    client.force_login(bob)

    assert client.get(f"/views/{hers.pk}/edit/").status_code == 404
    assert client.post(f"/views/{hers.pk}/edit/", {"name": "Mine"}).status_code == 404
    assert client.post(f"/views/{hers.pk}/delete/").status_code == 404
    # On the list her view is not applied, nor named: bob sees his own accounts, unfiltered.
    response = client.get("/", {"view": hers.pk})
    assert response.context["view"] is None
    assert "Hers" not in response.content.decode()
    assert View.objects.get(pk=hers.pk).name == "Hers"


def test_a_csm_reads_a_shared_view_but_cannot_change_it(client, alice, book):
    shared = View.objects.create(name="Shared", visibility="shared")
    client.force_login(alice)

    assert client.get("/views/").status_code == 200
    assert client.post(f"/views/{shared.pk}/delete/").status_code == 403
    assert View.objects.filter(pk=shared.pk).exists()


def test_a_view_a_playbook_triggers_on_is_not_deleted(client, admin_user, book):
    from tests.playbooks.conftest import make_playbook

    view = View.objects.create(name="Watched", visibility="shared")
    make_playbook("view_entered", view=view)
    client.force_login(admin_user)

    response = client.post(f"/views/{view.pk}/delete/", follow=True)

    assert View.objects.filter(pk=view.pk).exists()
    assert "a playbook triggers on it" in response.content.decode()


def test_the_views_page_shows_each_views_count_and_mrr(client, leader, book):
    View.objects.create(name="Enterprise", owner=leader, definition={"segment": "Enterprise"})
    View.objects.create(name="Everything", visibility="shared")
    client.force_login(leader)

    rows = {row["view"].name: row["figures"] for row in client.get("/views/").context["rows"]}

    assert (rows["Enterprise"].accounts, rows["Enterprise"].mrr) == (2, Decimal(6000))
    assert (rows["Everything"].accounts, rows["Everything"].mrr) == (5, Decimal(8800))


def test_the_list_on_a_view_shows_its_count_and_mrr(client, leader, book):
    view = View.objects.create(name="SMB", owner=leader, definition={"segment": "SMB"})
    client.force_login(leader)

    response = client.get("/", {"view": view.pk, "pick": "1"}, follow=True)

    figures = response.context["view_figures"]
    assert (figures.accounts, figures.mrr) == (3, Decimal(2800))
    assert "MRR $2,800" in response.content.decode()


def test_sending_a_survey_to_a_view_invites_only_the_senders_accounts(client, alice, book):
    view = View.objects.create(name="EMEA", visibility="shared", definition={"region": "EMEA"})
    client.force_login(alice)

    client.post(f"/views/{view.pk}/survey/", {"survey": default_survey("nps").pk,
                                              "expires_in_days": "30"})  # fmt: skip

    invited = set(Invitation.objects.values_list("contact__account__name", flat=True))
    assert invited == {"Acme", "Subsidiary", "Churned"}  # her group's, never bob's Initech


@pytest.mark.parametrize("size", [2, 12])
def test_the_views_page_costs_the_same_queries_for_few_or_many_views(
    client, leader, book, size, django_assert_max_num_queries
):
    for number in range(size):
        View.objects.create(name=f"View {number}", owner=leader, definition={"band": "red"})
    client.force_login(leader)

    # session, user, permissions (2), the views, the freshness line (3: connectors), the sum
    with django_assert_max_num_queries(9):
        assert client.get("/views/").status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_on_a_view_costs_the_same_queries_for_3_or_30_accounts(
    client, leader, run_and_accounts, size, django_assert_max_num_queries
):
    run_and_accounts(size)
    view = View.objects.create(name="Green", owner=leader, definition={"band": "green"})
    client.force_login(leader)

    # the list's 13, the view, and its count and MRR
    with django_assert_max_num_queries(16):
        assert client.get("/", {"view": view.pk, "band": "green"}).status_code == 200


@pytest.fixture
def run_and_accounts(db, alice):
    def make(size: int) -> None:
        snapshot_run(AS_OF)
        for number in range(size):
            SnapshotFactory(account=AccountFactory(owner=alice, name=f"Account {number:03d}"))

    return make


def test_a_link_to_a_view_alone_shows_the_views_accounts_in_the_list_and_its_export(
    client, leader, book
):
    view = View.objects.create(name="SMB red", owner=leader,
                               definition={"segment": "SMB", "band": "red"})  # fmt: skip
    client.force_login(leader)

    page = client.get("/", {"view": view.pk})
    export = client.get("/accounts/export.csv", {"view": view.pk})

    assert {a.name for a in page.context["page"].object_list} == {"Globex"}
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row[1] for row in rows[1:]] == ["Globex"]
