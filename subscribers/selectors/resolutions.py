"""One customer against the whole catalog: resolved workflows with their decisions (3 queries)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.models import Tenant
from subscribers.catalog import Catalog, CatalogEntry, tenant_catalog, workflow_facts
from subscribers.models import Workflow, WorkflowPreference
from subscribers.resolution import (
    GLOBAL_WORKFLOW,
    Capability,
    CustomerLayers,
    Decision,
    Toggle,
    WorkflowFacts,
    capabilities,
    resolve,
    toggleability,
)
from subscribers.selectors.layers import (
    CATEGORY_PREF_VALUES,
    WORKFLOW_PREF_VALUES,
    CustomerRows,
    _layers,
    _switches,
    category_choice,
    choice_of,
    customer_rows,
    layers_of_rows,
    switches_of,
)

# -- one customer against the whole catalog ------------------------------------------


@dataclass(frozen=True)
class ResolvedWorkflow:
    """One workflow resolved for one customer: the row, its facts, the layers and the decisions.

    `updated_at` is the workflow's `updatedAt` as the API renders it (from the catalog).
    """

    customer: Customer
    workflow: Workflow
    facts: WorkflowFacts
    layers: CustomerLayers
    decisions: dict[str, Decision]
    updated_at: str = ""

    @property
    def capabilities(self) -> dict[str, Capability]:
        return capabilities(self.facts, self.layers)

    @property
    def toggleability(self) -> dict[str, Toggle]:
        return toggleability(self.facts)


@dataclass(frozen=True)
class CustomerResolution:
    """A customer's global block (resolved as the synthetic all-channel workflow) and every workflow."""

    customer: Customer
    global_layers: CustomerLayers
    global_decisions: dict[str, Decision]
    workflows: list[ResolvedWorkflow]


SHARED_DECISIONS = 64


def row_values(row: WorkflowPreference | CategoryPreference | None, fields: tuple[str, ...]) -> tuple | None:
    """A row's rule-relevant values in the order `switches_of` / `choice_of` read them."""
    return None if row is None else tuple(getattr(row, name) for name in fields)


def _shared_key(layers: CustomerLayers, global_row, messaging_row, defaults_json: str | None = None) -> tuple:
    """What the decisions of a workflow the customer has no row for depend on (all hashable).

    `defaults_json` is `layers.tenant_defaults` already dumped (bulk callers dump it once).
    """
    return (
        layers.email_opt_out, layers.sms_opt_out, row_values(global_row, WORKFLOW_PREF_VALUES),
        row_values(messaging_row, CATEGORY_PREF_VALUES),
        defaults_json if defaults_json is not None else json.dumps(layers.tenant_defaults, sort_keys=True),
    )


@lru_cache(maxsize=SHARED_DECISIONS)
def shared_decisions(catalog: Catalog, key: tuple) -> tuple[dict[str, Decision], ...]:
    """`resolve()` of every catalog entry for the global layers `key` describes, memoized per (catalog, key).

    The layers carry no identity nor addresses (`resolve()` reads neither), so the decisions
    are those of every customer with that key; see subscribers/catalog.py. At most
    `SHARED_DECISIONS` sets per process (~0.17 MB each at 200 workflows, measured).
    """
    email_opt_out, sms_opt_out, global_values, messaging_values, tenant_defaults = key
    layers = CustomerLayers(
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        global_preference=switches_of(global_values),
        messaging_default=choice_of(messaging_values),
        tenant_defaults=json.loads(tenant_defaults),
    )
    return tuple(resolve(entry.facts, layers) for entry in catalog.entries)


def customer_resolutions(
    *, tenant: Tenant, customer: Customer, workflows: Iterable[Workflow] | None = None,
    rows: CustomerRows | None = None,
) -> CustomerResolution:
    """One customer resolved against every workflow of the tenant in 3 queries (+1 when the catalog changed).

    The catalog comes from `tenant_catalog` (subscribers/catalog.py): its revision is read
    (not in an API request: its authentication read it), its workflows only when this process
    has not seen that revision. The workflows the customer has no row for (nor for their
    category) take their decisions from the memo of `shared_decisions`; only the others are
    resolved here.

    `workflows` narrows it to these (e.g. one page; loaded with select_related("category"));
    other tenants' workflows are dropped. Then 2 queries and no memo. `rows`: every row of the
    customer, already read (`customer_rows`, e.g. by the write this answers): no query for them.
    """
    if workflows is None:
        catalog: Catalog | None = tenant_catalog(tenant)
        entries = catalog.entries
    else:
        catalog = None
        category_defaults: dict[int, dict] = {}
        entries = tuple(
            CatalogEntry.of(w, category_defaults=category_defaults) for w in workflows if w.tenant_id == tenant.pk
        )
    if rows is None:
        rows = customer_rows(tenant=tenant, customer=customer)
    preferences, categories = rows.workflows, rows.categories
    global_row, messaging_row = preferences.get(None), categories.get(None)
    global_layers = _layers(
        tenant=tenant, customer=customer, global_row=global_row, workflow_row=None, category_row=None,
        messaging_row=messaging_row,
    )
    shared = None
    if catalog is not None:
        shared = shared_decisions(catalog, _shared_key(global_layers, global_row, messaging_row))
    choices = {category_id: category_choice(row) for category_id, row in categories.items() if category_id}
    resolved = []
    for index, entry in enumerate(entries):
        workflow = entry.workflow
        workflow_row = preferences.get(workflow.pk)
        choice = choices.get(workflow.category_id) if workflow.category_id else None
        if workflow_row is None and choice is None:
            layers = global_layers
            decisions = shared[index] if shared is not None else resolve(entry.facts, layers)
        else:
            layers = replace(
                global_layers, workflow_preference=_switches(workflow_row), category_preference=choice
            )
            decisions = resolve(entry.facts, layers)
        resolved.append(
            ResolvedWorkflow(
                customer=customer, workflow=workflow, facts=entry.facts, layers=layers, decisions=decisions,
                updated_at=entry.updated_at,
            )
        )
    return CustomerResolution(
        customer=customer,
        global_layers=global_layers,
        global_decisions=resolve(GLOBAL_WORKFLOW, global_layers),
        workflows=resolved,
    )


def customer_resolution_one(
    *, tenant: Tenant, customer: Customer, workflow: Workflow, rows: CustomerRows | None = None
) -> ResolvedWorkflow:
    """One customer x one workflow: 2 queries, none given the rows (`customer_rows(workflow=…)`, e.g. read
    by the write this answers)."""
    if rows is None:
        rows = customer_rows(tenant=tenant, customer=customer, workflow=workflow)
    layers = layers_of_rows(tenant=tenant, customer=customer, workflow=workflow, rows=rows)
    facts = workflow_facts(workflow)
    decisions = resolve(facts, layers)
    return ResolvedWorkflow(customer=customer, workflow=workflow, facts=facts, layers=layers, decisions=decisions)


def workflow_preference_find(*, customer: Customer, workflow: Workflow | None) -> WorkflowPreference | None:
    """The customer's explicit row for this workflow (None = the global row), if any."""
    queryset = WorkflowPreference.objects.filter(customer=customer)
    if workflow is None:
        return queryset.filter(workflow__isnull=True).first()
    return queryset.filter(workflow=workflow).first()


