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
