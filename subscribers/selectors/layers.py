"""Rows → plain data: the layers resolve() reads, for one workflow and many customers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import FilteredRelation, Q, QuerySet

from customers.models import Customer
from messaging.models import CHANNEL_COLUMNS, PREFERENCE_COLUMNS, CategoryPreference
from prefcenter.channels import CHANNELS
from prefcenter.models import Tenant
from prefcenter.prepared import prepared
from subscribers.models import SubscriberProfile, Workflow, WorkflowPreference
from subscribers.resolution import (
    CategoryChoice,
    CustomerLayers,
    Switches,
)
from subscribers.schedule import DeliveryWindow
from subscribers.selectors.schedule import window_of

# -- one customer's rows ---------------------------------------------------------------


@dataclass
class CustomerRows:
    """One customer's explicit rows: workflow preferences by workflow id (None: the global switch row) and
    category preferences by category id (None: the messaging default).

    Read once by a write (inside its transaction, after the customer's lock) and handed to the
    service that changes them, then to the resolution that answers: the answer needs no second
    read of what the transaction wrote (`put`).
    """

    workflows: dict[int | None, WorkflowPreference]
    categories: dict[int | None, CategoryPreference]

    def put(self, rows: Iterable[WorkflowPreference]) -> None:
        """Workflow preference rows as a service left them: a row with every value unset was deleted."""
        for row in rows:
            if all(getattr(row, name) is None for name in _WORKFLOW_PREF_VALUES):
                self.workflows.pop(row.workflow_id, None)
            else:
                self.workflows[row.workflow_id] = row


def customer_rows(
    *, tenant: Tenant, customer: Customer, workflow: Workflow | None = None, for_update: bool = False
) -> CustomerRows:
    """The customer's rows in 2 queries: all of them, or (`workflow`) those its resolution reads: the global
    switch row, the workflow's row, its category's preference and the messaging default.

    `for_update`: the workflow preference rows are read `FOR UPDATE` (PostgreSQL), inside the
    caller's transaction: the rows a preference write changes, read once.
    """
    workflow_id = workflow.pk if workflow is not None else None
    category_id = workflow.category_id if workflow is not None else None
    return CustomerRows(
        workflows={row.workflow_id: row for row in _workflow_rows(
            tenant.pk, customer.pk, workflow_id, one_workflow=workflow is not None, for_update=for_update)},
        categories={row.category_id: row for row in _category_rows(
            tenant.pk, customer.pk, category_id, one_workflow=workflow is not None)},
    )


# Compiled once per connection (prefcenter/prepared.py): a write's hot reads. No ORDER BY: the rows become
# dicts by key (sorting them was a tenth of a write's CPU).
@prepared
def _workflow_rows(
    tenant_id: int, customer_id: int, workflow_id: int | None, *, one_workflow: bool, for_update: bool
) -> QuerySet[WorkflowPreference]:
    rows = WorkflowPreference.objects.filter(tenant_id=tenant_id, customer_id=customer_id).order_by()
    if one_workflow:
        rows = rows.filter(Q(workflow__isnull=True) | Q(workflow_id=workflow_id))
    return rows.select_for_update() if for_update else rows


@prepared
def _category_rows(
    tenant_id: int, customer_id: int, category_id: int | None, *, one_workflow: bool
) -> QuerySet[CategoryPreference]:
    rows = CategoryPreference.objects.filter(tenant_id=tenant_id, customer_id=customer_id).order_by()
    if one_workflow:
        rows = rows.filter(Q(category__isnull=True) | Q(category_id=category_id) if category_id else
                           Q(category__isnull=True))
    return rows


def locked_customer_rows(
    *, tenant: Tenant, customer_pk: int, workflow: Workflow
) -> tuple[Customer, CustomerRows] | None:
    """A one-workflow write's reads in 2 statements: the customer, locked, with the category preference rows the
    workflow's resolution reads (one LEFT JOIN, `FOR UPDATE OF` the customer alone: those rows are read, not
    changed), then the workflow preference rows, locked. None when the tenant has no such customer.

    What `customer_of_id(for_update=True)` and `customer_rows(workflow=…, for_update=True)` read, one statement
    fewer (a TeamUp PATCH: 5 statements; docs/bench.md).
    """
    found = _customer_with_category_rows(tenant.pk, customer_pk, workflow.category_id or None)
    if not found:
        return None
    width = len(_CUSTOMER_COLUMNS)
    customer = Customer.from_db("default", _CUSTOMER_COLUMNS, found[0][:width])
    customer.tenant = tenant
    categories = {}
    for row in found:
        if row[width] is not None:  # the joined row's id: NULL when the customer has none of these rows
            preference = CategoryPreference.from_db("default", _CATEGORY_PREF_COLUMNS, row[width:])
            categories[preference.category_id] = preference
    workflows = {row.workflow_id: row for row in _workflow_rows(
        tenant.pk, customer.pk, workflow.pk, one_workflow=True, for_update=True)}
    return customer, CustomerRows(workflows=workflows, categories=categories)


_CUSTOMER_COLUMNS = tuple(f.attname for f in Customer._meta.concrete_fields)
_CATEGORY_PREF_COLUMNS = tuple(f.attname for f in CategoryPreference._meta.concrete_fields)


@prepared
def _customer_with_category_rows(tenant_id: int, customer_pk: int, category_id: int | None) -> QuerySet:
    condition = Q(category_preferences__category__isnull=True)
    if category_id is not None:
        condition |= Q(category_preferences__category_id=category_id)
    rows = Customer.objects.filter(tenant_id=tenant_id, pk=customer_pk).annotate(
        chosen=FilteredRelation("category_preferences", condition=condition)
    )
    columns = (*_CUSTOMER_COLUMNS, *(f"chosen__{name}" for name in _CATEGORY_PREF_COLUMNS))
    return rows.order_by().values_list(*columns).select_for_update(of=("self",))


def layers_of_rows(*, tenant: Tenant, customer: Customer, workflow: Workflow, rows: CustomerRows) -> CustomerLayers:
    """The layers of one customer for one workflow, from rows already read (no query)."""
    return _layers(
        tenant=tenant,
        customer=customer,
        global_row=rows.workflows.get(None),
        workflow_row=rows.workflows.get(workflow.pk),
        category_row=rows.categories.get(workflow.category_id) if workflow.category_id else None,
        messaging_row=rows.categories.get(None),
    )


# -- rows → plain data ---------------------------------------------------------------


def _switches(row: WorkflowPreference | None) -> Switches | None:
    if row is None:
        return None
    return Switches(enabled=row.enabled, channels=row.channel_values())


def category_choice(row: CategoryPreference | None) -> CategoryChoice | None:
    """A category preference row as the rules read it (the one place a row becomes a choice)."""
    if row is None:
        return None
    return CategoryChoice(channels=row.channel_values(), digest=row.digest)


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
        category_preference=category_choice(category_row),
        messaging_default=category_choice(messaging_row),
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
_CATEGORY_PREF_VALUES = PREFERENCE_COLUMNS


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
    return shared_delivery_layers(tenant=tenant, workflow=workflow, external_ids=external_ids, timing=False)[0]


def shared_delivery_layers(
    *, tenant: Tenant, workflow: Workflow, external_ids: Iterable[str], timing: bool = True
) -> tuple[dict[str, CustomerLayers], dict[str, DeliveryWindow]]:
    """`shared_resolution_layers`, and with `timing` each customer's delivery window, in the same 1 query.

    The windows (schedule and quiet hours read in the customer's zone: subscribers/schedule.py) come from
    one more left join on the subscriber profile and the customer's zone; customers with neither set are
    absent from the second dict. Equal windows are one object, and customers who differ only in timing
    still share one `CustomerLayers`, so callers decide once per (layers, window) pair.
    """
    wanted = list(external_ids)
    if not wanted:
        return {}, {}
    groups: dict[tuple, list[str]] = {}
    for row in _evaluation_rows(tenant=tenant, workflow=workflow, external_ids=wanted, timing=timing):
        groups.setdefault(row[1:], []).append(row[0])
    tenant_defaults = dict(tenant.channel_defaults or {})
    found: dict[str, CustomerLayers] = {}
    windows: dict[str, DeliveryWindow] = {}
    shared: dict[tuple, CustomerLayers] = {}
    for values, members in groups.items():
        rule_values = values[:-TIMING_COLUMNS] if timing else values
        layers = shared.get(rule_values)
        if layers is None:
            layers = shared[rule_values] = _layers_of_values(rule_values, tenant_defaults)
        window = window_of(tenant, *values[-TIMING_COLUMNS:]) if timing else None
        for external_id in members:
            found[external_id] = layers
        if window is not None and window.restricts:
            windows.update(dict.fromkeys(members, window))
    return {external_id: found[external_id] for external_id in wanted if external_id in found}, windows


TIMING_COLUMNS = 4


def _evaluation_rows(
    *, tenant: Tenant, workflow: Workflow, external_ids: list[str], timing: bool = False
) -> list[tuple]:
    """(external_id, email_opt_out, sms_opt_out, then per joined row: present?, its values) per known customer;
    with `timing`, then the customer's zone, schedule and quiet hours (times as text: no per-row conversion)."""
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
    timing_columns, timing_join = "", ""
    if timing:
        timing_columns = (
            # The zone only for customers with a profile: the others need no read of the customer row beyond
            # the index the evaluation already covers (customer_evaluation).
            ", CASE WHEN p.customer_id IS NOT NULL THEN c.timezone END, CAST(p.schedule AS TEXT), "
            "CAST(p.quiet_hours_start AS TEXT), CAST(p.quiet_hours_end AS TEXT)"
        )
        timing_join = f"LEFT JOIN {quote(SubscriberProfile._meta.db_table)} p ON p.customer_id = c.id "
    sql = (
        f"SELECT c.external_id, c.email_opt_out, c.sms_opt_out, "
        f"{columns('g', _WORKFLOW_PREF_VALUES)}, {columns('w', _WORKFLOW_PREF_VALUES)}, "
        f"{columns('k', _CATEGORY_PREF_VALUES)}, {columns('m', _CATEGORY_PREF_VALUES)}"
        f"{timing_columns} "
        f"FROM {customers} c "
        f"LEFT JOIN {workflow_prefs} g ON +g.tenant_id = %s AND g.customer_id = c.id AND g.workflow_id IS NULL "
        f"LEFT JOIN {workflow_prefs} w ON +w.tenant_id = %s AND w.customer_id = c.id AND w.workflow_id = %s "
        f"LEFT JOIN {category_prefs} k ON +k.tenant_id = %s AND k.customer_id = c.id AND k.category_id = %s "
        f"LEFT JOIN {category_prefs} m ON +m.tenant_id = %s AND m.customer_id = c.id AND m.category_id IS NULL "
        f"{timing_join}"
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
    *switches, digest = values
    return CategoryChoice(channels=dict(zip(CHANNEL_COLUMNS, switches, strict=True)), digest=digest)


