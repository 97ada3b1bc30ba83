"""Refusals of the public endpoints (the sources' /ingest/ calls, the in-app widget): a status,
one sentence and its headers, answered as JSON; and the Redis-counted rate limit they share
with the API (django-ratelimit's fixed windows over the "api" cache)."""

from django.http import HttpRequest
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def limit(request: HttpRequest, *, group: str, key: str, rate: str, message: str) -> None:
    """Count one request of `key` in `group` against `rate` (e.g. "600/m"). Refused 429 with
    Retry-After past it (`message` names the limit), 503 when Redis cannot count."""
    try:
        usage = get_usage(request, group=group, key=lambda *_: key, rate=rate, increment=True)
    except RedisError:
        raise Refused(
            503, "The rate limiter is unavailable; retry shortly.", {"Retry-After": "5"}
        ) from None
    if usage and usage["should_limit"]:
        wait = str(max(1, usage["time_left"]))
        raise Refused(429, f"{message}; retry after {wait} s.", {"Retry-After": wait})
