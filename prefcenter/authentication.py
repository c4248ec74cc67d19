"""One authentication class for every API route.

Accepted `Authorization` schemes:
- `Token <api key>`  (TeamUp)
- `ApiKey <api key>` (Novu)
- `Bearer <api key>`
- `Bearer <JWT>`: a customer token, HS256-signed with the tenant's `jwt_secret`,
  `sub` = the customer's external id, `exp` required, `tenant` = the tenant's slug
  (or the tenant named in a `TeamUp-Provider-ID`/`reach-tenant-id` header). Customer mode only.

A customer token is also refused when
- it lives longer than PREFCENTER_CUSTOMER_TOKEN_MAX_TTL: `exp - iat` (`exp - now` without
  `iat`) above it. A leaked token must not stay good for a century.
- it was revoked: its `ver` claim (absent = 1, every customer's first version) is not the
  customer's current token version (`Customer.link_version`, raised by
  customers.services.customer_revoke_links together with every self-service link).
  Rotating the tenant's `jwt_secret` (`rotate_jwt_secret`) ends every token of the tenant.

Anything missing, malformed, unknown, revoked or expired is a 401 with `WWW-Authenticate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import jwt
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework import authentication, exceptions

from prefcenter.ids import row_id
from prefcenter.models import CUSTOMER_SCOPES, MODE_CUSTOMER, SCOPES, ApiKey, Tenant, hash_key
from prefcenter.prepared import prepared

KEY_SCHEMES = {"token", "apikey", "bearer"}
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Credential:
    """What the caller proved: a tenant (or none for platform keys), scopes, modes, maybe a customer."""

    kind: str
    label: str
    tenant: Tenant | None
    scopes: frozenset[str]
    modes: frozenset[str]
    customer_external_id: str = ""
    api_key_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    is_authenticated = True
    is_anonymous = False

    @property
    def is_platform(self) -> bool:
        return self.tenant is None

    @property
    def identity(self) -> str:
        """Who is calling, as one string: an API key by its id, a customer token by its tenant and `sub`.

        The one definition the throttle (one bucket per identity) and idempotency keys (scoped
        per identity) share: two customers' tokens, even of two tenants with equal `sub`s, differ.
        """
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        tenant_id = self.tenant.pk if self.tenant is not None else ""
        return f"jwt:{tenant_id}:{self.customer_external_id}"

    def __str__(self) -> str:
        return self.label


def tenant_header(request) -> str:
    meta = request.META
    return (meta.get("HTTP_TEAMUP_PROVIDER_ID") or meta.get("HTTP_REACH_TENANT_ID") or "").strip()


def read_with_request(tenant: Tenant | None) -> Tenant | None:
    """Mark a tenant row read at the start of this request, with its credential: readers that need its
    freshest columns (the catalog revision, subscribers/catalog.py) need not read it again."""
    if tenant is not None:
        tenant.read_with_request = True
    return tenant


def find_tenant(value: str) -> Tenant | None:
    """A tenant by slug or integer id, as the tenant headers name it."""
    if not value:
        return None
    tenant = Tenant.objects.filter(slug=value).first()
    if tenant is None and (pk := row_id(value)) is not None:
        tenant = Tenant.objects.filter(pk=pk).first()
    return read_with_request(tenant)


@prepared
def _key_with_tenant(key_hash: str):
    return ApiKey.objects.select_related("tenant").filter(key_hash=key_hash).order_by()[:1]


def api_key_of(raw: str) -> ApiKey | None:
    """The stored API key a raw key names, with its tenant (one statement, compiled once), or None.
    Whether it may be used (revoked, expired) is the caller's check."""
    return next(iter(_key_with_tenant(hash_key(raw))), None)


