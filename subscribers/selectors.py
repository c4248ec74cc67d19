"""Reads of the workflow catalog and the set-based loader that feeds the resolution rules.

The loader gathers every layer `resolve()` reads (subscribers/resolution.py) in a fixed
number of queries, whatever the number of customers or workflows:

- `resolution_layers(tenant=, workflow=, customers=)`: N customers x one workflow —
  2 queries (workflow preferences, category preferences) given customer objects,
  +1 if `customers` is an unevaluated queryset. For the evaluation API and bulk sends.
- `shared_resolution_layers(tenant=, workflow=, external_ids=)`: the same for up to
  10,000 external ids in 1 query (customers left-joined to their four possible rows),
  read as tuples; customers whose rule-relevant rows are equal share one
  `CustomerLayers` (most have no explicit choice), so callers decide once per group.
- `customer_resolutions(tenant=, customer=)`: one customer x every workflow of the
  tenant — 3 queries (the catalog revision, workflow preferences, category preferences;
  +1 for the workflows when this process has not seen that revision: subscribers/catalog.py).
  For the Novu GET, the TeamUp face and the self-service page.

Nothing here decides anything: it only turns rows into the plain dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from django.db import connection
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat

from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.channels import CHANNELS, EMAIL, IN_APP, PUSH
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from subscribers.catalog import Catalog, CatalogEntry, tenant_catalog, workflow_facts
from subscribers.models import Workflow, WorkflowPreference
from subscribers.novu import novu_id, pk_of_novu_id
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


def workflows_by_ref(
    *, tenant: Tenant, refs: Iterable[str], allow_id: bool = False, allow_novu_id: bool = False
) -> dict[str, Workflow]:
    """Workflows named by identifier, else slug, else (with `allow_id`) integer id, else (with
    `allow_novu_id`) Novu `_id`, in one query.

    Unknown refs are absent from the answer. An identifier wins over a slug, a slug over an id.
    """
    refs = [str(ref) for ref in refs]
    if not refs:
        return {}
    ids = [int(ref) for ref in refs if allow_id and ref.isdigit() and len(ref) < 19]
    novu_ids = {ref: pk for ref in refs if allow_novu_id and (pk := pk_of_novu_id(ref)) is not None}
    rows = list(
        workflow_list(tenant=tenant).filter(
            Q(identifier__in=refs) | Q(slug__in=refs) | Q(pk__in=[*ids, *novu_ids.values()])
        )
    )
    by_identifier = {w.identifier: w for w in rows}
    by_slug = {w.slug: w for w in rows}
    by_id = {str(w.pk): w for w in rows} if allow_id else {}
    by_pk = {w.pk: w for w in rows}
    found = {}
    for ref in refs:
        workflow = by_identifier.get(ref) or by_slug.get(ref) or by_id.get(ref) or by_pk.get(novu_ids.get(ref))
        if workflow is not None:
            found[ref] = workflow
    return found


def workflow_find(
    *, tenant: Tenant, ref: str, allow_id: bool = False, allow_novu_id: bool = False
) -> Workflow | None:
    """A workflow by identifier, else slug, else (with `allow_id`) integer id, else (with
    `allow_novu_id`) Novu `_id`, in one query."""
    return workflows_by_ref(tenant=tenant, refs=[ref], allow_id=allow_id, allow_novu_id=allow_novu_id).get(str(ref))


def workflow_get(
    *, tenant: Tenant, ref: str, allow_id: bool = False, allow_novu_id: bool = False, field: str = "workflowId"
) -> Workflow:
    """The tenant's workflow by identifier or slug (or id, or Novu `_id`), or a 404 naming the field."""
    workflow = workflow_find(tenant=tenant, ref=ref, allow_id=allow_id, allow_novu_id=allow_novu_id)
    if workflow is None:
        raise PrefCenterError(
            f"Workflow '{ref}' not found.", code="not_found", status=404,
            errors={field: [f"No workflow with identifier or slug '{ref}' in this tenant."]},
        )
    return workflow


WORKFLOW_ORDER = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}


def workflow_search(
    *, queryset: QuerySet[Workflow], query: str | None = None, status: str | None = None,
    order_by: str = "createdAt", ascending: bool = False,
) -> QuerySet[Workflow]:
    """Novu's workflow list filters: `query` in the name or workflowId, `status` from `active`
    (ERROR matches none: prefcenter's workflows have no runtime issues); ordered, ties by key."""
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(identifier__icontains=query))
    if status == "ACTIVE":
        queryset = queryset.filter(active=True)
    elif status == "INACTIVE":
        queryset = queryset.filter(active=False)
    elif status == "ERROR":
        queryset = queryset.none()
    field = WORKFLOW_ORDER[order_by]
    return queryset.order_by(field, "pk") if ascending else queryset.order_by(f"-{field}", "-pk")


