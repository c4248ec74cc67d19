"""Reads of customers, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Customer
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from prefcenter.prepared import prepared


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    return Customer.objects.filter(tenant=tenant)


def customer_get(*, tenant: Tenant, external_id: str, for_update: bool = False) -> Customer:
    """The tenant's customer with this external id, or a 404 (another tenant's is a 404 too).

    `for_update`: read with `SELECT … FOR UPDATE` (inside the caller's transaction), so that a
    write reads the row it changes once, locked, instead of once to find it and again to lock it.
    The customer's `tenant` is the one given (the request's, read with its credential): no join.
    """
    customer = next(iter(_customer_by_external_id(tenant.pk, external_id, for_update=for_update)), None)
    if customer is None:
        raise PrefCenterError(f"Customer '{external_id}' not found.", code="not_found", status=404)
    customer.tenant = tenant
    return customer


@prepared
def _customer_by_external_id(tenant_id: int, external_id: str, *, for_update: bool) -> QuerySet[Customer]:
    queryset = Customer.objects.filter(tenant_id=tenant_id, external_id=external_id).order_by()[:1]
    return queryset.select_for_update() if for_update else queryset


@prepared
def customer_of_id(tenant_id: int, pk: int, *, for_update: bool = False) -> QuerySet[Customer]:
    """The tenant's customer with this primary key (a list of 0 or 1), compiled once: `for_update` locks it."""
    queryset = Customer.objects.filter(tenant_id=tenant_id, pk=pk).order_by()[:1]
    return queryset.select_for_update() if for_update else queryset


def customer_token_version(*, tenant: Tenant, external_id: str) -> int | None:
    """The version a customer JWT must carry (its `ver` claim): the customer's link version, which
    customer_revoke_links raises. None when the tenant has no such customer."""
    return (
        Customer.objects.filter(tenant=tenant, external_id=external_id).values_list("link_version", flat=True).first()
    )