class PrefCenterAuthentication(authentication.BaseAuthentication):
    www_authenticate_realm = "prefcenter"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").strip()
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() not in KEY_SCHEMES or not token or " " in token:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header. Use 'Token <key>', 'ApiKey <key>' or 'Bearer <key or JWT>'."
            )
        if scheme.lower() == "bearer" and token.count(".") == 2:
            credential = self._from_jwt(request, token)
        else:
            credential = self._from_key(token)
        return credential, credential

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}", Token, ApiKey'

    def _from_key(self, raw: str) -> Credential:
        key = api_key_of(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if key.expires_at is not None and key.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return Credential(
            kind="api_key",
            label=f"api_key:{key.prefix}",
            tenant=read_with_request(key.tenant),
            scopes=frozenset(s for s in key.scopes if s in SCOPES),
            modes=key.modes,
            customer_external_id=key.customer_external_id,
            api_key_id=key.pk,
        )

    def _from_jwt(self, request, token: str) -> Credential:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        tenant = find_tenant(str(unverified.get("tenant") or "")) or find_tenant(tenant_header(request))
        if tenant is None:
            raise exceptions.AuthenticationFailed("Token does not name a known tenant.")
        try:
            claims = jwt.decode(
                token, tenant.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}, leeway=5
            )
        except jwt.ExpiredSignatureError as exc:
            raise exceptions.AuthenticationFailed("Token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise exceptions.AuthenticationFailed(f"Invalid token: {exc}.") from exc
        self._check_lifetime(claims)
        self._check_version(tenant, claims)
        requested = claims.get("scope")
        scopes = frozenset(CUSTOMER_SCOPES)
        if isinstance(requested, str):
            scopes = scopes & frozenset(requested.split())
        return Credential(
            kind="jwt",
            label=f"customer:{claims['sub']}",
            tenant=tenant,
            scopes=scopes,
            modes=frozenset({MODE_CUSTOMER}),
            customer_external_id=str(claims["sub"]),
        )

    @staticmethod
    def _check_lifetime(claims: dict) -> None:
        limit = max_token_lifetime()
        start = claims.get("iat", timezone.now().timestamp())
        if not isinstance(start, (int, float)) or claims["exp"] - start > limit:
            raise exceptions.AuthenticationFailed(f"Token lifetime exceeds the maximum of {limit} seconds.")

    @staticmethod
    def _check_version(tenant: Tenant, claims: dict) -> None:
        version = claims.get("ver", 1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise exceptions.AuthenticationFailed("Invalid token: the ver claim must be an integer.")
        if version != (customer_token_version(tenant=tenant, external_id=str(claims["sub"])) or 1):
            raise exceptions.AuthenticationFailed("This token has been revoked.")


def max_token_lifetime() -> int:
    return int(settings.PREFCENTER_CUSTOMER_TOKEN_MAX_TTL)


@cache
def _token_version_reader() -> Callable[..., int | None]:
    return import_string(settings.PREFCENTER_CUSTOMER_TOKEN_VERSION)


def customer_token_version(*, tenant: Tenant, external_id: str) -> int | None:
    """The customer's current token version, or None for no such customer.

    The customers app answers (the callable named by PREFCENTER_CUSTOMER_TOKEN_VERSION):
    this foundation module never imports an app above it.
    """
    return _token_version_reader()(tenant=tenant, external_id=external_id)


def mint_customer_token(*, tenant: Tenant, external_id: str, ttl_seconds: int = 3600, scope: str | None = None) -> str:
    """A customer-mode JWT for one customer of one tenant, carrying the customer's current token version.

    A lifetime above PREFCENTER_CUSTOMER_TOKEN_MAX_TTL is refused (ValueError): authentication would refuse the token.
    """
    limit = max_token_lifetime()
    if ttl_seconds > limit:
        raise ValueError(
            f"A customer token may live at most {limit} seconds (PREFCENTER_CUSTOMER_TOKEN_MAX_TTL), not {ttl_seconds}."
        )
    now = timezone.now()
    claims = {
        "sub": external_id,
        "tenant": tenant.slug,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "ver": customer_token_version(tenant=tenant, external_id=external_id) or 1,
    }
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, tenant.jwt_secret, algorithm="HS256")
