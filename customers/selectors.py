"""Reads of customers, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Customer
from prefcenter.exceptions import PrefCenterError
from prefcenter.lookups import unique_or_none
from prefcenter.models import Tenant


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    return Customer.objects.filter(tenant=tenant)


def customer_get(*, tenant: Tenant, external_id: str, for_update: bool = False) -> Customer:
    """The tenant's customer with this external id, or a 404 (another tenant's is a 404 too).

    `for_update`: read with `SELECT … FOR UPDATE` (inside the caller's transaction), so that a
    write reads the row it changes once, locked, instead of once to find it and again to lock it.
    The customer's `tenant` is the one given (the request's, read with its credential): no join.
    """
    queryset = Customer.objects.filter(tenant=tenant, external_id=external_id)
    if for_update:
        queryset = queryset.select_for_update()
    customer = unique_or_none(queryset)
    if customer is None:
        raise PrefCenterError(f"Customer '{external_id}' not found.", code="not_found", status=404)
    customer.tenant = tenant
    return customer


def customer_token_version(*, tenant: Tenant, external_id: str) -> int | None:
    """The version a customer JWT must carry (its `ver` claim): the customer's link version, which
    customer_revoke_links raises. None when the tenant has no such customer."""
    return (
        Customer.objects.filter(tenant=tenant, external_id=external_id).values_list("link_version", flat=True).first()
    )
