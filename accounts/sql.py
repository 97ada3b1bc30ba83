"""The accounts app's set-based SQL, in one place: import staging, upserts, lifecycle stages.

Statements are composed with psycopg.sql (identifiers quoted, values as parameters) and run through
`execute_logged`, which logs each one's duration and row count.
"""

from collections.abc import Sequence
from datetime import date

from psycopg import sql

from accounts.importer.records import RecordKind
from core.sql import execute_logged

# A write that changes more than this share of a table's rows leaves its planner statistics
# stale: autovacuum's own default (autovacuum_analyze_scale_factor), applied here because
# autovacuum may be off (this project's own server runs without it) and would lag if on.
ANALYZE_SHARE = 0.1
_TABLE_STATISTICS = """
SELECT c.reltuples, COALESCE(s.n_live_tup, 0), COALESCE(s.n_mod_since_analyze, 0)
FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = %s::regclass
"""


def analyze_if_changed(cursor, table: str, rows_written: int) -> bool:
    """ANALYZE `table` when `analyze_wanted` says a write of `rows_written` rows (by the
    caller's transaction, not yet counted by the statistics) calls for it; True when it ran.
    The one place imports, backfills and the API decide it. Inside the caller's transaction,
    ANALYZE sees the transaction's rows."""
    if rows_written <= 0:
        return False
    cursor.execute(_TABLE_STATISTICS, [table])
    reltuples, live, changed = cursor.fetchone()
    if not analyze_wanted(reltuples=reltuples, live=live, changed=changed, written=rows_written):
        return False
    execute_logged(
        cursor, sql.SQL("ANALYZE {}").format(sql.Identifier(table)), label=f"analyze {table}"
    )
    return True


def analyze_wanted(*, reltuples: float, live: int, changed: int, written: int) -> bool:
    """Whether `written` rows and the `changed` ones counted since the last ANALYZE exceed a
    tenth of the table's rows, or the table was never analysed (reltuples -1: no statistics).

    Its rows are the smaller of reltuples (counted by the last ANALYZE) and n_live_tup (kept
    from committed writes): an ANALYZE inside a transaction that was then rolled back leaves
    reltuples counting rows that never were, which must not hold back the next one."""
    if written <= 0:
        return False
    if reltuples < 0:
        return True
    return changed + written > ANALYZE_SHARE * min(reltuples, live)


def analyze_kind_if_changed(cursor, kind: RecordKind, rows_written: int) -> bool:
    """`analyze_if_changed` on the table of a record kind."""
    return analyze_if_changed(cursor, _TABLES[kind.name], rows_written)


def staging_table(kind: RecordKind) -> sql.Identifier:
    return sql.Identifier(f"import_{kind.name}")


def create_staging_table(cursor, kind: RecordKind) -> None:
    """A temporary table holding one file's validated rows and their CSV line numbers.

    ON COMMIT DROP only fires when the outermost transaction ends: an import nested in a larger
    transaction (a test, a service) finds the previous import's table still there, so drop it."""
    cursor.execute(
        sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", f"import_{kind.name}"))
    )
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(column.sql_type))
        for column in kind.columns
    )
    cursor.execute(
        sql.SQL("CREATE TEMP TABLE {} (line bigint NOT NULL, {}) ON COMMIT DROP").format(
            staging_table(kind), columns
        )
    )


def analyze_staging_table(cursor, kind: RecordKind) -> None:
    """Temporary tables have no statistics until analysed; the upsert's joins need them."""
    cursor.execute(sql.SQL("ANALYZE {}").format(staging_table(kind)))


def copy_statement(kind: RecordKind, names: Sequence[str]) -> sql.Composed:
    return sql.SQL("COPY {} (line, {}) FROM STDIN").format(
        staging_table(kind), sql.SQL(", ").join(map(sql.Identifier, names))
    )


