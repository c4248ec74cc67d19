"""Reads of the category catalog and of category preferences, always scoped to one tenant."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from customers.models import Customer
from messaging.models import CHANNEL_COLUMNS, Category, CategoryPreference
from prefcenter.channels import DIGEST_INSTANT
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from prefcenter.prepared import prepared

# The query value that names the global default row where a category key is expected
# (`?category=null`); category keys may therefore not be "null".
GLOBAL_CATEGORY = "null"


def category_list(*, tenant: Tenant) -> QuerySet[Category]:
    return Category.objects.filter(tenant=tenant)


@prepared
def _category_by_key(tenant_id: int, key: str) -> QuerySet[Category]:
    return Category.objects.filter(tenant_id=tenant_id, key=key).order_by()[:1]


def category_get(*, tenant: Tenant, key: str) -> Category:
    """The tenant's category with this key, or a 404 (another tenant's category is a 404 too)."""
    found = _category_by_key(tenant.pk, key)
    category = found[0] if found else None
    if category is None:
        raise PrefCenterError(
            f"Category '{key}' not found. List the catalog with GET /v1/messaging/categories.",
            code="not_found",
            status=404,
            errors={"category": [f"No category with key '{key}' in this tenant."]},
        )
    return category


def category_get_or_global(*, tenant: Tenant, key: str | None) -> Category | None:
    """A category by key; None, "" and "null" name the caller's global default (no category)."""
    if key is None or key in ("", GLOBAL_CATEGORY):
        return None
    return category_get(tenant=tenant, key=key)


def category_preference_list(
    *, tenant: Tenant, customer: Customer, category: Category | None = None, only_global: bool = False
) -> QuerySet[CategoryPreference]:
    """One customer's explicit choices, global default included; optionally one category or the global row only.

    The category is joined so that the key and the expanded category cost no extra query.
    """
    queryset = CategoryPreference.objects.filter(tenant=tenant, customer=customer).select_related("category")
    if only_global:
        return queryset.filter(category__isnull=True)
    if category is not None:
        return queryset.filter(category=category)
    return queryset


def category_preference_get(*, tenant: Tenant, customer: Customer, public_id: str) -> CategoryPreference:
    """One of this customer's preferences by its public id; anyone else's (or a malformed id) is a 404."""
    try:
        parsed = uuid.UUID(str(public_id))
    except ValueError:
        parsed = None
    preference = (
        category_preference_list(tenant=tenant, customer=customer).filter(public_id=parsed).first() if parsed else None
    )
    if preference is None:
        raise PrefCenterError(f"Preference '{public_id}' not found.", code="not_found", status=404)
    return preference


def category_preference_find(*, customer: Customer, category: Category | None) -> CategoryPreference | None:
    """The customer's row for this category (None = the global row), if they chose one."""
    queryset = CategoryPreference.objects.filter(customer=customer).select_related("category")
    if category is None:
        return queryset.filter(category__isnull=True).first()
    return queryset.filter(category=category).first()


def category_preference_defaults(*, tenant: Tenant, category: Category | None) -> dict[str, bool | str]:
    """What a PUT stores for a field it omits (PUT replaces the whole preference).

    Each channel switch takes the category's default for that channel; for the global
    default (no category), the tenant's channel default (true unless the tenant said
    otherwise). `digest` takes `instant`, as the messaging contract documents, whatever
    the category's default digest.
    """
    if category is not None:
        defaults = category.channel_defaults()
    else:
        channel_defaults = tenant.channel_defaults or {}
        defaults = {channel: bool(channel_defaults.get(channel, True)) for channel in CHANNEL_COLUMNS}
    return {**{CHANNEL_COLUMNS[channel]: value for channel, value in defaults.items()}, "digest": DIGEST_INSTANT}
