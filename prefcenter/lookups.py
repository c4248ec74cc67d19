"""Reading the one row a unique lookup names, without sorting anything.

`QuerySet.first()` orders by the model's `Meta.ordering` (or the primary key) before taking one
row. For a lookup by a unique key (an API key's hash, a customer's external id in a tenant) there
is nothing to sort, and compiling the ORDER BY is a tenth of a write's CPU time on the hot paths
(docs/bench.md, issue 16). `unique_or_none` asks for `LIMIT 1` alone.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a queryset filtered by a unique key, or None (no ORDER BY; LIMIT 1)."""
    return next(iter(queryset.order_by()[:1]), None)
