"""The connectors' set-based SQL: message ids claimed once, ids resolved to accounts, the users'
last groups kept, one statement each per delivery whatever its size."""

from django.db import connection

# Sorted, so that two requests sharing ids lock them in the same order and never deadlock. A
# concurrent request holding the same id makes this insert wait for its transaction, then skip.
CLAIM = """
INSERT INTO connectors_receivedmessage (connector_id, message_id, received_at)
SELECT %s, m, now() FROM (SELECT DISTINCT unnest(%s::text[]) AS m ORDER BY 1) ids
ON CONFLICT DO NOTHING
RETURNING message_id
"""


def messages_claim(connector_id: int, message_ids: list[str]) -> set[str]:
    """The ids of `message_ids` never seen before for this connector, now stored."""
    if not message_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM, [connector_id, message_ids])
        return {row[0] for row in cursor.fetchall()}


RESOLVE = """
SELECT i.external_id, a.external_id
FROM connectors_externalidentity i
JOIN accounts_account a ON a.id = i.object_id
WHERE i.connector_id = %s AND i.kind = %s AND i.external_id = ANY(%s)
"""


def identities_resolve(connector_id: int, kind: str, external_ids: list[str]) -> dict[str, str]:
    """{source id: account external_id} for the ids mapped to an account of this connector."""
    if not external_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(RESOLVE, [connector_id, kind, external_ids])
        return dict(cursor.fetchall())


REMEMBER = """
INSERT INTO connectors_externalidentity (connector_id, kind, external_id, object_id, updated_at)
SELECT %s, %s, m.user_id, a.id, now()
FROM unnest(%s::text[], %s::text[]) AS m (user_id, account)
JOIN accounts_account a ON a.external_id = m.account
ORDER BY m.user_id
ON CONFLICT (connector_id, kind, external_id)
DO UPDATE SET object_id = EXCLUDED.object_id, updated_at = EXCLUDED.updated_at
WHERE connectors_externalidentity.object_id <> EXCLUDED.object_id
"""


def identities_remember(connector_id: int, kind: str, accounts: dict[str, str]) -> None:
    """Map each source id to an account external id (a user's last group, a HubSpot company's
    account); ids of unknown accounts are skipped."""
    if not accounts:
        return
    ids = sorted(accounts)
    with connection.cursor() as cursor:
        cursor.execute(REMEMBER, [connector_id, kind, ids, [accounts[i] for i in ids]])
