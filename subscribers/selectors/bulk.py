"""Many customers against the whole catalog (bulk reads), and the whole tenant counted by layers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import connection

from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.models import Tenant
from subscribers.catalog import Catalog
from subscribers.models import WorkflowPreference
from subscribers.resolution import (
    GLOBAL_WORKFLOW,
    CustomerLayers,
    Decision,
    resolve,
)
from subscribers.selectors.layers import (
    _CATEGORY_PREF_VALUES,
    _WORKFLOW_PREF_VALUES,
    _layers,
    _layers_of_values,
    _switches,
    category_choice,
)
from subscribers.selectors.resolutions import (
    _shared_decisions,
    _shared_key,
    _values,
)

# -- many customers against the whole catalog ----------------------------------------


@dataclass(frozen=True)
class CustomerDecisions:
    """One customer against every workflow of a catalog: their explicit rows and the decisions.

    `decisions[i]` answers `catalog.entries[i]`. Customers with the same global layers and no
    row for a workflow (nor its category) share the very same decision objects (the memo of
    `_shared_decisions`), so a caller may memoize what it derives from them by identity.
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
            shared = _shared_decisions(catalog, key)
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
                memo_key = (key, index, _values(workflow_row, _WORKFLOW_PREF_VALUES),
                            _values(category_row, _CATEGORY_PREF_VALUES))
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


# -- the whole tenant, counted -------------------------------------------------------


@dataclass(frozen=True)
class LayerCounts:
    """How many of a tenant's customers share each set of layers (for tenant-wide rates).

    `global_groups`: (layers, count) by the customer's opt-outs, global switch row and messaging
    default (no workflow or category row): what `resolve(GLOBAL_WORKFLOW, …)` reads.
    `category_groups[category_id]`: the same plus the customer's preference for that category
    (None where they have none), covering every customer. `customers` is their total.
    """

    customers: int
    global_groups: list[tuple[CustomerLayers, int]]
    category_groups: dict[int, list[tuple[CustomerLayers, int]]]


def layer_counts(*, tenant: Tenant, category_ids: Iterable[int]) -> LayerCounts:
    """Every customer of the tenant, grouped by the layers the rules read, in 2 grouped queries.

    The counting is done by the database (GROUP BY over the customers left-joined to their
    global rows, then over the category rows); Python sees one row per distinct combination,
    a handful for most tenants, so the cost is the two scans whatever the number of customers.
    """
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    workflow_prefs = quote(WorkflowPreference._meta.db_table)
    category_prefs = quote(CategoryPreference._meta.db_table)

    def columns(alias: str, names: tuple[str, ...]) -> list[str]:
        return [f"{alias}.id IS NOT NULL", *(f"{alias}.{quote(name)}" for name in names)]

    base = [
        "c.email_opt_out", "c.sms_opt_out", *columns("g", _WORKFLOW_PREF_VALUES), *columns("m", _CATEGORY_PREF_VALUES)
    ]
    joins = (
        f"LEFT JOIN {workflow_prefs} g ON g.customer_id = c.id AND g.workflow_id IS NULL "
        f"LEFT JOIN {category_prefs} m ON m.customer_id = c.id AND m.category_id IS NULL "
    )
    grouped = ", ".join(str(i + 1) for i in range(len(base)))
    tenant_defaults = dict(tenant.channel_defaults or {})
    no_workflow_row = (False, *([None] * len(_WORKFLOW_PREF_VALUES)))
    no_category_row = (False, *([None] * len(_CATEGORY_PREF_VALUES)))

    def layers_of(values: tuple, category_row: tuple = no_category_row) -> CustomerLayers:
        opt_outs, global_row, messaging_row = values[:2], values[2:9], values[9:]
        return _layers_of_values((*opt_outs, *global_row, *no_workflow_row, *category_row, *messaging_row),
                                 tenant_defaults)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(base)}, COUNT(*) FROM {customers} c {joins}WHERE c.tenant_id = %s GROUP BY {grouped}",
            [tenant.pk],
        )
        base_counts = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
        wanted = list(category_ids)
        category_rows: list[tuple] = []
        if wanted:
            values = [f"k.{quote(name)}" for name in _CATEGORY_PREF_VALUES]
            cursor.execute(
                f"SELECT k.category_id, {', '.join(base)}, {', '.join(values)}, COUNT(*) "
                f"FROM {category_prefs} k JOIN {customers} c ON c.id = k.customer_id {joins}"
                f"WHERE k.tenant_id = %s AND c.tenant_id = %s AND k.category_id IS NOT NULL "
                f"GROUP BY {', '.join(str(i + 1) for i in range(1 + len(base) + len(values)))}",
                [tenant.pk, tenant.pk],
            )
            category_rows = cursor.fetchall()
    width = len(base)
    global_layers = {key: layers_of(key) for key in base_counts}
    category_groups: dict[int, list[tuple[CustomerLayers, int]]] = {}
    for category_id in wanted:
        remaining = dict(base_counts)
        groups = []
        for row in category_rows:
            if row[0] != category_id:
                continue
            key, own, count = tuple(row[1 : 1 + width]), tuple(row[1 + width : -1]), row[-1]
            remaining[key] -= count
            groups.append((layers_of(key, (True, *own)), count))
        groups.extend((global_layers[key], count) for key, count in remaining.items() if count)
        category_groups[category_id] = groups
    return LayerCounts(
        customers=sum(base_counts.values()),
        global_groups=[(global_layers[key], count) for key, count in base_counts.items()],
        category_groups=category_groups,
    )
