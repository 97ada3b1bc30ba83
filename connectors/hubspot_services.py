"""HubSpot (CRM): companies become accounts, contacts contacts, through the import's validators.

Pulled with `hubspot-api-client` (a private app's access token) through the CRM search API,
incrementally: each object type's cursor is the largest `hs_lastmodifieddate` applied, and the
next sync asks for records modified since then (re-applying the boundary ones is harmless: an
upsert of the same values). urllib3's Retry, given to the client, waits out 429s (Retry-After)
and 5xx answers.
"""

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Any

from django.db import transaction
from django.utils import timezone
from hubspot import HubSpot
from hubspot.crm.companies import PublicObjectSearchRequest as CompanySearch
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from urllib3.util.retry import Retry

from accounts.importer.batch import batch_upsert
from accounts.importer.fields import parse_timestamp
from accounts.importer.records import ACCOUNTS, CONTACTS
from accounts.models import Account, Contact
from connectors import sql as connectors_sql
from connectors.models import Connector, IdentityKind
from connectors.services import (
    Changes,
    ConnectorInvalid,
    Delivery,
    Refusal,
    SyncSummary,
    connector_secrets,
    lenient,
)

PAGE = 100  # the search API's largest page
COMPANY_PROPERTIES = ["name", "industry", "country", "hubspot_owner_id", "createdate",
                      "northstar_account", "hs_lastmodifieddate"]  # fmt: skip
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "jobtitle", "associatedcompanyid",
                      "hs_lastmodifieddate"]  # fmt: skip


def hubspot_client(connector: Connector) -> HubSpot:
    token = connector_secrets(connector).get("access_token")
    if not token:
        raise ConnectorInvalid(f"{connector.name} has no access token: set one to sync")
    retry = Retry(
        total=5, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None, respect_retry_after_header=True,
    )  # fmt: skip
    options: dict[str, Any] = {"access_token": token, "retry": retry}
    if connector.settings.get("api_base"):
        options["host"] = connector.settings["api_base"].rstrip("/")
    return HubSpot(**options)


def _modified_ms(record) -> int:
    text = record.properties.get("hs_lastmodifieddate")
    value = parse_timestamp(text) if text else record.updated_at
    return int(value.timestamp() * 1000)


def _search(
    api, request_class, properties: list[str], since: int, page_size: int
) -> Iterator[list]:
    """Pages of records modified at or after `since` (ms), oldest first."""
    after = None
    while True:
        request = request_class(
            filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate",
                                         "operator": "GTE", "value": str(since)}]}],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=properties, limit=page_size, after=after,
        )  # fmt: skip
        page = api.do_search(public_object_search_request=request)
        if page.results:
            yield page.results
        if not page.paging or not page.paging.next:
            return
        after = page.paging.next.after


def hubspot_sync(
    *,
    connector: Connector,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda n: None,
    page_size: int = PAGE,
) -> SyncSummary:
    """Companies, then contacts, modified since the stored cursors; each page is applied in its
    own transaction with its cursor. A dry run rolls everything back and says what would change."""
    client = hubspot_client(connector)
    summary = SyncSummary(Delivery(connector=connector, source="sync", dry_run=dry_run), Changes())
    before = set(Account.objects.values_list("external_id", flat=True))
    with transaction.atomic() if dry_run else nullcontext():
        connector.refresh_from_db(fields=["state"])
        owners = {o.id: o.email for o in client.crm.owners.get_all() if o.email}
        kinds = (
            ("companies", client.crm.companies.search_api, CompanySearch, COMPANY_PROPERTIES,
             lambda page: _companies_apply(connector, page, owners, summary)),
            ("contacts", client.crm.contacts.search_api, ContactSearch, CONTACT_PROPERTIES,
             lambda page: hubspot_contacts_apply(connector, page, summary)),
        )  # fmt: skip
        for name, api, request_class, properties, apply in kinds:
            since = int(connector.state.get(name, 0))
            for page in _search(api, request_class, properties, since, page_size):
                with transaction.atomic():
                    apply(page)
                    summary.delivery.received += len(page)
                    since = max(since, *(_modified_ms(record) for record in page))
                    connector.state = {**connector.state, name: since}
                    Connector.objects.filter(pk=connector.pk).update(state=connector.state)
                progress(len(page))
        summary.new_accounts = len(summary.changes.accounts - before)
        summary.delivery.record()
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        connector.last_success_at = timezone.now()
        connector.save(update_fields=["last_success_at"])
    return summary


