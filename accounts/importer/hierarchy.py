"""Parent accounts (kpi-spec section 2, `parent_external_id`): the rule, for the import and the
API alike.

A parent must name an account in the database or in the same file (it may come later in the
file), and the parents must form no cycle and no chain deeper than MAX_DEPTH levels (an account
without a parent is level 1). Parents are linked after the whole file is upserted, then the chains
through the staged accounts are checked in SQL; the caller rolls back on any problem. A
constraint trigger on the table (migration accounts 0004) holds the same rule for every other
write, such as the admin.
"""

from accounts import sql as accounts_sql
from accounts.importer.fields import cut, shown
from accounts.importer.records import Problem

MAX_DEPTH = 5

LinedProblem = tuple[int, Problem]  # (staging line: a CSV line or an API item index, problem)


def staged_parent_problems(cursor) -> list[LinedProblem]:
    """Parents the staged accounts name that exist nowhere (checked before anything is written)."""
    return [
        (line, ("parent_external_id", f"unknown account {shown(ref)}"))
        for line, ref in accounts_sql.unknown_parents(cursor)
    ]


def link_staged_parents(cursor) -> tuple[int, list[LinedProblem]]:
    """Link the staged accounts to their parents; (rows changed, cycle and depth problems)."""
    changed = accounts_sql.link_parents(cursor)
    problems = []
    for line, ref, chain, is_cycle in accounts_sql.hierarchy_problems(cursor, max_depth=MAX_DEPTH):
        links = " -> ".join(map(cut, chain))
        if is_cycle:
            message = f"parent {shown(ref)} makes a cycle of parents: {links}"
        else:
            message = f"parent {shown(ref)} makes a chain deeper than {MAX_DEPTH} levels: {links}"
        problems.append((line, ("parent_external_id", message)))
    return changed, problems
