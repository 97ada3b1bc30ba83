"""The header's search: one box that finds accounts, contacts and notes a user may see.

PostgreSQL does the work (trigram indexes for names, full-text search for notes; no search
engine to run). Results are ranked within each kind and grouped accounts first, so the account a
CSM typed the start of is the first thing under the cursor.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from accounts import sql as accounts_sql
from accounts.access import accounts_visible_to

MIN_LENGTH = 2
MAX_LENGTH = 100
PER_KIND = 6
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    kind: str  # account, contact or note
    account_id: int
    object_id: int
    title: str
    detail: str
    rank: float


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix_words(text: str) -> str:
    """A tsquery matching every word of the text as a prefix ("acme ren" -> acme:* & ren:*)."""
    return " & ".join(f"{word}:*" for word in _WORD.findall(text.lower())[:8])


def search(*, user: AbstractBaseUser, text: str, per_kind: int = PER_KIND) -> list[SearchHit]:
    """Accounts, contacts and notes matching `text` among the accounts `user` may see: one
    statement, whatever the size of the book. Shorter than MIN_LENGTH finds nothing."""
    query = " ".join(text.split())[:MAX_LENGTH]
    if len(query) < MIN_LENGTH:
        return []
    visible_sql, visible_params = accounts_visible_to(user).values("pk").query.sql_with_params()
    escaped = _like_escaped(query.lower())
    params = {
        "q": query,
        "prefix": f"{escaped}%",
        "contains": f"%{escaped}%",
        "words": _prefix_words(query),
        "limit": per_kind,
    }
    # The visible accounts' SQL is Django's own, with positional parameters: inline them as
    # literals of that query only, so the statement can keep named parameters for the rest.
    with transaction.atomic(), connection.cursor() as cursor:
        # A typo of two letters in a ten-letter name is still a match (the default, 0.6, is not).
        cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = 0.5")
        visible = cursor.mogrify(visible_sql, visible_params)
        statement = accounts_sql.SEARCH.replace("{visible}", visible.replace("%", "%%"))
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return [SearchHit(*row) for row in rows]