def _payload(record) -> dict:
    """The record as HubSpot sent it, for the inbox (its properties are all text)."""
    return {"id": record.id, "properties": record.properties}


def _date(text: str | None) -> str | None:
    return timezone.localdate(parse_timestamp(text)).isoformat() if text else None


def _companies_apply(connector, companies, owners: dict[str, str], summary: SyncSummary) -> None:
    mapped = connectors_sql.identities_resolve(
        connector.pk, IdentityKind.ACCOUNT, [c.id for c in companies]
    )
    targets = {}
    for company in companies:
        props = company.properties
        targets[company.id] = (
            mapped.get(company.id) or props.get("northstar_account") or f"hubspot-{company.id}"
        )
    names = dict(
        Account.objects.filter(external_id__in=set(targets.values())).values_list(
            "external_id", "name"
        )
    )
    items = []
    for company in companies:
        props, target = company.properties, targets[company.id]
        item = {
            "external_id": target,
            "name": props.get("name") or names.get(target) or f"HubSpot company {company.id}",
            "industry": props.get("industry") or "",
            "region": props.get("country") or "",
            "created_on": _date(props.get("createdate")),
        }
        owner = owners.get(props.get("hubspot_owner_id") or "")
        if owner:
            item["owner_email"] = owner
        items.append((company, item))
    result, refused = lenient(lambda batch: batch_upsert(ACCOUNTS, batch), items)
    applied = {c.id: targets[c.id] for c, _ in items} if result else {}
    for company, field, message in refused:
        applied.pop(company.id, None)
        summary.delivery.refusals.append(
            Refusal("accounts", field, message, _payload(company), company.id)
        )
    summary.delivery.applied += len(applied)
    summary.changes.accounts |= set(applied.values())
    summary.changes.diffs += [f"company {cid}: account {target}" for cid, target in applied.items()]
    connectors_sql.identities_remember(connector.pk, IdentityKind.ACCOUNT, applied)


def hubspot_contacts_apply(connector, contacts, summary: SyncSummary) -> None:
    companies = {c.properties.get("associatedcompanyid") for c in contacts} - {None, ""}
    accounts = connectors_sql.identities_resolve(
        connector.pk, IdentityKind.ACCOUNT, sorted(companies)
    )
    emails = {c.properties.get("email") for c in contacts} - {None, ""}
    by_email = dict(Contact.objects.filter(email__in=emails).values_list("email", "external_id"))
    items = []
    for contact in contacts:
        props = contact.properties
        company = props.get("associatedcompanyid") or ""
        account = accounts.get(company)
        if account is None:
            summary.delivery.refusals.append(Refusal(
                "contacts", "associatedcompanyid",
                f"HubSpot company {company!r} is not matched to an account" if company
                else "the contact has no company",
                _payload(contact), contact.id,
                match_kind=IdentityKind.ACCOUNT if company else "", match_id=company,
            ))  # fmt: skip
            continue
        name = " ".join(filter(None, (props.get("firstname"), props.get("lastname"))))
        items.append((contact, {
            "external_id": by_email.get(props.get("email"), f"hubspot-{contact.id}"),
            "account_external_id": account, "name": name, "email": props.get("email") or "",
            "title": props.get("jobtitle") or "",
        }))  # fmt: skip
    result, refused = lenient(lambda batch: batch_upsert(CONTACTS, batch), items)
    summary.delivery.applied += result.received if result else 0
    summary.delivery.refusals += [
        Refusal("contacts", field, message, _payload(contact), contact.id)
        for contact, field, message in refused
    ]
