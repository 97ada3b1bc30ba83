"""The rules about what a record points at, shared by the import and the API.

A record's `account_external_id` must name an account in the database or earlier in the same
import, and a survey's `contact_external_id` a contact of that same account (kpi-spec section 2).
An account's `owner_email` names a user, created without a usable password when missing.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.functions import Lower

from accounts import sql as accounts_sql
from accounts.importer.fields import shown
from accounts.importer.records import Problem, RecordKind
from accounts.models import Account, Contact

ReferenceCheck = Callable[[list[Any]], list[Problem]]


@dataclass
class References:
    """What references may point at: account external ids and each contact's account."""

    account_ids: set[str]
    contact_accounts: dict[str, str]  # contact external_id -> its account's external_id

    @classmethod
    def everything(cls) -> "References":
        """Every account and contact in the database (a whole import checks against all)."""
        return cls(
            account_ids=set(Account.objects.values_list("external_id", flat=True)),
            contact_accounts=dict(
                Contact.objects.values_list("external_id", "account__external_id")
            ),
        )

    @classmethod
    def among(cls, *, accounts: Iterable[str], contacts: Iterable[str] = ()) -> "References":
        """Only the named accounts and contacts that exist: two indexed lookups, whatever the
        size of the database (a request names at most a few thousand)."""
        with connection.cursor() as cursor:
            return cls(
                account_ids=accounts_sql.existing_accounts(cursor, list(set(accounts))),
                contact_accounts=accounts_sql.contact_accounts(cursor, list(set(contacts))),
            )


def reference_checks(
    kind: RecordKind, names: Collection[str], references: References
) -> list[ReferenceCheck]:
    """Checks that a record's references exist; each takes the record's values in the order of
    `names`."""
    names = list(names)
    checks = []
    if "account_external_id" in names:
        index = names.index("account_external_id")

        def account_exists(values: list[Any]) -> list[Problem]:
            ref = values[index]
            if ref is not None and ref not in references.account_ids:
                return [("account_external_id", f"unknown account {shown(ref)}")]
            return []

        checks.append(account_exists)
    if "contact_external_id" in names:
        contact_index = names.index("contact_external_id")
        account_index = names.index("account_external_id")

        def contact_exists(values: list[Any]) -> list[Problem]:
            ref = values[contact_index]
            if ref is None:
                return []
            owner = references.contact_accounts.get(ref)
            if owner is None:
                return [("contact_external_id", f"unknown contact {shown(ref)}")]
            if owner != values[account_index]:
                message = f"contact {shown(ref)} belongs to account {shown(owner)}"
                return [("contact_external_id", message)]
            return []

        checks.append(contact_exists)
    return checks


def create_missing_owners(emails: list[str]) -> None:
    """Owners named by email become users without a usable password (they reset it to log in)."""
    user_model = get_user_model()
    users = user_model.objects.annotate(email_lower=Lower("email"), name_lower=Lower("username"))
    existing = set(users.filter(email_lower__in=emails).values_list("email_lower", flat=True))
    # A user whose username is the address (and whose email field differs) is that owner too.
    existing |= set(users.filter(name_lower__in=emails).values_list("name_lower", flat=True))
    for email in sorted(set(emails) - existing):
        user_model.objects.create_user(username=email[:150], email=email, password=None)
