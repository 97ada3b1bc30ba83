"""Running set-based SQL: every app's heavy statements go through `execute_logged`."""

import logging
import time
from typing import Any

from psycopg import sql

logger = logging.getLogger("northstar.sql")


def execute_logged(
    cursor, statement: sql.Composable | str, params: Any = None, *, label: str
) -> int:
    """Run one statement, log how long it took and how many rows it touched; return that count."""
    started = time.perf_counter()
    cursor.execute(statement, params)
    logger.debug("%s: %d rows in %.3f s", label, cursor.rowcount, time.perf_counter() - started)
    return cursor.rowcount


def queryset_sql(queryset, add) -> sql.Composed:
    """A Django queryset's SELECT as a psycopg.sql fragment, to embed in a hand-written statement
    (`x IN ({})`): the ORM's SQL with each `%s` turned into the placeholder `add(value)` returns
    (a statement with named parameters cannot mix in positional ones). The ORM writes values as
    parameters, so its text holds no literal braces; they are escaped all the same."""
    text, params = queryset.query.sql_with_params()
    pieces = text.replace("{", "{{").replace("}", "}}").split("%s")
    if len(pieces) != len(params) + 1:
        raise ValueError("the queryset's SQL does not have one %s per parameter")
    template = "{}".join(pieces)
    return sql.SQL(template).format(*(add(value) for value in params))
