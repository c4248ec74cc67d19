"""Novu subscriber search and lookup."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Concat

from customers.models import Customer
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from prefcenter.prepared import prepared
from subscribers.novu import novu_id

# -- Novu subscriber search ----------------------------------------------------------

SEARCH_LIMIT_MAX = 100


@dataclass(frozen=True)
class SubscriberPage:
    """One page of a cursor-paginated search: `next`/`previous` are the `_id` cursors or None."""

    items: list[Customer]
    next: str | None
    previous: str | None
    total_count: int


def subscriber_search(
    *,
    queryset: QuerySet[Customer],
    after: int | None = None,
    before: int | None = None,
    limit: int = 10,
    ascending: bool = False,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    external_id: str | None = None,
) -> SubscriberPage:
    """Novu's subscriber search over the (tenant-scoped) queryset, in creation order (the key's order).

    Filters: email and phone contain the text (email case-insensitively), name is contained in the
    first, last or full name, subscriberId is exact. Cursors are `_id`s: `after` gives the page that
    follows that subscriber in the chosen order, `before` the page that precedes it. 3 queries.
    """
    if email:
        queryset = queryset.filter(email__icontains=email)
    if phone:
        queryset = queryset.filter(phone__contains=phone)
    if external_id is not None:
        queryset = queryset.filter(external_id=external_id)
    if name:
        full = Concat("first_name", Value(" "), "last_name", output_field=CharField())
        queryset = queryset.annotate(full_name=full).filter(full_name__icontains=name.strip())
    total = queryset.count()
    forward, backward = ("pk", "-pk") if ascending else ("-pk", "pk")
    if before is not None:
        window = queryset.filter(pk__lt=before) if ascending else queryset.filter(pk__gt=before)
        rows = list(window.order_by(backward)[: limit + 1])
        has_previous, has_next = len(rows) > limit, True
        items = list(reversed(rows[:limit]))
    else:
        window = queryset
        if after is not None:
            window = queryset.filter(pk__gt=after) if ascending else queryset.filter(pk__lt=after)
        rows = list(window.order_by(forward)[: limit + 1])
        has_next, has_previous = len(rows) > limit, after is not None
        items = rows[:limit]
    return SubscriberPage(
        items=items,
        next=novu_id(items[-1].pk) if items and has_next else None,
        previous=novu_id(items[0].pk) if items and has_previous else None,
        total_count=total,
    )


@prepared
def _subscriber_by_external_id(tenant_id: int, external_id: str, *, for_update: bool) -> QuerySet[Customer]:
    queryset = Customer.objects.filter(tenant_id=tenant_id, external_id=external_id)
    queryset = queryset.select_related("subscriber_profile").order_by()[:1]
    return queryset.select_for_update(of=("self",)) if for_update else queryset


def subscriber_get(*, tenant: Tenant, external_id: str, for_update: bool = False) -> Customer:
    """The tenant's customer with this subscriberId and its Novu profile (one query), or a 404.

    `for_update`: the customer row is locked (`FOR UPDATE OF` it alone, in the caller's
    transaction), for a write that serializes on the customer: it is read once. The
    customer's `tenant` is the one given (the request's): no join.
    """
    customer = next(iter(_subscriber_by_external_id(tenant.pk, external_id, for_update=for_update)), None)
    if customer is None:
        raise PrefCenterError(f"Subscriber '{external_id}' not found.", code="not_found", status=404)
    customer.tenant = tenant
    return customer


