"""Login rate limits (django-axes): a low limit per (username, address) and a higher one per
address, so one address can neither guess one password nor try a few on every username.

django-axes compares one failure count with one limit; this handler gives each of its two
lockout parameter sets (settings.AXES_LOCKOUT_PARAMETERS: the pair first, then the address)
its own limit. A successful login clears only its own pair's count: otherwise an attacker with
one valid account could log in between guesses to reset the address's count.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class PairAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The pair's failures, or at least the pair limit once the address is over its own."""
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count


def client_address(request: HttpRequest) -> str | None:
    """The address a login comes from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies that
    each append to X-Forwarded-For, the entry the outermost of them added (earlier entries are
    whatever the client sent, so never trusted). Too short a header: REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
