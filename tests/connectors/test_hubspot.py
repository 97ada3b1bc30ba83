"""HubSpot: the real hubspot-api-client against a local server in HubSpot's shapes; companies
become accounts (owner by the HubSpot owner's email), contacts contacts of their company."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account, Contact
from connectors.hubspot_services import hubspot_sync
from connectors.models import Connector, InboxItem
from tests.connectors.hubspot_fakes import FakeHubSpot, owner, record

pytestmark = pytest.mark.django_db

JAN = "2024-01-10T09:00:00.000Z"
FEB = "2024-02-10T09:00:00.000Z"


def crm(**extra) -> FakeHubSpot:
    return FakeHubSpot(
        companies=[
            record("101", JAN, name="Acme", industry="Logistics", country="France",
                   hubspot_owner_id="7", createdate="2023-05-01T10:00:00Z"),
            record("102", JAN, name="Beta", northstar_account="beta-crm"),
            record("103", JAN, name="Gamma"),
        ],
        contacts=[
            record("201", JAN, email="ada@acme.example", firstname="Ada", lastname="Lovelace",
                   jobtitle="CTO", associatedcompanyid="101"),
            record("202", JAN, email="bob@beta.example", associatedcompanyid="102"),
            record("203", JAN, email="nobody@nowhere.example", associatedcompanyid="999"),
        ],
        owners=[owner("7", "alice@northstar.example")],
        **extra,
    )  # fmt: skip


def add_hubspot(fake: FakeHubSpot) -> Connector:
    out = io.StringIO()
    call_command("connectors", "add", "hubspot", "--name", "CRM", "--token", "pat-local",
                 "--api-base", fake.url, stdout=out)  # fmt: skip
    return Connector.objects.get(name="CRM")


def test_companies_become_accounts_and_contacts_join_their_company(alice):
    with crm(fail={2: 429}) as fake:  # the companies search is rate-limited once
        summary = hubspot_sync(connector=add_hubspot(fake), page_size=2)

    acme = Account.objects.get(external_id="hubspot-101")
    assert (acme.name, acme.industry, acme.region, acme.owner, str(acme.created_on)) == (
        "Acme", "Logistics", "France", alice, "2023-05-01",
    )  # fmt: skip
    assert Account.objects.filter(external_id="beta-crm", name="Beta").exists()
    ada = Contact.objects.get(email="ada@acme.example")
    assert (ada.account, ada.name, ada.title, ada.external_id) == (
        acme, "Ada Lovelace", "CTO", "hubspot-201",
    )  # fmt: skip
    assert Contact.objects.get(email="bob@beta.example").account.external_id == "beta-crm"
    assert InboxItem.objects.get().reason == (
        "associatedcompanyid: HubSpot company '999' is not matched to an account"
    )
    assert {r["auth"] for r in fake.requests} == {"Bearer pat-local"}
    assert [r["path"] for r in fake.requests].count("/crm/v3/objects/companies/search") == 3
    assert summary.line(dry_run=False) == (
        "3 accounts changed (3 new), 0 contracts ended, 1 records cannot be matched"
    )


def test_the_next_sync_asks_only_for_what_changed_since_the_last(alice):
    with crm() as fake:
        connector = add_hubspot(fake)
        hubspot_sync(connector=connector)
        fake.objects["companies"][2] = record("103", FEB, name="Gamma Group")
        fake.requests.clear()
        summary = hubspot_sync(connector=connector)

    since = fake.requests[1]["body"]["filterGroups"][0]["filters"][0]
    assert (since["propertyName"], since["operator"], since["value"]) == (
        "hs_lastmodifieddate", "GTE", "1704877200000",  # JAN, the last sync's newest change
    )  # fmt: skip
    assert Account.objects.get(external_id="hubspot-103").name == "Gamma Group"
    assert summary.delivery.received == 6  # the records at the boundary (JAN) come again, once
    assert Connector.objects.get().state["companies"] == 1707555600000


def test_a_company_keeps_the_account_it_was_mapped_to(alice):
    with crm() as fake:
        connector = add_hubspot(fake)
        hubspot_sync(connector=connector)
        fake.objects["companies"][0]["properties"]["name"] = "Acme Renamed"
        connector.state = {}
        connector.save()
        hubspot_sync(connector=connector)

    assert Account.objects.get(external_id="hubspot-101").name == "Acme Renamed"
    assert Account.objects.count() == 3


def test_a_dry_run_writes_nothing(alice):
    out = io.StringIO()
    with crm() as fake:
        add_hubspot(fake)
        call_command("connectors", "sync", "CRM", "--dry-run", stdout=out, stderr=io.StringIO())

    assert out.getvalue().splitlines()[-1] == (
        "3 accounts would change (3 new), 0 contracts would end, 1 records cannot be matched"
    )
    assert (Account.objects.count(), Contact.objects.count(), InboxItem.objects.count()) == (
        0, 0, 0,
    )  # fmt: skip