def copy_into_table_statement(kind: RecordKind, names: Sequence[str]) -> sql.Composed:
    """COPY straight into the kind's table; referencing columns carry the referenced ids."""
    targets = [_MAPPED.get(name, (name, ""))[0] for name in names]
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(_TABLES[kind.name]), sql.SQL(", ").join(map(sql.Identifier, targets))
    )


def table_is_empty(cursor, kind: RecordKind) -> bool:
    cursor.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT FROM {})").format(sql.Identifier(_TABLES[kind.name]))
    )
    return cursor.fetchone()[0]


def duplicate_keys(cursor, kind: RecordKind) -> list[tuple[list[int], tuple]]:
    """Keys that appear on more than one line of the same file: ([lines], key values)."""
    key = sql.SQL(", ").join(map(sql.Identifier, kind.key))
    cursor.execute(
        sql.SQL(
            "SELECT array_agg(line ORDER BY line), {key} FROM {stage} GROUP BY {key} "
            "HAVING count(*) > 1 ORDER BY min(line) LIMIT 1000"
        ).format(key=key, stage=staging_table(kind))
    )
    return [(row[0], tuple(row[1:])) for row in cursor.fetchall()]


def existing_accounts(cursor, external_ids: list[str]) -> set[str]:
    """Which of these account external ids exist: one array parameter, however many ids (an
    IN list of a thousand placeholders costs more to build than to run)."""
    if not external_ids:
        return set()
    cursor.execute(
        "SELECT external_id FROM accounts_account WHERE external_id = ANY(%s)", [external_ids]
    )
    return {row[0] for row in cursor.fetchall()}


def contact_accounts(cursor, external_ids: list[str]) -> dict[str, str]:
    """Each existing contact of these external ids -> its account's external id."""
    if not external_ids:
        return {}
    cursor.execute(
        "SELECT c.external_id, a.external_id FROM accounts_contact c "
        "JOIN accounts_account a ON a.id = c.account_id WHERE c.external_id = ANY(%s)",
        [external_ids],
    )
    return dict(cursor.fetchall())


def distinct_owner_emails(cursor) -> list[str]:
    cursor.execute("SELECT DISTINCT owner_email FROM import_accounts WHERE owner_email IS NOT NULL")
    return [row[0] for row in cursor.fetchall()]


# How each kind's staged columns become its table's columns: a referencing column is mapped to
# the referenced id (target column, SQL expression) brought by its join.
_TABLES = {
    "accounts": "accounts_account",
    "contacts": "accounts_contact",
    "contracts": "accounts_contract",
    "tickets": "accounts_ticket",
    "usage": "accounts_usagedaily",
    "surveys": "surveys_surveyresponse",
    "costs": "accounts_costmonth",
}
_MAPPED = {
    "account_external_id": ("account_id", "acct.id"),
    "owner_email": ("owner_id", "owner.id"),
    "contact_external_id": ("contact_id", "contact.id"),
}
_JOINS = {
    "account_external_id": "JOIN accounts_account acct ON acct.external_id = s.account_external_id",
    "owner_email": (
        "LEFT JOIN LATERAL (SELECT u.id FROM auth_user u "
        "WHERE lower(u.email) = s.owner_email OR lower(u.username) = s.owner_email "
        "ORDER BY lower(u.email) = s.owner_email DESC, u.id LIMIT 1) owner ON true"
    ),
    "contact_external_id": (
        "LEFT JOIN accounts_contact contact ON contact.external_id = s.contact_external_id"
    ),
}
# Columns the upsert leaves alone: an account's parent may come later in the same file, so
# parents are linked after every row of the file is in (`link_staged_parents`).
_LINKED_AFTER = frozenset({"parent_external_id"})
# Columns the table has that no file carries, with the value a new row gets.
_INSERT_ONLY = {"accounts": {"lifecycle_stage": "'prospect'"}}


