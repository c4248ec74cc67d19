"""Issuing credentials (used by the management commands and the demo loader)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from prefcenter.ledger import ErasedCustomer
from prefcenter.models import SCOPES, ApiKey, Tenant, new_jwt_secret


def parse_scopes(value: str) -> list[str]:
    """`all` or a comma-separated list of known scopes; an unknown scope is an error."""
    if value.strip() == "all":
        return list(SCOPES)
    scopes = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(SCOPES)}.")
    if not scopes:
        raise ValueError("Give at least one scope, or 'all'.")
    return scopes


def api_key_create(
    *,
    tenant: Tenant | None,
    scopes: list[str],
    allow_provider: bool = True,
    allow_customer: bool = False,
    customer_external_id: str = "",
    name: str = "",
    expires_at: datetime | None = None,
    raw_key: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its raw secret (returned once, never stored). `raw_key` fixes the secret (demo data only)."""
    if allow_customer and not customer_external_id:
        raise ValueError("A key that allows customer mode must be bound to a customer (--customer).")
    raw, prefix, key_hash = ApiKey.generate()
    if raw_key is not None:
        raw, (prefix, key_hash) = raw_key, ApiKey.derive(raw_key)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            tenant=tenant,
            prefix=prefix,
            key_hash=key_hash,
            scopes=scopes,
            allow_provider=allow_provider,
            allow_customer=allow_customer,
            customer_external_id=customer_external_id,
            expires_at=expires_at,
        )
    return key, raw


def tenant_jwt_secret_rotate(*, tenant: Tenant) -> str:
    """Give the tenant a new random `jwt_secret` and return it: every customer JWT signed with the
    old one stops working at once (a leaked secret, or all of a tenant's tokens to end)."""
    secret = new_jwt_secret()
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(jwt_secret=secret)
    tenant.jwt_secret = secret
    return secret


def api_keys_forget(erased: ErasedCustomer) -> int:
    """Erasure listener (prefcenter/ledger.py): API keys bound to the erased customer are revoked and name
    the pseudonym instead (their names scrubbed), in the erasure's transaction; the key rows stay for audit."""
    keys = list(ApiKey.objects.filter(tenant=erased.tenant, customer_external_id=erased.external_id))
    now = timezone.now()
    for key in keys:
        key.customer_external_id = erased.pseudonym
        key.name = erased.scrub(key.name)
        key.revoked_at = key.revoked_at or now
    if keys:
        ApiKey.objects.bulk_update(keys, ["customer_external_id", "name", "revoked_at"])
    return len(keys)
