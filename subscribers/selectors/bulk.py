"""Many customers against the whole catalog (bulk reads), and the whole tenant counted by layers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.models import Tenant
from subscribers.catalog import Catalog
from subscribers.models import WorkflowPreference
from subscribers.resolution import (
    GLOBAL_WORKFLOW,
    Decision,
    resolve,
)
from subscribers.selectors.layers import (
    CATEGORY_PREF_VALUES,
    WORKFLOW_PREF_VALUES,
    _layers,
    _switches,
    category_choice,
)
from subscribers.selectors.resolutions import (
    _shared_key,
    row_values,
    shared_decisions,
)

# -- many customers against the whole catalog ----------------------------------------


@dataclass(frozen=True)
class CustomerDecisions:
    """One customer against every workflow of a catalog: their explicit rows and the decisions.

    `decisions[i]` answers `catalog.entries[i]`. Customers with the same global layers and no
    row for a workflow (nor its category) share the very same decision objects (the memo of
    `shared_decisions`), so a caller may memoize what it derives from them by identity.
    """

    customer: Customer
    workflow_rows: tuple[WorkflowPreference, ...]
    category_rows: tuple[CategoryPreference, ...]
    global_decisions: dict[str, Decision]
    decisions: tuple[dict[str, Decision], ...]


def customers_decisions(
    *, tenant: Tenant, customers: Iterable[Customer], catalog: Catalog, memo: dict | None = None
) -> list[CustomerDecisions]:
    """Many customers (one chunk) x every workflow of `catalog`, in 2 queries whatever their number.

    The set-based twin of `customer_resolutions` for bulk reads (the staff console's CSV export):
    the same layers, the same shared memo, the same `resolve()`. A workflow the customer has a
    row for (or for its category) is resolved with those rows; its decisions depend only on the
    global key and the two rows' values, so `memo` (a dict the caller keeps across chunks, and
    bounds: it is cleared past `BULK_MEMO` entries) reuses them across customers with equal
    choices. Category rows come with their category (select_related) so callers can name them.
    Other tenants' customers are dropped.
    """
    customers = [c for c in customers if c.tenant_id == tenant.pk]
    ids = [c.pk for c in customers]
    if not ids:
        return []
    memo = {} if memo is None else memo
    # Whole-catalog sets live apart from the single-workflow ones, which are dropped when too many.
    shared_memo: dict[tuple, tuple] = memo.setdefault("shared", {})
    workflow_rows: dict[int, list[WorkflowPreference]] = {}
    for row in WorkflowPreference.objects.filter(tenant=tenant, customer_id__in=ids).order_by("id"):
        workflow_rows.setdefault(row.customer_id, []).append(row)
    category_rows: dict[int, list[CategoryPreference]] = {}
    for row in (
        CategoryPreference.objects.filter(tenant=tenant, customer_id__in=ids).select_related("category").order_by("id")
    ):
        category_rows.setdefault(row.customer_id, []).append(row)
    index_of_workflow = {entry.workflow.pk: index for index, entry in enumerate(catalog.entries)}
    indexes_of_category: dict[int, list[int]] = {}
    for index, entry in enumerate(catalog.entries):
        if entry.workflow.category_id:
            indexes_of_category.setdefault(entry.workflow.category_id, []).append(index)
    defaults_json = json.dumps(dict(tenant.channel_defaults or {}), sort_keys=True)
    answers = []
    for customer in customers:
        own_workflows = {row.workflow_id: row for row in workflow_rows.get(customer.pk, ())}
        own_categories = {row.category_id: row for row in category_rows.get(customer.pk, ())}
        global_row, messaging_row = own_workflows.get(None), own_categories.get(None)
        global_layers = _layers(
            tenant=tenant, customer=customer, global_row=global_row, workflow_row=None, category_row=None,
            messaging_row=messaging_row,
        )
        key = _shared_key(global_layers, global_row, messaging_row, defaults_json)
        # The process-wide memo keeps SHARED_DECISIONS keys, fewer than a tenant's customers may have:
        # the caller's memo keeps up to BULK_SHARED more, so a bulk read neither thrashes nor evicts it.
        shared = shared_memo.get(key)
        if shared is None:
            shared = shared_decisions(catalog, key)
            if len(shared_memo) < BULK_SHARED:
                shared_memo[key] = shared
        global_decisions = memo.get((key, "*"))
        if global_decisions is None:
            global_decisions = memo[(key, "*")] = resolve(GLOBAL_WORKFLOW, global_layers)
        touched = {index_of_workflow[w] for w in own_workflows if w is not None and w in index_of_workflow}
        for category_id in own_categories:
            if category_id is not None:
                touched.update(indexes_of_category.get(category_id, ()))
        decisions = shared
        if touched:
            mixed = list(shared)
            for index in touched:
                entry = catalog.entries[index]
                workflow = entry.workflow
                workflow_row = own_workflows.get(workflow.pk)
                category_row = own_categories.get(workflow.category_id) if workflow.category_id else None
                memo_key = (key, index, row_values(workflow_row, WORKFLOW_PREF_VALUES),
                            row_values(category_row, CATEGORY_PREF_VALUES))
                answer = memo.get(memo_key)
                if answer is None:
                    layers = replace(
                        global_layers, workflow_preference=_switches(workflow_row),
                        category_preference=category_choice(category_row),
                    )
                    answer = memo[memo_key] = resolve(entry.facts, layers)
                mixed[index] = answer
            decisions = tuple(mixed)
        if len(memo) > BULK_MEMO:
            memo.clear()
            memo["shared"] = shared_memo
        answers.append(
            CustomerDecisions(
                customer=customer,
                workflow_rows=tuple(workflow_rows.get(customer.pk, ())),
                category_rows=tuple(category_rows.get(customer.pk, ())),
                global_decisions=global_decisions,
                decisions=decisions,
            )
        )
    return answers


# A bulk caller's memo: at most BULK_MEMO single-workflow decision sets (~1 KB each) and BULK_SHARED
# whole-catalog sets (~0.17 MB each at 200 workflows): a few tens of MB whatever the number of customers.
BULK_MEMO = 20_000
BULK_SHARED = 128