def _column_plan(kind: RecordKind) -> list[tuple[str, str, str]]:
    """(file column, table column, SQL expression over the staging row) for every column."""
    plan = []
    for column in kind.columns:
        if column.name in _LINKED_AFTER or column.custom:
            continue
        target, expression = _MAPPED.get(column.name, (column.name, f"s.{column.name}"))
        if column.empty is not None:  # an absent column still fills a NOT NULL field
            expression = f"COALESCE({expression}, {sql.Literal(column.empty).as_string()})"
        plan.append((column.name, target, expression))
    return plan


def _custom_values(keys: Sequence[str]) -> str:
    """The staged custom columns as one JSON object; empty cells leave their key out. Keys are
    CustomField keys, which a check constraint keeps to [a-z][a-z0-9_]*."""
    pairs = ", ".join(f"'{key}', s.{key}" for key in keys)
    return f"jsonb_strip_nulls(jsonb_build_object({pairs}))"


def _custom_update(keys: Sequence[str]) -> str:
    """A record's stored custom values with the file's keys replaced: other keys are kept, an
    empty cell removes its key."""
    listed = ", ".join(f"'{key}'" for key in keys)
    return f"(t.custom - ARRAY[{listed}]::text[]) || {_custom_values(keys)}"


def upsert(cursor, kind: RecordKind, present: Sequence[str]) -> int:
    """Update the records whose values changed, insert the new ones; identical records are left
    untouched, so importing the same files twice changes nothing. Columns absent from the file
    keep their stored values.

    Two plain statements rather than INSERT ... ON CONFLICT: on a million usage rows the
    speculative insertion of ON CONFLICT costs about 60 % more. The table lock keeps concurrent
    writers (the API) out between the two, while readers go on."""
    table = sql.Identifier(_TABLES[kind.name])
    plan = _column_plan(kind)
    joins = sql.SQL(" ".join(_JOINS[name] for name, _t, _e in plan if name in _JOINS))
    key = [(target, expression) for name, target, expression in plan if name in kind.key]
    matches = sql.SQL(" AND ").join(
        sql.SQL("t.{} = {}").format(sql.Identifier(target), sql.SQL(expression))
        for target, expression in key
    )
    execute_logged(
        cursor,
        sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(table),
        label=f"lock {kind.name}",
    )
    within = sql.SQL("")
    if kind.name == "usage":
        cursor.execute(sql.SQL("SELECT min(date), max(date) FROM {}").format(staging_table(kind)))
        first, last = cursor.fetchone()
        if first is not None:
            # Every month of the file gets its partition before the insert (the default
            # partition would take them otherwise, and retention could not drop them by month).
            cursor.execute(
                "SELECT northstar_ensure_month_partitions(%s, %s, %s)",
                [_TABLES["usage"], first, last],
            )
            # The file's dates as constants: PostgreSQL then reads only their months'
            # partitions (a join on t.date = s.date prunes none: a daily file of 1,000,000
            # rows compared itself with all 50 million rows).
            within = sql.SQL(" AND t.date BETWEEN {} AND {}").format(
                sql.Literal(first), sql.Literal(last)
            )
    changed = 0
    updated = [(t, e) for name, t, e in plan if name in present and name not in kind.key]
    custom = [column.name for column in kind.columns if column.custom and column.name in present]
    if custom:
        updated.append(("custom", _custom_update(custom)))
    if updated:
        targets = sql.SQL(", ").join(sql.Identifier(t) for t, _e in updated)
        values = sql.SQL(", ").join(sql.SQL(e) for _t, e in updated)
        current = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(t)) for t, _e in updated)
        changed += execute_logged(
            cursor,
            sql.SQL(
                "UPDATE {table} t SET ({targets}) = ROW({values}) FROM {stage} s {joins} "
                "WHERE {matches}{within} AND ({current}) IS DISTINCT FROM ({values})"
            ).format(
                within=within,
                table=table,
                targets=targets,
                values=values,
                stage=staging_table(kind),
                joins=joins,
                matches=matches,
                current=current,
            ),
            label=f"update {kind.name}",
        )
    inserted = [(t, e) for _n, t, e in plan] + list(_INSERT_ONLY.get(kind.name, {}).items())
    if custom:
        inserted.append(("custom", _custom_values(custom)))
    changed += execute_logged(
        cursor,
        sql.SQL(
            "INSERT INTO {table} ({targets}) SELECT {values} FROM {stage} s {joins} "
            "WHERE NOT EXISTS (SELECT FROM {table} t WHERE {matches}{within})"
        ).format(
            within=within,
            table=table,
            targets=sql.SQL(", ").join(sql.Identifier(t) for t, _e in inserted),
            values=sql.SQL(", ").join(sql.SQL(e) for _t, e in inserted),
            stage=staging_table(kind),
            joins=joins,
            matches=matches,
        ),
        label=f"insert {kind.name}",
    )
    return changed


