"""Reads of the workflow catalog and the set-based loader that feeds the resolution rules.

The loader gathers every layer `resolve()` reads (subscribers/resolution.py) in a fixed
number of queries, whatever the number of customers or workflows:

- `resolution_layers(tenant=, workflow=, customers=)`: N customers x one workflow —
  2 queries (workflow preferences, category preferences) given customer objects,
  +1 if `customers` is an unevaluated queryset. For the evaluation API and bulk sends.
- `customer_resolutions(tenant=, customer=)`: one customer x every workflow of the
  tenant — 3 queries (workflows with their categories, workflow preferences, category
  preferences). For the Novu GET, the TeamUp face and the self-service page.

Nothing here decides anything: it only turns rows into the plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS, EMAIL, IN_APP, PUSH
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from subscribers.models import Workflow, WorkflowPreference
from subscribers.resolution import (
    GLOBAL_WORKFLOW,
    Capability,
    CategoryChoice,
    CustomerLayers,
    Decision,
    Switches,
    Toggle,
    WorkflowFacts,
    capabilities,
    resolve,
    toggleability,
)

# -- the catalog ---------------------------------------------------------------------


def workflow_list(*, tenant: Tenant) -> QuerySet[Workflow]:
    return Workflow.objects.filter(tenant=tenant).select_related("category")


def workflows_by_ref(*, tenant: Tenant, refs: Iterable[str], allow_id: bool = False) -> dict[str, Workflow]:
    """Workflows named by identifier, else slug, else (with `allow_id`) integer id, in one query.

    Unknown refs are absent from the answer. An identifier wins over a slug, a slug over an id.
    """
    refs = [str(ref) for ref in refs]
    if not refs:
        return {}
    ids = [int(ref) for ref in refs if allow_id and ref.isdigit() and len(ref) < 19]
    rows = list(
        workflow_list(tenant=tenant).filter(Q(identifier__in=refs) | Q(slug__in=refs) | Q(pk__in=ids))
    )
    by_identifier = {w.identifier: w for w in rows}
    by_slug = {w.slug: w for w in rows}
    by_id = {str(w.pk): w for w in rows} if allow_id else {}
    found = {}
    for ref in refs:
        workflow = by_identifier.get(ref) or by_slug.get(ref) or by_id.get(ref)
        if workflow is not None:
            found[ref] = workflow
    return found


def workflow_find(*, tenant: Tenant, ref: str, allow_id: bool = False) -> Workflow | None:
    """A workflow by identifier, else slug, else (with `allow_id`) integer id, in one query."""
    return workflows_by_ref(tenant=tenant, refs=[ref], allow_id=allow_id).get(str(ref))


def workflow_get(*, tenant: Tenant, ref: str, allow_id: bool = False, field: str = "workflowId") -> Workflow:
    """The tenant's workflow by identifier or slug (or id), or a 404 naming the field."""
    workflow = workflow_find(tenant=tenant, ref=ref, allow_id=allow_id)
    if workflow is None:
        raise PrefCenterError(
            f"Workflow '{ref}' not found.", code="not_found", status=404,
            errors={field: [f"No workflow with identifier or slug '{ref}' in this tenant."]},
        )
    return workflow


def workflow_matches(workflow: Workflow, *, tags: Iterable[str] = (), category: str | None = None) -> bool:
    """Filter used by list endpoints: every tag in `tags` (any of them matches) and the category key."""
    tags = [t for t in tags if t]
    if tags and not set(tags) & set(workflow.tags or []):
        return False
    return not (category is not None and (workflow.category.key if workflow.category_id else None) != category)


# -- rows → plain data ---------------------------------------------------------------


def workflow_facts(workflow: Workflow) -> WorkflowFacts:
    """The catalog facts of one workflow (its category must be loaded: select_related("category"))."""
    category: Category | None = workflow.category if workflow.category_id else None
    return WorkflowFacts(
        id=workflow.pk,
        identifier=workflow.identifier,
        channels=frozenset(c for c in (workflow.channels or []) if c in CHANNELS),
        critical=workflow.critical,
        defaults=dict(workflow.defaults or {}),
        category_key=category.key if category else None,
        category_mandatory=bool(category and category.mandatory),
        category_defaults=(
            {IN_APP: category.default_in_app, EMAIL: category.default_email, PUSH: category.default_push}
            if category else {}
        ),
        category_default_digest=category.default_digest if category else None,
    )


def _switches(row: WorkflowPreference | None) -> Switches | None:
    if row is None:
        return None
    return Switches(enabled=row.enabled, channels=row.channel_values())


def _category_choice(row: CategoryPreference | None) -> CategoryChoice | None:
    if row is None:
        return None
    return CategoryChoice(
        channels={IN_APP: row.in_app_enabled, EMAIL: row.email_enabled, PUSH: row.push_enabled}, digest=row.digest
    )


