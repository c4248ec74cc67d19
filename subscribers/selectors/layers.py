"""Rows → plain data: the layers resolve() reads, for one customer or many (the evaluation's read of up to
10,000 recipients by external id is subscribers/selectors/recipients.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import FilteredRelation, Q, QuerySet

from customers.models import Customer
from customers.selectors import customer_of_id
from messaging.models import CHANNEL_COLUMNS, PREFERENCE_COLUMNS, CategoryPreference
from prefcenter.channels import CHANNELS
from prefcenter.models import Tenant
from prefcenter.prepared import prepared
from subscribers.models import Workflow, WorkflowPreference
from subscribers.resolution import (
    CategoryChoice,
    CustomerLayers,
    Switches,
)

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
            if all(getattr(row, name) is None for name in WORKFLOW_PREF_VALUES):
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
    """A one-workflow write's reads in 2 statements: the customer, locked, then the workflow and the category
    preference rows this workflow's resolution reads, both in one read. None when the tenant has no such customer.

    The rows are read by a statement that starts once the customer's lock is held, so on PostgreSQL nothing they
    hold predates a writer that held the lock before us (a statement's snapshot is taken when it starts; rows
    joined to a locked row in the same statement could be older). They are not row-locked: every service that
    writes a customer's preference rows holds the customer's lock first (subscribers/services/preferences.py,
    messaging.services.category_preference_set, subscribers.services.catalog.workflow_delete).

    What `customer_of_id(for_update=True)` and `customer_rows(workflow=…, for_update=True)` read, one statement
    fewer (a TeamUp PATCH: 5 statements; docs/bench.md).
    """
    found = customer_of_id(tenant.pk, customer_pk, for_update=True)
    if not found:
        return None
    customer = found[0]
    customer.tenant = tenant
    workflows, categories = {}, {}
    start, width = len(_WORKFLOW_PREF_COLUMNS), len(_CATEGORY_PREF_COLUMNS)
    for row in _preference_rows(customer.pk, workflow.pk, workflow.category_id or None):
        if row[0] is not None:  # a joined row's id: NULL when the customer has none of those rows
            preference = WorkflowPreference.from_db("default", _WORKFLOW_PREF_COLUMNS, row[:start])
            workflows[preference.workflow_id] = preference
        if row[start] is not None:
            choice = CategoryPreference.from_db("default", _CATEGORY_PREF_COLUMNS, row[start:start + width])
            categories[choice.category_id] = choice
    return customer, CustomerRows(workflows=workflows, categories=categories)


_WORKFLOW_PREF_COLUMNS = tuple(f.attname for f in WorkflowPreference._meta.concrete_fields)
_CATEGORY_PREF_COLUMNS = tuple(f.attname for f in CategoryPreference._meta.concrete_fields)


@prepared
def _preference_rows(customer_pk: int, workflow_id: int, category_id: int | None) -> QuerySet:
    """The customer's global switch row and this workflow's row, crossed with its messaging default and the
    workflow category's row (up to 4 result rows), as two LEFT JOINs from the customer row."""
    category_condition = Q(category_preferences__category__isnull=True)
    if category_id is not None:
        category_condition |= Q(category_preferences__category_id=category_id)
    rows = Customer.objects.filter(pk=customer_pk).annotate(
        switch=FilteredRelation("workflow_preferences", condition=Q(workflow_preferences__workflow__isnull=True)
                                | Q(workflow_preferences__workflow_id=workflow_id)),
        choice=FilteredRelation("category_preferences", condition=category_condition),
    )
    columns = (*(f"switch__{name}" for name in _WORKFLOW_PREF_COLUMNS),
               *(f"choice__{name}" for name in _CATEGORY_PREF_COLUMNS))
    return rows.order_by().values_list(*columns)


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


# The value columns of each kind of preference row, in the order the rules and the readers share.
WORKFLOW_PREF_VALUES = ("enabled", *CHANNELS)
CATEGORY_PREF_VALUES = PREFERENCE_COLUMNS


def switches_of(values: tuple | None) -> Switches | None:
    """A workflow preference row's values (in `WORKFLOW_PREF_VALUES` order) as the rules read them."""
    if values is None:
        return None
    enabled, *channels = values
    return Switches(enabled=enabled, channels=dict(zip(CHANNELS, channels, strict=True)))


def choice_of(values: tuple | None) -> CategoryChoice | None:
    """A category preference row's values (in `CATEGORY_PREF_VALUES` order) as the rules read them."""
    if values is None:
        return None
    *switches, digest = values
    return CategoryChoice(channels=dict(zip(CHANNEL_COLUMNS, switches, strict=True)), digest=digest)


