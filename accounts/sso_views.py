"""The single sign-on pages: start a sign-in at the identity provider, its callback, and the
site's logout (which also ends the provider's session where it offers end_session_endpoint).
accounts/sso.py holds the rules; docs/sso.md the set-up."""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.access import user_sees_all_accounts
from accounts.sso import SignInRefused, sso_enabled

logger = logging.getLogger("northstar.sso")

REPLAYED = "That sign-in link was already used or has expired: please sign in again."


@method_decorator(login_not_required, name="dispatch")
class SsoStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured")
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SsoCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; the state must be one this browser
    was given (and is used once), then the backend exchanges the code and verifies the token."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured")
        try:
            return super().get(request)
        except SignInRefused as exc:
            return self._refused(str(exc))
        except SuspiciousOperation:  # the state is not in this session: replayed or forged
            return self._refused(REPLAYED)
        except requests.RequestException as exc:  # the provider refused the code, or is down
            logger.warning("OIDC token exchange failed: %s", exc)
            return self._refused(
                "The identity provider could not complete the sign-in: please try again."
            )

    @property
    def failure_url(self) -> str:
        return resolve_url("login")

    @property
    def success_url(self) -> str:
        next_url = self.request.session.get("oidc_login_next")
        if next_url:
            return next_url
        return resolve_url("home" if user_sees_all_accounts(self.user) else "my_day")

    def login_success(self) -> HttpResponse:
        """Always a new session key: a browser already signed in as this user may have had its
        session ended just now, by a role the provider no longer gives (and a sign-in should
        rotate the key whoever was signed in)."""
        self.request.session.cycle_key()
        auth.login(self.request, self.user)
        return HttpResponseRedirect(self.success_url)

    def login_failure(self) -> HttpResponse:
        request = self.request
        if request.GET.get("error"):
            reason = "The identity provider refused the sign-in: " + (
                request.GET.get("error_description") or request.GET["error"]
            )
        elif getattr(self, "user", None) is not None and not self.user.is_active:
            reason = "This account is deactivated: ask your administrator."
        elif "code" in request.GET:
            reason = REPLAYED
        else:
            reason = "The sign-in did not complete: please try again."
        return self._refused(reason)

    def _refused(self, reason: str) -> HttpResponse:
        """Back to the login page saying why; user_login_failed is the audit log's hook."""
        logger.info("OIDC sign-in refused: %s", reason)
        user_login_failed.send(
            sender=__name__, credentials={"method": "oidc", "reason": reason}, request=self.request
        )
        messages.error(self.request, reason)
        return HttpResponseRedirect(self.failure_url)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ends the session; signed in through a provider with an end_session_endpoint, the browser
    goes on there to end the provider's session too, and comes back to the login page."""
    id_token = request.session.get("oidc_id_token")
    logout(request)
    endpoint = settings.OIDC_OP_END_SESSION_ENDPOINT
    if not (id_token and endpoint and sso_enabled()):
        return redirect(settings.LOGOUT_REDIRECT_URL)
    params = {
        "id_token_hint": id_token,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    return HttpResponseRedirect(f"{endpoint}?{urlencode(params)}")
