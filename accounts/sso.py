"""Single sign-on with OpenID Connect (issue 19), on mozilla-django-oidc.

Why mozilla-django-oidc: it does one thing (the authorization-code flow for a relying party),
is small enough to read in an hour (about 1,000 lines), is maintained by Mozilla and used on
their own sites, and plugs in as an authentication backend beside our password backend and
django-axes, with PKCE, state and nonce built in. django-allauth would bring accounts, email
confirmation and its own login pages, which Northstar does not want; an IdP owns those.

What we add to it:
- The ID token's issuer, audience (and `azp`), expiry and issue time are verified; the library
  checks only the signature and the nonce (it decodes with verify_aud off).
- Users are found by the provider's (issuer, sub), never by an email address alone: an existing
  user is linked by email only when the provider says it is verified, and never a superuser
  (the break-glass admin stays local). New users are provisioned on first sign-in.
- Roles (the CSM, Leader and Admin groups, and staff status) come from the groups claim at every
  sign-in, so leaving the IdP group removes the role (and ends the user's other sessions,
  accounts/sessions.py). Someone in no mapped group is refused.
- SSO-only mode: the password backend refuses everyone but SSO_BREAK_GLASS_USERNAME.
"""

import logging

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import SsoIdentity

logger = logging.getLogger("northstar.sso")

ROLE_GROUPS = ("CSM", "Leader", "Admin")


class SignInRefused(Exception):
    """A sign-in through the identity provider that must not succeed; the message is shown on
    the login page and passed to user_login_failed."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def password_allowed(username: str | None) -> bool:
    """Whether a password sign-in may be tried: always, unless SSO_ONLY, when only the
    break-glass admin may."""
    if not settings.SSO_ONLY:
        return True
    return bool(settings.SSO_BREAK_GLASS_USERNAME) and username == settings.SSO_BREAK_GLASS_USERNAME


class PasswordBackend(ModelBackend):
    """Django's password backend, refusing every password but the break-glass admin's in
    SSO-only mode (the site's login page and the admin's alike)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not password_allowed(username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and settings.SSO_ONLY:
            logger.warning("break-glass password sign-in by %s", username)
        return user


def roles_from_claims(claims: dict) -> tuple[set[str], bool]:
    """The Northstar roles and staff status the claims' groups give (OIDC_ROLE_GROUPS,
    OIDC_STAFF_GROUPS). A claim sent as one string is one group."""
    raw = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    groups = {raw} if isinstance(raw, str) else {str(group) for group in raw}
    roles = {role for role, idp in settings.OIDC_ROLE_GROUPS.items() if groups & set(idp)}
    return roles, bool(groups & set(settings.OIDC_STAFF_GROUPS))


def user_roles_apply(*, user, roles: set[str], staff: bool) -> None:
    """Sets the user's role groups to exactly `roles` and staff status to `staff`; other groups
    are left alone. A role taken away ends the user's sessions (the groups signal)."""
    current = set(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
    if current - roles:
        user.groups.remove(*Group.objects.filter(name__in=current - roles))
    if roles - current:
        user.groups.add(*Group.objects.filter(name__in=roles - current))
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def _username_for(claims: dict) -> str:
    """The email address, or with the subject appended when a local user already has it."""
    user_model = get_user_model()
    base = claims["email"][:120]
    if not user_model._base_manager.filter(username=base).exists():
        return base
    return f"{base}~{claims['sub']}"[:150]


def _names(claims: dict) -> dict[str, str]:
    given, family = claims.get("given_name"), claims.get("family_name")
    if not given and claims.get("name"):
        given, _, family = str(claims["name"]).partition(" ")
    return {"first_name": str(given or "")[:150], "last_name": str(family or "")[:150]}


def sso_user_find_or_create(*, issuer: str, claims: dict, may_create: bool):
    """The user of this provider account: by (issuer, sub); else an existing non-superuser with
    the same verified email and no identity yet, linked now; else a new user (when may_create).
    Returns None when there is none and none may be made."""
    user_model = get_user_model()
    identity = SsoIdentity.objects.select_related("user").filter(
        issuer=issuer, subject=claims["sub"]
    )
    if (found := identity.first()) is not None:
        found.last_sign_in_at = timezone.now()
        found.save(update_fields=["last_sign_in_at"])
        return found.user
    user = None
    if claims.get("email_verified") is True:
        user = (
            user_model._base_manager.filter(
                email__iexact=claims["email"], is_superuser=False, sso_identity__isnull=True
            )
            .order_by("pk")
            .first()
        )
    if user is None:
        if not may_create:
            return None
        user = user_model.objects.create_user(
            _username_for(claims), email=claims["email"], **_names(claims)
        )  # no usable password: this user signs in through the provider only
    SsoIdentity.objects.create(
        user=user, issuer=issuer, subject=claims["sub"], last_sign_in_at=timezone.now()
    )
    return user


class OIDCBackend(OIDCAuthenticationBackend):
    """The authorization-code flow's backend: verifies the ID token fully, then finds or
    provisions the user and applies the roles of the groups claim."""

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password login whose URL happens to carry
        # `code` and `state` parameters never reaches the provider.
        if "nonce" not in kwargs or not sso_enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:  # the library's own checks (signature, nonce)
            raise SignInRefused(_plain(str(exc))) from exc

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused("The ID token is signed with an unexpected algorithm.")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=60,  # clocks a minute apart still agree
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused("The ID token has expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise SignInRefused("The ID token was issued to another application.") from exc
        except jwt.InvalidIssuerError as exc:
            raise SignInRefused("The ID token comes from another issuer.") from exc
        except jwt.InvalidTokenError as exc:  # a bad signature, a malformed token, a claim missing
            raise SignInRefused(f"The ID token is not valid: {exc}.") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused("The ID token was issued to another application.")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's over them: some providers put the
        groups only in the ID token (Entra ID), others only in userinfo. The two must be about
        the same subject (OpenID Connect Core 5.3.2)."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            raise SignInRefused("The provider's userinfo is about another subject.")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not claims.get("email"):
            raise SignInRefused("The identity provider sent no email address (scope 'email').")
        roles, staff = roles_from_claims(claims)
        with transaction.atomic():
            user = sso_user_find_or_create(
                issuer=settings.OIDC_ISSUER, claims=claims, may_create=bool(roles)
            )
            if user is not None:
                user_roles_apply(user=user, roles=roles, staff=staff)
        if not roles:
            raise SignInRefused(
                "Your identity provider account is in no group that gives a Northstar role; "
                "ask your administrator for access."
            )
        return user


def _plain(message: str) -> str:
    if "Nonce" in message:
        return "The ID token does not answer this sign-in (nonce mismatch)."
    return f"The sign-in could not be verified: {message}"