def workflow_matches(workflow: Workflow, *, tags: Iterable[str] = (), category: str | None = None) -> bool:
    """Filter used by list endpoints: every tag in `tags` (any of them matches) and the category key."""
    tags = [t for t in tags if t]
    if tags and not set(tags) & set(workflow.tags or []):
        return False
    return not (category is not None and (workflow.category.key if workflow.category_id else None) != category)


# -- rows → plain data ---------------------------------------------------------------


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
    """The rule-relevant layers of each known external id for one workflow, in 1 query.

    Keyed by external id in the order given (unknown ones are absent). Customers whose
    opt-outs and preference rows are equal get the same `CustomerLayers` object, built
    once: it carries no identity (`customer_id` None, `external_id` "") and no addresses
    (`has_email`/`has_phone` False), since those feed `capabilities()`, not `resolve()`.

    One statement reads each customer with its four possible rows (the global switch row,
    the row for this workflow, the category preference for the workflow's category, the
    messaging default) as left joins; the partial unique constraints guarantee at most one
    row per join. The external ids travel as one parameter (a JSON array on SQLite, an
    array on PostgreSQL), not as 10,000 placeholders, and rows are read as raw tuples:
    this is the hot path of `POST /v1/deliveries/evaluate` (docs/bench.md).
    """
    wanted = list(external_ids)
    if not wanted:
        return {}
    groups: dict[tuple, list[str]] = {}
    for row in _evaluation_rows(tenant=tenant, workflow=workflow, external_ids=wanted):
        groups.setdefault(row[1:], []).append(row[0])
    tenant_defaults = dict(tenant.channel_defaults or {})
    found: dict[str, CustomerLayers] = {}
    for values, members in groups.items():
        layers = _layers_of_values(values, tenant_defaults)
        for external_id in members:
            found[external_id] = layers
    return {external_id: found[external_id] for external_id in wanted if external_id in found}


