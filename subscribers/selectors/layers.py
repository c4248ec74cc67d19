"""Rows → plain data: the layers resolve() reads, for one workflow and many customers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from customers.models import Customer
from messaging.models import CHANNEL_COLUMNS, PREFERENCE_COLUMNS, CategoryPreference
from prefcenter.channels import CHANNELS
from prefcenter.models import Tenant
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
    # No ORDER BY: the rows become dicts by key (sorting them was a tenth of a write's CPU).
    workflow_rows = WorkflowPreference.objects.filter(tenant=tenant, customer=customer).order_by()
    category_rows = CategoryPreference.objects.filter(tenant=tenant, customer=customer).order_by()
    if workflow is not None:
        workflow_rows = workflow_rows.filter(Q(workflow__isnull=True) | Q(workflow=workflow))
        category_filter = Q(category__isnull=True)
        if workflow.category_id:
            category_filter |= Q(category_id=workflow.category_id)
        category_rows = category_rows.filter(category_filter)
    if for_update:
        workflow_rows = workflow_rows.select_for_update()
    return CustomerRows(
        workflows={row.workflow_id: row for row in workflow_rows},
        categories={row.category_id: row for row in category_rows},
    )


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

    One statement reads the customers and their four possible rows (the global switch row,
    the row for this workflow, the category preference for the workflow's category, the
    messaging default; the partial unique constraints guarantee at most one each), joined
    by customer id in Python (`_evaluation_rows`). The external ids travel as one parameter
    (a JSON array on SQLite, an array on PostgreSQL), not as 10,000 placeholders, and rows
    are read as raw tuples:
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
    customers, preferences = _evaluation_rows(tenant=tenant, workflow=workflow, external_ids=wanted, timing=timing)
    global_rows, workflow_rows, category_rows, messaging_rows = preferences
    groups: dict[tuple, list[str]] = {}
    for external_id, customer_id, *values in customers:
        key = (
            *values,
            global_rows.get(customer_id),
            workflow_rows.get(customer_id),
            category_rows.get(customer_id),
            messaging_rows.get(customer_id),
        )
        members = groups.get(key)
        if members is None:
            groups[key] = [external_id]
        else:
            members.append(external_id)
    tenant_defaults = dict(tenant.channel_defaults or {})
    found: dict[str, CustomerLayers] = {}
    windows: dict[str, DeliveryWindow] = {}
    shared: dict[tuple, CustomerLayers] = {}
    for (email_opt_out, sms_opt_out, *values), members in groups.items():
        rows = tuple(values[-4:])
        rule_values = (email_opt_out, sms_opt_out, *rows)
        layers = shared.get(rule_values)
        if layers is None:
            layers = shared[rule_values] = _layers_of_values(rule_values, tenant_defaults)
        window = window_of(tenant, *values[:TIMING_COLUMNS]) if timing else None
        found.update(dict.fromkeys(members, layers))
        if window is not None and window.restricts:
            windows.update(dict.fromkeys(members, window))
    return {external_id: found[external_id] for external_id in wanted if external_id in found}, windows


TIMING_COLUMNS = 4

# From this many recipients the preference rows of the workflow are read whole (a few contiguous index ranges,
# joined to the customers in Python); below it, only the rows of the recipients (index searches per customer).
# The first costs what the tenant's rows for this workflow number, the second 4 searches per recipient.
SETWISE_RECIPIENTS = 1_000

_Rows = dict[int, tuple]


def _evaluation_rows(
    *, tenant: Tenant, workflow: Workflow, external_ids: list[str], timing: bool = False
) -> tuple[list[tuple], tuple[_Rows, _Rows, _Rows, _Rows]]:
    """The customers and their rows for one workflow, in one statement.

    Returns (external_id, customer id, email_opt_out, sms_opt_out[, zone, schedule, quiet hours start, end])
    per known customer (`timing`: times as text, no per-row conversion), and four dicts by customer id of
    the values of its global switch row, its row for this workflow, its category preference for the
    workflow's category and its messaging default (`_WORKFLOW_PREF_VALUES` / `_CATEGORY_PREF_VALUES`):
    the partial unique constraints guarantee at most one row of each per customer.

    The statement is a UNION ALL of the customers found by external id and the four kinds of rows, each
    read as a range of an index (`SETWISE_RECIPIENTS`): 4 index searches per recipient, as left joins do,
    cost more than the whole range of this workflow's rows when the list is long (docs/bench.md).
    """
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    workflow_prefs = quote(WorkflowPreference._meta.db_table)
    category_prefs = quote(CategoryPreference._meta.db_table)
    postgres = connection.vendor == "postgresql"
    if postgres:
        member, ids = "= ANY(%s)", external_ids
    else:
        member, ids = "IN (SELECT value FROM json_each(%s))", json.dumps(external_ids)
    timing_nulls = ", NULL" * TIMING_COLUMNS if timing else ""
    setwise = len(external_ids) >= SETWISE_RECIPIENTS

    def branch(kind: int, table: str, switches: tuple[str, ...], digest: str, condition: str) -> str:
        # Columns: kind, external id, customer id, _SWITCH_SLOTS booleans, the digest (text), the timing columns.
        values = [f"x.{quote(name)}" for name in switches] + ["NULL"] * (_SWITCH_SLOTS - len(switches))
        columns = f"{kind}, NULL, x.customer_id, {', '.join(values)}, {digest}{timing_nulls}"
        if setwise:
            return f"SELECT {columns} FROM {table} x WHERE +x.tenant_id = %s AND x.{condition}"
        # The recipients first, then each one's row by the partial unique index (SQLite keeps a CROSS JOIN's order).
        join = "JOIN" if postgres else "CROSS JOIN"
        return (
            f"SELECT {columns} FROM {customers} c {join} {table} x "
            f"ON x.customer_id = c.id AND +x.tenant_id = %s AND x.{condition} "
            f"WHERE c.tenant_id = %s AND c.external_id {member}"
        )

    scope_params = [] if setwise else [tenant.pk, ids]
    timing_columns, timing_join = "", ""
    if timing:
        timing_columns = (
            # The zone only for customers with a profile: the others need no read of the customer row beyond
            # the index the evaluation already covers (customer_evaluation).
            ", CASE WHEN p.customer_id IS NOT NULL THEN c.timezone END, CAST(p.schedule AS TEXT), "
            "CAST(p.quiet_hours_start AS TEXT), CAST(p.quiet_hours_end AS TEXT)"
        )
        timing_join = f" LEFT JOIN {quote(SubscriberProfile._meta.db_table)} p ON p.customer_id = c.id"
    # A workflow without a category reads no category row (`= NULL` matches nothing).
    sql = " UNION ALL ".join(
        [
            # The first branch gives the columns their types (PostgreSQL) and their converters (SQLite).
            branch(_GLOBAL, workflow_prefs, _WORKFLOW_PREF_VALUES, "NULL", "workflow_id IS NULL"),
            branch(_WORKFLOW, workflow_prefs, _WORKFLOW_PREF_VALUES, "NULL", "workflow_id = %s"),
            branch(_CATEGORY, category_prefs, _CATEGORY_PREF_VALUES[:-1], "x.digest", "category_id = %s"),
            branch(_MESSAGING, category_prefs, _CATEGORY_PREF_VALUES[:-1], "x.digest", "category_id IS NULL"),
            f"SELECT {_CUSTOMER}, c.external_id, c.id, c.email_opt_out, c.sms_opt_out"
            f"{', NULL' * (_SWITCH_SLOTS - 1)}{timing_columns} "
            f"FROM {customers} c{timing_join} WHERE c.tenant_id = %s AND c.external_id {member}",
        ]
    )
    # The tenant condition on each preference branch is a guard (a customer's rows are its tenant's: the
    # services check it), written `+tenant_id` so that SQLite reads the workflow's (category's) range of
    # rows, or the customer's partial unique index entry, not every row of the tenant.
    params = [
        tenant.pk, *scope_params,
        tenant.pk, workflow.pk, *scope_params,
        tenant.pk, workflow.category_id, *scope_params,
        tenant.pk, *scope_params,
        tenant.pk, ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: list[tuple] = []
    preferences: tuple[_Rows, _Rows, _Rows, _Rows] = ({}, {}, {}, {})
    category_switches = len(_CATEGORY_PREF_VALUES) - 1
    digest_at = 3 + _SWITCH_SLOTS
    for row in rows:
        kind = row[0]
        if kind == _CUSTOMER:
            found.append(row[1:5] + row[digest_at + 1 :] if timing else row[1:5])
        elif kind <= _WORKFLOW:
            preferences[kind][row[2]] = row[3:digest_at]
        else:
            preferences[kind][row[2]] = (*row[3 : 3 + category_switches], row[digest_at])
    return found, preferences


_SWITCH_SLOTS = len(_WORKFLOW_PREF_VALUES)
_GLOBAL, _WORKFLOW, _CATEGORY, _MESSAGING, _CUSTOMER = range(5)


def _layers_of_values(values: tuple, tenant_defaults: dict) -> CustomerLayers:
    """One group's `CustomerLayers` from its opt-outs and its four rows' values (None: no row).

    Values arrive as bools on PostgreSQL and as bools or 0/1 on SQLite (Django's converter applies to
    columns whose declared type is bool; a UNION's columns take the first branch's): `bool()` makes them
    alike. NULL is None, an unset value.
    """
    email_opt_out, sms_opt_out, global_row, workflow_row, category_row, messaging_row = values
    return CustomerLayers(
        email_opt_out=bool(email_opt_out),
        sms_opt_out=bool(sms_opt_out),
        global_preference=_switches_of(global_row),
        workflow_preference=_switches_of(workflow_row),
        category_preference=_choice_of(category_row),
        messaging_default=_choice_of(messaging_row),
        tenant_defaults=tenant_defaults,
    )


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


def _switches_of(values: tuple | None) -> Switches | None:
    if values is None:
        return None
    enabled, *channels = values
    return Switches(enabled=_flag(enabled), channels=dict(zip(CHANNELS, map(_flag, channels), strict=True)))


def _choice_of(values: tuple | None) -> CategoryChoice | None:
    if values is None:
        return None
    *switches, digest = values
    return CategoryChoice(channels=dict(zip(CHANNEL_COLUMNS, map(_flag, switches), strict=True)), digest=digest)


