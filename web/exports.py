"""The accounts list as CSV: the same rows as the page, one line per account."""

from collections.abc import Iterable, Iterator

from accounts.models import Account

COLUMNS = (
    ("external_id", "External id"),
    ("name", "Account"),
    ("owner", "Owner"),
    ("segment", "Segment"),
    ("region", "Region"),
    ("lifecycle_stage", "Lifecycle stage"),
    ("mrr", "MRR"),
    ("arr", "ARR"),
    ("seats", "Seats"),
    ("health_score", "Health score"),
    ("health_band", "Health band"),
    ("health_change", "Health change (30 days)"),
    ("renewal_on", "Renewal date"),
    ("days_to_renewal", "Days to renewal"),
    ("nps", "NPS (180 days)"),
    ("open_tickets", "Open tickets"),
)
HEADER = [header for _, header in COLUMNS]


def row_values(account: Account) -> list:
    owner = (account.owner.get_full_name() or account.owner.email) if account.owner else ""
    values = {key: getattr(account, key, None) for key, _ in COLUMNS}
    values["owner"] = owner
    return [values[key] for key, _ in COLUMNS]


def account_lines(accounts: Iterable[Account]) -> Iterator[list]:
    """One row of values per account, produced as the accounts are read."""
    return (row_values(account) for account in accounts)
