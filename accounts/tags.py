"""Tags: free labels a team puts on accounts ("beta", "exec sponsor left", "q3-expansion").

A tag is compared as its normalised form, so "Beta ", "beta" and "BETA" are one tag: trimmed,
inner whitespace collapsed to one space, lower case, at most MAX_LENGTH characters of letters,
digits, spaces and `-_.:/&+#`. An account keeps its tags sorted and distinct (Account.tags, a
text array with a GIN index), so a filter on tags is containment (`tags @> ARRAY[...]`) on the
index, and writes (the 360 page, bulk actions) compare arrays, not strings.
"""

import re

from django.db.models import Q

MAX_LENGTH = 40
MAX_PER_ACCOUNT = 30
_ALLOWED = re.compile(r"^[\w .:/&+#-]+$")


class BadTag(ValueError):
    """A tag that cannot be stored, with the message to show."""


def normalise_tag(raw: str) -> str:
    """The tag's stored form, or BadTag saying why it cannot be one."""
    tag = " ".join(str(raw or "").split()).lower()
    if not tag:
        raise BadTag("A tag cannot be empty.")
    if len(tag) > MAX_LENGTH:
        raise BadTag(f"A tag has at most {MAX_LENGTH} characters; {tag[:20]!r}... has {len(tag)}.")
    if not _ALLOWED.match(tag):
        raise BadTag(f"Tag {tag!r}: use letters, digits, spaces and - _ . : / & + # only.")
    return tag


def parse_tags(raw: str) -> tuple[str, ...]:
    """Comma-separated tags (the list's filter input), normalised, distinct, in given order."""
    tags: list[str] = []
    for part in str(raw or "").split(","):
        if part.strip():
            tag = normalise_tag(part)
            if tag not in tags:
                tags.append(tag)
    return tuple(tags)


def with_tag(tags: list[str], tag: str) -> list[str]:
    return sorted({*tags, tag})


def tags_condition(tags: tuple[str, ...]) -> Q:
    """Accounts carrying every one of `tags` (containment, on the GIN index)."""
    return Q(tags__contains=list(tags)) if tags else Q()
