"""Builders for test data: plain functions with sensible defaults, one per model, and the only ones.

Catalog rows (categories, workflows) and messaging choices go through the services, so they are valid
and look like what the API writes. `raw=True` (and `make_workflow_preference`, always) writes the row
alone with the ORM: no validation, no ledger event, for worlds that need states the services refuse
(an opt-out kept in a category made mandatory later) or stored choices without history.
"""

from __future__ import annotations

import itertools
from typing import Any

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from messaging.services import category_create, category_preference_set
from prefcenter.authentication import mint_customer_token
from prefcenter.channels import CHANNELS
from prefcenter.credentials import api_key_create
from prefcenter.ledger import Actor
from prefcenter.models import SCOPES, ApiKey, Tenant
from subscribers.models import Workflow, WorkflowPreference
from subscribers.services.catalog import workflow_create

_seq = itertools.count(1)
SYSTEM = Actor.system("test")


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


def make_category(tenant: Tenant, key: str | None = None, *, raw: bool = False, **fields: Any) -> Category:
    """A messaging category through `category_create` (`raw`: the row alone); the name defaults to the key
    in title case."""
    key = key or f"category-{next(_seq)}"
    name = fields.pop("name", key.replace("-", " ").title())
    if raw:
        return Category.objects.create(tenant=tenant, key=key, name=name, **fields)
    return category_create(tenant=tenant, key=key, name=name, **fields)


def make_workflow(tenant: Tenant, identifier: str | None = None, **fields: Any) -> Workflow:
    """A workflow through `workflow_create`: every channel, slug = identifier, name from the identifier."""
    identifier = identifier or f"workflow-{next(_seq)}"
    fields.setdefault("name", identifier.replace("-", " ").title())
    fields.setdefault("slug", identifier)
    fields.setdefault("channels", list(CHANNELS))
    return workflow_create(tenant=tenant, actor=fields.pop("actor", SYSTEM), identifier=identifier, **fields)


def make_category_preference(
    customer: Customer,
    category: Category | None = None,
    *,
    actor: Actor = SYSTEM,
    raw: bool = False,
    **values: Any,
) -> CategoryPreference:
    """The customer's messaging choice for `category` (None: their global default): every channel on and an
    instant digest unless given. Through `category_preference_set` (validated, with its ledger events);
    `raw`: the row alone."""
    full = {"in_app_enabled": True, "email_enabled": True, "push_enabled": True, "digest": "instant", **values}
    if raw:
        return CategoryPreference.objects.create(tenant=customer.tenant, customer=customer, category=category, **full)
    preference, _changed = category_preference_set(
        tenant=customer.tenant, customer=customer, category=category, actor=actor, **full
    )
    return preference


def make_workflow_preference(customer: Customer, workflow: Workflow | None = None, **fields: Any) -> WorkflowPreference:
    """The customer's stored Novu/TeamUp switches for `workflow` (None: their global one), the row alone
    (every switch unset, i.e. inherit, unless given)."""
    return WorkflowPreference.objects.create(tenant=customer.tenant, customer=customer, workflow=workflow, **fields)
