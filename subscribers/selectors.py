"""Reads of the workflow catalog and the set-based loader that feeds the resolution rules.

The loader gathers every layer `resolve()` reads (subscribers/resolution.py) in a fixed
number of queries, whatever the number of customers or workflows:

- `resolution_layers(tenant=, workflow=, customers=)`: N customers x one workflow —
  2 queries (workflow preferences, category preferences) given customer objects,
  +1 if `customers` is an unevaluated queryset. For the evaluation API and bulk sends.
- `shared_resolution_layers(tenant=, workflow=, external_ids=)`: the same for up to
  10,000 external ids in 3 queries (customers, workflow preferences, category
  preferences), read as tuples; customers whose rule-relevant rows are equal share one
  `CustomerLayers` (most have no explicit choice), so callers decide once per group.
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


def workflow_facts(workflow: Workflow, *, category_defaults: dict[int, dict] | None = None) -> WorkflowFacts:
    """The catalog facts of one workflow (its category must be loaded: select_related("category")).

    `category_defaults`, a dict kept across calls, shares one defaults mapping per category.
    """
    category: Category | None = workflow.category if workflow.category_id else None
    if category is not None and category_defaults is not None:
        defaults = category_defaults.get(category.pk)
        if defaults is None:
            defaults = category_defaults[category.pk] = _category_defaults(category)
    else:
        defaults = _category_defaults(category) if category else {}
    return WorkflowFacts(
        id=workflow.pk,
        identifier=workflow.identifier,
        channels=frozenset(c for c in (workflow.channels or []) if c in CHANNELS),
        critical=workflow.critical,
        defaults=dict(workflow.defaults or {}),
        category_key=category.key if category else None,
        category_mandatory=bool(category and category.mandatory),
        category_defaults=defaults,
        category_default_digest=category.default_digest if category else None,
    )


def _category_defaults(category: Category) -> dict:
    return {IN_APP: category.default_in_app, EMAIL: category.default_email, PUSH: category.default_push}


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


_WORKFLOW_PREF_VALUES = ("enabled", *CHANNELS)
_CATEGORY_PREF_VALUES = ("in_app_enabled", "email_enabled", "push_enabled", "digest")


def shared_resolution_layers(
    *, tenant: Tenant, workflow: Workflow, external_ids: Iterable[str]
) -> dict[str, CustomerLayers]:
    """The rule-relevant layers of each known external id for one workflow, in 3 queries.

    Keyed by external id in the order given (unknown ones are absent). Customers whose
    opt-outs and preference rows are equal get the same `CustomerLayers` object, built
    once: it carries no identity (`customer_id` None, `external_id` "") and no addresses
    (`has_email`/`has_phone` False), since those feed `capabilities()`, not `resolve()`.
    Rows are read as tuples: no model instance is built for any of the 10,000.
    """
    external_ids = list(external_ids)
    customers = {
        external_id: (pk, email_opt_out, sms_opt_out)
        for pk, external_id, email_opt_out, sms_opt_out in Customer.objects.filter(
            tenant_id=tenant.pk, external_id__in=external_ids
        ).values_list("id", "external_id", "email_opt_out", "sms_opt_out")
    }
    if not customers:
        return {}
    ids = [pk for pk, _, _ in customers.values()]
    workflow_rows: dict[tuple[int, int | None], tuple] = {
        (row[0], row[1]): row[2:]
        for row in WorkflowPreference.objects.filter(
            tenant_id=tenant.pk, customer_id__in=ids
        ).filter(Q(workflow__isnull=True) | Q(workflow=workflow)).values_list(
            "customer_id", "workflow_id", *_WORKFLOW_PREF_VALUES
        )
    }
    category_filter = Q(category__isnull=True)
    if workflow.category_id:
        category_filter |= Q(category_id=workflow.category_id)
    category_rows: dict[tuple[int, int | None], tuple] = {
        (row[0], row[1]): row[2:]
        for row in CategoryPreference.objects.filter(
            tenant_id=tenant.pk, customer_id__in=ids
        ).filter(category_filter).values_list("customer_id", "category_id", *_CATEGORY_PREF_VALUES)
    }
    tenant_defaults = dict(tenant.channel_defaults or {})
    groups: dict[tuple, CustomerLayers] = {}
    answer: dict[str, CustomerLayers] = {}
    for external_id, (pk, email_opt_out, sms_opt_out) in customers.items():
        key = (
            email_opt_out,
            sms_opt_out,
            workflow_rows.get((pk, None)),
            workflow_rows.get((pk, workflow.pk)),
            category_rows.get((pk, workflow.category_id)) if workflow.category_id else None,
            category_rows.get((pk, None)),
        )
        layers = groups.get(key)
        if layers is None:
            layers = groups[key] = _shared_layers(key, tenant_defaults)
        answer[external_id] = layers
    return {external_id: answer[external_id] for external_id in external_ids if external_id in answer}


def _switches_of(values: tuple | None) -> Switches | None:
    if values is None:
        return None
    enabled, *channels = values
    return Switches(enabled=enabled, channels=dict(zip(CHANNELS, channels, strict=True)))


def _choice_of(values: tuple | None) -> CategoryChoice | None:
    if values is None:
        return None
    in_app, email, push, digest = values
    return CategoryChoice(channels={IN_APP: in_app, EMAIL: email, PUSH: push}, digest=digest)


def _shared_layers(key: tuple, tenant_defaults: dict) -> CustomerLayers:
    email_opt_out, sms_opt_out, global_row, workflow_row, category_row, messaging_row = key
    return CustomerLayers(
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        global_preference=_switches_of(global_row),
        workflow_preference=_switches_of(workflow_row),
        category_preference=_choice_of(category_row),
        messaging_default=_choice_of(messaging_row),
        tenant_defaults=tenant_defaults,
    )


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

    The layers every workflow shares (the global row, the messaging default, the tenant
    defaults, each category's preference) are built once, not once per workflow.
    """
    rows = workflow_list(tenant=tenant) if workflows is None else workflows
    workflow_rows = [w for w in rows if w.tenant_id == tenant.pk]
    preferences = {
        row.workflow_id: row for row in WorkflowPreference.objects.filter(tenant=tenant, customer=customer)
    }
    categories = {row.category_id: row for row in CategoryPreference.objects.filter(tenant=tenant, customer=customer)}
    global_layers = _layers(
        tenant=tenant, customer=customer, global_row=preferences.get(None), workflow_row=None, category_row=None,
        messaging_row=categories.get(None),
    )
    choices = {category_id: _category_choice(row) for category_id, row in categories.items() if category_id}
    category_defaults: dict[int, dict] = {}
    resolved = []
    for workflow in workflow_rows:
        facts = workflow_facts(workflow, category_defaults=category_defaults)
        workflow_row = preferences.get(workflow.pk)
        category_choice = choices.get(workflow.category_id) if workflow.category_id else None
        if workflow_row is None and category_choice is None:
            layers = global_layers
        else:
            layers = CustomerLayers(
                customer_id=global_layers.customer_id,
                external_id=global_layers.external_id,
                email_opt_out=global_layers.email_opt_out,
                sms_opt_out=global_layers.sms_opt_out,
                has_email=global_layers.has_email,
                has_phone=global_layers.has_phone,
                global_preference=global_layers.global_preference,
                workflow_preference=_switches(workflow_row),
                category_preference=category_choice,
                messaging_default=global_layers.messaging_default,
                tenant_defaults=global_layers.tenant_defaults,
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