# Staged accounts naming a parent that is neither in the database nor in the same file.
_UNKNOWN_PARENTS = """
SELECT s.line, s.parent_external_id FROM import_accounts s
WHERE s.parent_external_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM accounts_account a WHERE a.external_id = s.parent_external_id)
  AND NOT EXISTS (SELECT FROM import_accounts o WHERE o.external_id = s.parent_external_id)
ORDER BY s.line LIMIT 1000
"""

_LINK_PARENTS = """
UPDATE accounts_account t SET parent_id = p.id
FROM import_accounts s LEFT JOIN accounts_account p ON p.external_id = s.parent_external_id
WHERE t.external_id = s.external_id AND t.parent_id IS DISTINCT FROM p.id
"""

# Every account's chain of parents, walked up from each account that has a parent, at most
# MAX_DEPTH + 1 steps: a chain that comes back to its start is a cycle, one that is still going
# after MAX_DEPTH levels is too deep. Only the chains through a staged account are reported, at
# the line of the staged account nearest the problem.
_HIERARCHY_PROBLEMS = """
WITH RECURSIVE up (start_id, id, parent_id, path, cycle) AS (
    SELECT a.id, a.id, a.parent_id, ARRAY[a.external_id::text], false
    FROM accounts_account a WHERE a.parent_id IS NOT NULL
  UNION ALL
    SELECT up.start_id, p.id, p.parent_id, up.path || p.external_id::text,
           p.id = up.start_id
    FROM up JOIN accounts_account p ON p.id = up.parent_id
    WHERE NOT up.cycle AND cardinality(up.path) <= %(max_depth)s
), bad AS (
    SELECT DISTINCT ON (start_id) start_id, path, cycle FROM up
    WHERE cycle OR cardinality(path) > %(max_depth)s
    ORDER BY start_id, cycle DESC
), reported AS (
    SELECT DISTINCT ON (bad.start_id) s.line, s.parent_external_id, bad.path, bad.cycle
    FROM bad JOIN import_accounts s ON s.external_id = ANY(bad.path)
    ORDER BY bad.start_id, array_position(bad.path, s.external_id::text)
)
SELECT DISTINCT ON (line) line, parent_external_id, path, cycle FROM reported
ORDER BY line, cycle DESC LIMIT 1000
"""


# An account and every account below it, at most Account.MAX_LEVELS deep (the trigger of
# migration 0004 keeps the tree that shallow and free of cycles). Served by the parent_id index.
GROUP_MEMBERS = """
WITH RECURSIVE members (id, level) AS (
    SELECT id, 1 FROM accounts_account WHERE id = %s
  UNION ALL
    SELECT c.id, members.level + 1
    FROM accounts_account c JOIN members ON c.parent_id = members.id
    WHERE members.level < 5
)
SELECT id FROM members
"""

