"""A tenant's logo: the service that stores it and the selector that serves it (rules: prefcenter/branding.py)."""

from __future__ import annotations

import hashlib

from django.db import transaction

from prefcenter.branding import validate_logo
from prefcenter.models import Tenant, TenantLogo


def tenant_logo_set(*, tenant: Tenant, data: bytes | None) -> Tenant:
    """Store `data` as the tenant's logo (None removes it). Refused files raise ValidationError; nothing is written.

    The logo row and the tenant's `logo_sha256` (the logo's URL, read with the tenant on every
    page at no extra query) change in one transaction.
    """
    content_type = validate_logo(data) if data is not None else None
    with transaction.atomic():
        if data is None:
            TenantLogo.objects.filter(tenant=tenant).delete()
            digest = ""
        else:
            digest = hashlib.sha256(data).hexdigest()
            TenantLogo.objects.update_or_create(
                tenant=tenant, defaults={"content_type": content_type, "data": data, "sha256": digest}
            )
        Tenant.objects.filter(pk=tenant.pk).update(logo_sha256=digest)
    tenant.logo_sha256 = digest
    return tenant


def logo_get(*, sha256: str) -> TenantLogo | None:
    """The logo with this content hash (any tenant's: the hash names the bytes, not who uploaded them)."""
    return TenantLogo.objects.filter(sha256=sha256).only("content_type", "data", "sha256").first()
