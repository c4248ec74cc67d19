"""Builders for test data: plain functions with sensible defaults, one per model."""

from __future__ import annotations

import itertools
from typing import Any

from customers.models import Customer
from prefcenter.authentication import mint_customer_token
from prefcenter.credentials import api_key_create
from prefcenter.models import SCOPES, ApiKey, Tenant

_seq = itertools.count(1)


def make_tenant(slug: str | None = None, **fields: Any) -> Tenant:
    n = next(_seq)
    slug = slug or f"tenant-{n}"
    return Tenant.objects.create(slug=slug, name=fields.pop("name", slug.title()), **fields)


def make_customer(tenant: Tenant, external_id: str | None = None, **fields: Any) -> Customer:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "email": f"person{n}@example.com",
        "first_name": "Person",
        "last_name": str(n),
    }
    defaults.update(fields)
    return Customer.objects.create(tenant=tenant, external_id=external_id or f"cust-{n}", **defaults)


def make_api_key(
    tenant: Tenant | None,
    *,
    scopes: list[str] | tuple[str, ...] = SCOPES,
    mode: str = "provider",
    customer: str = "",
    **fields: Any,
) -> tuple[ApiKey, str]:
    return api_key_create(
        tenant=tenant,
        scopes=list(scopes),
        allow_provider=mode in ("provider", "both"),
        allow_customer=mode in ("customer", "both"),
        customer_external_id=customer,
        **fields,
    )


def make_customer_token(tenant: Tenant, external_id: str, **kwargs: Any) -> str:
    return mint_customer_token(tenant=tenant, external_id=external_id, **kwargs)