# The header's search (accounts.search): accounts by name and external id, contacts by name and
# email, notes by their words, each ranked and cut to a few rows, among the accounts a user may
# see ({visible_join}: nothing for those who see every account; for others a join of the
# account `a` with {visible_cte}, the user's visible ids computed once for the three branches).
# Names match by prefix, by substring and by trigram word similarity (typos), served by the
# trigram GIN indexes of migration 0005; notes by full-text prefix search over the `simple`
# dictionary (names and product words, no stemming), served by the note_body_search index.
# Typos only from TYPO_LENGTH characters (accounts.search): 3 letters similar to a name are
# another word, and the trigram branch matched a fifth of the book for them (20 ms).
SEARCH = """
WITH
{visible_cte}
-- Candidates, one index-served branch per condition: ORed in one WHERE, the planner scans the
-- whole table and computes the similarity of every row (100 ms at 43,000 contacts).
account_hits AS (
    SELECT id FROM accounts_account WHERE name ILIKE %(contains)s
    UNION SELECT id FROM accounts_account WHERE external_id ILIKE %(contains)s
    UNION SELECT id FROM accounts_account WHERE %(typos)s AND %(q)s <%% name
),
contact_hits AS (
    SELECT id FROM accounts_contact WHERE name ILIKE %(contains)s
    UNION SELECT id FROM accounts_contact WHERE email ILIKE %(contains)s
    UNION SELECT id FROM accounts_contact WHERE %(typos)s AND %(q)s <%% name
)
(SELECT 'account' AS kind, a.id AS account_id, a.id AS object_id, a.name AS title,
        a.external_id AS detail,
        (CASE WHEN a.name ILIKE %(prefix)s OR a.external_id ILIKE %(prefix)s
              THEN 2 ELSE 0 END
         + CASE WHEN a.name ILIKE %(contains)s THEN 1 ELSE 0 END
         + word_similarity(%(q)s, a.name))::float AS rank
 FROM account_hits h JOIN accounts_account a ON a.id = h.id {visible_join}
 ORDER BY rank DESC, a.name LIMIT %(limit)s)
UNION ALL
(SELECT 'contact', c.account_id, c.id, COALESCE(NULLIF(c.name, ''), c.email),
        concat_ws(' · ', NULLIF(c.email, ''), a.name),
        (CASE WHEN c.name ILIKE %(prefix)s OR c.email ILIKE %(prefix)s
              THEN 2 ELSE 0 END
         + word_similarity(%(q)s, c.name))::float
 FROM contact_hits h JOIN accounts_contact c ON c.id = h.id
 JOIN accounts_account a ON a.id = c.account_id {visible_join}
 ORDER BY 6 DESC, 4 LIMIT %(limit)s)
UNION ALL
(SELECT 'note', n.account_id, n.id, a.name,
        ts_headline('simple', n.body, to_tsquery('simple', %(words)s),
                    'MaxWords=14, MinWords=6, StartSel=«, StopSel=»'),
        ts_rank(to_tsvector('simple', n.body), to_tsquery('simple', %(words)s))::float
 FROM accounts_note n JOIN accounts_account a ON a.id = n.account_id {visible_join}
 WHERE %(words)s <> '' AND to_tsvector('simple', n.body) @@ to_tsquery('simple', %(words)s)
 ORDER BY 6 DESC, n.created_at DESC LIMIT %(limit)s)
"""


def unknown_parents(cursor) -> list[tuple[int, str]]:
    """(line, parent external id) of staged accounts whose parent exists nowhere."""
    cursor.execute(_UNKNOWN_PARENTS)
    return cursor.fetchall()


def link_parents(cursor) -> int:
    """Point each staged account at its named parent (null clears it); returns rows changed.

    The hierarchy trigger is deferred to the commit for the rest of the transaction, so that
    `hierarchy_problems` can report a cycle at its line before the trigger refuses it."""
    cursor.execute("SET CONSTRAINTS accounts_hierarchy DEFERRED")
    return execute_logged(cursor, _LINK_PARENTS, label="link parents")


def hierarchy_problems(cursor, *, max_depth: int) -> list[tuple[int, str, list[str], bool]]:
    """(line, parent external id, chain of external ids, is a cycle) for each staged account
    that closes a cycle of parents or makes a chain of more than `max_depth` levels."""
    cursor.execute(_HIERARCHY_PROBLEMS, {"max_depth": max_depth})
    return cursor.fetchall()