def _evaluation_rows(*, tenant: Tenant, workflow: Workflow, external_ids: list[str]) -> list[tuple]:
    """(external_id, email_opt_out, sms_opt_out, then per joined row: present?, its values) per known customer."""
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    workflow_prefs = quote(WorkflowPreference._meta.db_table)
    category_prefs = quote(CategoryPreference._meta.db_table)

    def columns(alias: str, names: tuple[str, ...]) -> str:
        return ", ".join([f"{alias}.id IS NOT NULL", *(f"{alias}.{quote(name)}" for name in names)])

    if connection.vendor == "postgresql":
        member, ids = "= ANY(%s)", external_ids
    else:
        member, ids = "IN (SELECT value FROM json_each(%s))", json.dumps(external_ids)
    sql = (
        f"SELECT c.external_id, c.email_opt_out, c.sms_opt_out, "
        f"{columns('g', _WORKFLOW_PREF_VALUES)}, {columns('w', _WORKFLOW_PREF_VALUES)}, "
        f"{columns('k', _CATEGORY_PREF_VALUES)}, {columns('m', _CATEGORY_PREF_VALUES)} "
        f"FROM {customers} c "
        f"LEFT JOIN {workflow_prefs} g ON +g.tenant_id = %s AND g.customer_id = c.id AND g.workflow_id IS NULL "
        f"LEFT JOIN {workflow_prefs} w ON +w.tenant_id = %s AND w.customer_id = c.id AND w.workflow_id = %s "
        f"LEFT JOIN {category_prefs} k ON +k.tenant_id = %s AND k.customer_id = c.id AND k.category_id = %s "
        f"LEFT JOIN {category_prefs} m ON +m.tenant_id = %s AND m.customer_id = c.id AND m.category_id IS NULL "
        f"WHERE c.tenant_id = %s AND c.external_id {member}"
    )
    # The rows of a customer are its tenant's (services check it); the tenant condition on each join is
    # kept as a guard, written `+x.tenant_id` so that SQLite does not pick the (tenant, customer) index
    # over the partial unique ones, which find the row directly. A workflow without a category joins no
    # category row (`= NULL` matches nothing).
    params = [tenant.pk, tenant.pk, workflow.pk, tenant.pk, workflow.category_id, tenant.pk, tenant.pk, ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _layers_of_values(values: tuple, tenant_defaults: dict) -> CustomerLayers:
    """One group's `CustomerLayers` from the raw columns of `_evaluation_rows` (after the external id).

    Each joined row is its presence (`x.id IS NOT NULL`: 0/1 on SQLite) then its values in the
    order of `_WORKFLOW_PREF_VALUES` / `_CATEGORY_PREF_VALUES`. Boolean columns arrive as bools
    on both backends (Django registers SQLite's `bool` converter), NULL as None.
    """
    email_opt_out, sms_opt_out, *rest = values
    rows, start = [], 0
    for size in (len(_WORKFLOW_PREF_VALUES), len(_WORKFLOW_PREF_VALUES), len(_CATEGORY_PREF_VALUES),
                 len(_CATEGORY_PREF_VALUES)):
        present, *row = rest[start : start + 1 + size]
        rows.append(tuple(row) if present else None)
        start += 1 + size
    global_row, workflow_row, category_row, messaging_row = rows
    return CustomerLayers(
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        global_preference=_switches_of(global_row),
        workflow_preference=_switches_of(workflow_row),
        category_preference=_choice_of(category_row),
        messaging_default=_choice_of(messaging_row),
        tenant_defaults=tenant_defaults,
    )


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


def _values(row: WorkflowPreference | CategoryPreference | None, fields: tuple[str, ...]) -> tuple | None:
    """A row's rule-relevant values in the order `_switches_of` / `_choice_of` read them."""
    return None if row is None else tuple(getattr(row, name) for name in fields)


def _shared_key(layers: CustomerLayers, global_row, messaging_row) -> tuple:
    """What the decisions of a workflow the customer has no row for depend on (all hashable)."""
    return (
        layers.email_opt_out, layers.sms_opt_out, _values(global_row, _WORKFLOW_PREF_VALUES),
        _values(messaging_row, _CATEGORY_PREF_VALUES),
        json.dumps(layers.tenant_defaults, sort_keys=True),
    )


@lru_cache(maxsize=SHARED_DECISIONS)
def _shared_decisions(catalog: Catalog, key: tuple) -> tuple[dict[str, Decision], ...]:
    """`resolve()` of every catalog entry for the global layers `key` describes, memoized per (catalog, key).

    The layers carry no identity nor addresses (`resolve()` reads neither), so the decisions
    are those of every customer with that key; see subscribers/catalog.py. At most
    `SHARED_DECISIONS` sets per process (~0.17 MB each at 200 workflows, measured).
    """
    email_opt_out, sms_opt_out, global_values, messaging_values, tenant_defaults = key
    layers = CustomerLayers(
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        global_preference=_switches_of(global_values),
        messaging_default=_choice_of(messaging_values),
        tenant_defaults=json.loads(tenant_defaults),
    )
    return tuple(resolve(entry.facts, layers) for entry in catalog.entries)


def customer_resolutions(
    *, tenant: Tenant, customer: Customer, workflows: Iterable[Workflow] | None = None
) -> CustomerResolution:
    """One customer resolved against every workflow of the tenant in 3 queries (+1 when the catalog changed).

    The catalog comes from `tenant_catalog` (subscribers/catalog.py): its revision is read,
    its workflows only when this process has not seen that revision. The workflows the
    customer has no row for (nor for their category) take their decisions from the memo of
    `_shared_decisions`; only the others are resolved here.

    `workflows` narrows it to these (e.g. one page; loaded with select_related("category"));
    other tenants' workflows are dropped. Then 2 queries and no memo.
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
    preferences = {
        row.workflow_id: row for row in WorkflowPreference.objects.filter(tenant=tenant, customer=customer)
    }
    categories = {row.category_id: row for row in CategoryPreference.objects.filter(tenant=tenant, customer=customer)}
    global_row, messaging_row = preferences.get(None), categories.get(None)
    global_layers = _layers(
        tenant=tenant, customer=customer, global_row=global_row, workflow_row=None, category_row=None,
        messaging_row=messaging_row,
    )
    shared = None
    if catalog is not None:
        shared = _shared_decisions(catalog, _shared_key(global_layers, global_row, messaging_row))
    choices = {category_id: _category_choice(row) for category_id, row in categories.items() if category_id}
    resolved = []
    for index, entry in enumerate(entries):
        workflow = entry.workflow
        workflow_row = preferences.get(workflow.pk)
        category_choice = choices.get(workflow.category_id) if workflow.category_id else None
        if workflow_row is None and category_choice is None:
            layers = global_layers
            decisions = shared[index] if shared is not None else resolve(entry.facts, layers)
        else:
            layers = replace(
                global_layers, workflow_preference=_switches(workflow_row), category_preference=category_choice
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


def subscriber_get(*, tenant: Tenant, external_id: str) -> Customer:
    """The tenant's customer with this subscriberId and its Novu profile (one query), or a 404."""
    customer = (
        Customer.objects.filter(tenant=tenant, external_id=external_id)
        .select_related("tenant", "subscriber_profile")
        .first()
    )
    if customer is None:
        raise PrefCenterError(f"Subscriber '{external_id}' not found.", code="not_found", status=404)
    return customer