def _layers(
    *,
    tenant: Tenant,
    customer: Customer,
    global_row: WorkflowPreference | None,
    workflow_row: WorkflowPreference | None,
    category_row: CategoryPreference | None,
    messaging_row: CategoryPreference | None,
) -> CustomerLayers:
    return CustomerLayers(
        customer_id=customer.pk,
        external_id=customer.external_id,
        email_opt_out=customer.email_opt_out,
        sms_opt_out=customer.sms_opt_out,
        has_email=bool(customer.email),
        has_phone=bool(customer.phone),
        global_preference=_switches(global_row),
        workflow_preference=_switches(workflow_row),
        category_preference=_category_choice(category_row),
        messaging_default=_category_choice(messaging_row),
        tenant_defaults=dict(tenant.channel_defaults or {}),
    )


def resolution_layers(
    *, tenant: Tenant, workflow: Workflow, customers: Iterable[Customer]
) -> dict[int, CustomerLayers]:
    """Every layer for N customers and one workflow, keyed by customer id, in 2 queries (+1 for a queryset)."""
    customers = [c for c in customers if c.tenant_id == tenant.pk]
    ids = [c.pk for c in customers]
    if not ids:
        return {}
    workflow_rows: dict[tuple[int, int | None], WorkflowPreference] = {
        (row.customer_id, row.workflow_id): row
        for row in WorkflowPreference.objects.filter(tenant=tenant, customer_id__in=ids).filter(
            Q(workflow__isnull=True) | Q(workflow=workflow)
        )
    }
    category_filter = Q(category__isnull=True)
    if workflow.category_id:
        category_filter |= Q(category_id=workflow.category_id)
    category_rows: dict[tuple[int, int | None], CategoryPreference] = {
        (row.customer_id, row.category_id): row
        for row in CategoryPreference.objects.filter(tenant=tenant, customer_id__in=ids).filter(category_filter)
    }
    return {
        c.pk: _layers(
            tenant=tenant,
            customer=c,
            global_row=workflow_rows.get((c.pk, None)),
            workflow_row=workflow_rows.get((c.pk, workflow.pk)),
            category_row=category_rows.get((c.pk, workflow.category_id)) if workflow.category_id else None,
            messaging_row=category_rows.get((c.pk, None)),
        )
        for c in customers
    }


# -- one customer against the whole catalog ------------------------------------------


@dataclass(frozen=True)
class ResolvedWorkflow:
    """One workflow resolved for one customer: the row, its facts, the layers and the decisions."""

    customer: Customer
    workflow: Workflow
    facts: WorkflowFacts
    layers: CustomerLayers
    decisions: dict[str, Decision]

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


def customer_resolutions(
    *, tenant: Tenant, customer: Customer, workflows: Iterable[Workflow] | None = None
) -> CustomerResolution:
    """One customer resolved against every workflow of the tenant in 3 queries.

    `workflows` narrows it to these (e.g. one page; loaded with select_related("category"));
    other tenants' workflows are dropped. Then 2 queries.
    """
    rows = workflow_list(tenant=tenant) if workflows is None else workflows
    workflow_rows = [w for w in rows if w.tenant_id == tenant.pk]
    preferences = {
        row.workflow_id: row for row in WorkflowPreference.objects.filter(tenant=tenant, customer=customer)
    }
    categories = {row.category_id: row for row in CategoryPreference.objects.filter(tenant=tenant, customer=customer)}
    global_row = preferences.get(None)
    messaging_row = categories.get(None)
    global_layers = _layers(
        tenant=tenant, customer=customer, global_row=global_row, workflow_row=None, category_row=None,
        messaging_row=messaging_row,
    )
    resolved = []
    for workflow in workflow_rows:
        facts = workflow_facts(workflow)
        layers = _layers(
            tenant=tenant,
            customer=customer,
            global_row=global_row,
            workflow_row=preferences.get(workflow.pk),
            category_row=categories.get(workflow.category_id) if workflow.category_id else None,
            messaging_row=messaging_row,
        )
        decisions = resolve(facts, layers)
        resolved.append(
            ResolvedWorkflow(customer=customer, workflow=workflow, facts=facts, layers=layers, decisions=decisions)
        )
    return CustomerResolution(
        customer=customer,
        global_layers=global_layers,
        global_decisions=resolve(GLOBAL_WORKFLOW, global_layers),
        workflows=resolved,
    )


def customer_resolution_one(*, tenant: Tenant, customer: Customer, workflow: Workflow) -> ResolvedWorkflow:
    """One customer x one workflow (3 queries at most; reuses `resolution_layers`)."""
    layers = resolution_layers(tenant=tenant, workflow=workflow, customers=[customer])[customer.pk]
    facts = workflow_facts(workflow)
    decisions = resolve(facts, layers)
    return ResolvedWorkflow(customer=customer, workflow=workflow, facts=facts, layers=layers, decisions=decisions)


def workflow_preference_find(*, customer: Customer, workflow: Workflow | None) -> WorkflowPreference | None:
    """The customer's explicit row for this workflow (None = the global row), if any."""
    queryset = WorkflowPreference.objects.filter(customer=customer)
    if workflow is None:
        return queryset.filter(workflow__isnull=True).first()
    return queryset.filter(workflow=workflow).first()