LIFECYCLE_STAGES = """
WITH paid AS (
    SELECT account_id,
           min(start_date) AS first_paid_start,
           bool_or(start_date <= %(today)s AND (end_date IS NULL OR end_date >= %(today)s))
               AS active_today
    FROM accounts_contract
    WHERE mrr > 0
    GROUP BY account_id
), derived AS (
    SELECT a.id,
           CASE
               WHEN paid.active_today AND paid.first_paid_start > %(today)s - 90 THEN 'onboarding'
               WHEN paid.active_today THEN 'active'
               WHEN paid.account_id IS NOT NULL THEN 'churned'
               WHEN a.trial_started_on IS NOT NULL THEN 'trial'
               ELSE 'prospect'
           END AS stage
    FROM accounts_account a
    LEFT JOIN paid ON paid.account_id = a.id
)
UPDATE accounts_account a SET lifecycle_stage = derived.stage
FROM derived
WHERE derived.id = a.id AND a.lifecycle_stage <> derived.stage
"""


def refresh_lifecycle_stages(cursor, today: date) -> int:
    """Derive every account's stage from its contracts as of `today`, in one statement."""
    return execute_logged(cursor, LIFECYCLE_STAGES, {"today": today}, label="lifecycle stages")


# Bulk actions (accounts.bulk): one UPDATE per action, and one per undo, joined to the action's
# record of old values (its JSON object: account id -> old value) instead of a row per account.
# An undo restores only accounts still holding the value the action set (IS NOT DISTINCT FROM:
# an owner or a field may be NULL); the others changed since and are left as they are.
# Only rows whose value changes are written: a written row updates every index, GIN ones too.
BULK_FIELD_SET = """
UPDATE accounts_account SET custom = custom || jsonb_build_object(%(key)s, %(value)s::jsonb)
WHERE id = ANY(%(ids)s) AND custom -> %(key)s IS DISTINCT FROM %(value)s::jsonb
"""
BULK_FIELD_CLEAR = """
UPDATE accounts_account SET custom = custom - %(key)s WHERE id = ANY(%(ids)s) AND custom ? %(key)s
"""
BULK_UNDO = {
    "owner": """
UPDATE accounts_account a SET owner_id = (old.value #>> '{}')::bigint
FROM accounts_bulkaction b CROSS JOIN LATERAL jsonb_each(b.old_values) AS old(id, value)
WHERE b.id = %(action)s AND a.id = old.id::bigint
  AND a.owner_id IS NOT DISTINCT FROM %(new)s::bigint
RETURNING a.id
""",
    "stage": """
UPDATE accounts_account a SET lifecycle_stage = old.value #>> '{}'
FROM accounts_bulkaction b CROSS JOIN LATERAL jsonb_each(b.old_values) AS old(id, value)
WHERE b.id = %(action)s AND a.id = old.id::bigint AND a.lifecycle_stage = %(new)s
RETURNING a.id
""",
    # A null old value: the account had no value for the field, so the key is removed again.
    "field": """
UPDATE accounts_account a SET custom = CASE WHEN old.value = 'null'::jsonb
    THEN a.custom - %(key)s ELSE a.custom || jsonb_build_object(%(key)s, old.value) END
FROM accounts_bulkaction b CROSS JOIN LATERAL jsonb_each(b.old_values) AS old(id, value)
WHERE b.id = %(action)s AND a.id = old.id::bigint
  AND a.custom -> %(key)s IS NOT DISTINCT FROM %(new)s::jsonb
RETURNING a.id
""",
}


# Tags (accounts.tags): an account's tags stay sorted (by code point, as Python sorts them:
# COLLATE "C") and distinct. An undo joins the record's old values (account id -> whether it
# carried the tag before); an account "still as the action left it" carries the tag after an
# add, or lacks it after a remove; only those that did not before are written back.
BULK_TAG_ADD = """
UPDATE accounts_account a SET tags = ARRAY(
    SELECT t FROM unnest(a.tags || %(tag)s::varchar(40)) t ORDER BY t COLLATE "C")
WHERE a.id = ANY(%(ids)s) AND NOT a.tags @> ARRAY[%(tag)s]::varchar(40)[]
"""
BULK_TAG_REMOVE = """
UPDATE accounts_account a SET tags = array_remove(a.tags, %(tag)s::varchar(40))
WHERE a.id = ANY(%(ids)s) AND a.tags @> ARRAY[%(tag)s]::varchar(40)[]
"""
# `added`: true to undo an add (restore those that lacked the tag), false to undo a remove.
BULK_TAG_UNDO = """
WITH old AS (
    SELECT o.id::bigint AS id, o.value = 'true'::jsonb AS had
    FROM accounts_bulkaction b CROSS JOIN LATERAL jsonb_each(b.old_values) AS o(id, value)
    WHERE b.id = %(action)s
), still AS (
    SELECT a.id, old.had FROM accounts_account a JOIN old ON a.id = old.id
    WHERE (a.tags @> ARRAY[%(tag)s]::varchar(40)[]) = %(added)s
), undone AS (
    UPDATE accounts_account a SET tags = CASE WHEN %(added)s
        THEN array_remove(a.tags, %(tag)s::varchar(40))
        ELSE ARRAY(SELECT t FROM unnest(a.tags || %(tag)s::varchar(40)) t ORDER BY t COLLATE "C")
    END
    FROM still WHERE a.id = still.id AND still.had <> %(added)s
    RETURNING a.id
)
SELECT id FROM still
"""
BULK_UNDO["tag_add"] = BULK_UNDO["tag_remove"] = BULK_TAG_UNDO


def insert_view_entries(*, view_id: int, members, as_of: date) -> int:
    """Open a stay on `as_of` for every account of `members` (a queryset of account ids: the
    compiled view) without an open stay in the view; one INSERT ... SELECT."""
    from django.db import connection

    from core.sql import queryset_sql

    values: dict = {"view": view_id, "d": as_of}

    def add(value) -> sql.Placeholder:
        name = f"m{len(values)}"
        values[name] = value
        return sql.Placeholder(name)

    statement = sql.SQL(
        """
INSERT INTO accounts_viewmembership (view_id, account_id, entered_on)
SELECT %(view)s, m.id, %(d)s FROM ({members}) m (id)
WHERE NOT EXISTS (
    SELECT FROM accounts_viewmembership o
    WHERE o.view_id = %(view)s AND o.account_id = m.id AND o.left_on IS NULL
)
ON CONFLICT DO NOTHING"""
    ).format(members=queryset_sql(members, add))
    with connection.cursor() as cursor:
        return execute_logged(cursor, statement, values, label=f"view {view_id} entries {as_of}")


# Every (segment, region) pair, one index probe per pair on account_segment_region_idx: a
# loose index scan, since PostgreSQL 15 has no skip scan (SELECT DISTINCT read all 100,000
# accounts: 28 ms of every accounts list a leader opened).
_SEGMENT_REGION_PAIRS = """
WITH RECURSIVE pairs AS (
    (SELECT segment, region FROM accounts_account ORDER BY segment, region LIMIT 1)
    UNION ALL
    SELECT next.segment, next.region FROM pairs, LATERAL (
        SELECT a.segment, a.region FROM accounts_account a
        WHERE (a.segment, a.region) > (pairs.segment, pairs.region)
        ORDER BY a.segment, a.region LIMIT 1
    ) next
)
SELECT segment, region FROM pairs
"""


def segment_region_pairs(cursor) -> list[tuple[str, str]]:
    """The distinct (segment, region) pairs of all accounts (both columns are NOT NULL)."""
    cursor.execute(_SEGMENT_REGION_PAIRS)
    return cursor.fetchall()
