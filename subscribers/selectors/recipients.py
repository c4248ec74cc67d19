"""Many recipients for one workflow, by external id: the read behind `POST /v1/deliveries/evaluate`.

Up to 10,000 recipients in one statement, grouped by value in the database (docs/bench.md, issue 16);
the rows become the same `CustomerLayers` as subscribers/selectors/layers.py builds for one customer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection

from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.models import Tenant
from subscribers.models import SubscriberProfile, Workflow, WorkflowPreference
from subscribers.resolution import CustomerLayers
from subscribers.schedule import DeliveryWindow
from subscribers.selectors.layers import CATEGORY_PREF_VALUES, WORKFLOW_PREF_VALUES, choice_of, switches_of
from subscribers.selectors.schedule import window_of


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
    customer_groups, row_groups, window_groups = _evaluation_rows(
        tenant=tenant, workflow=workflow, external_ids=wanted, timing=timing
    )
    known: set[int] = set().union(*(ids for _opt_outs, _window, ids, _exts in customer_groups))
    # The few recipients with explicit rows (most have none): their four rows, by kind.
    rows_of: dict[int, list] = {}
    for kind, values, ids in row_groups:
        for customer_id in known.intersection(ids):
            rows = rows_of.get(customer_id)
            if rows is None:
                rows = rows_of[customer_id] = [None, None, None, None]
            rows[kind] = values
    tenant_defaults = dict(tenant.channel_defaults or {})
    shared: dict[tuple, CustomerLayers] = {}

    def layers_of(opt_outs: tuple, rows: tuple) -> CustomerLayers:
        key = (opt_outs, rows)
        layers = shared.get(key)
        if layers is None:
            layers = shared[key] = _layers_of_values(opt_outs, rows, tenant_defaults)
        return layers

    found: dict[str, CustomerLayers] = {}
    windows: dict[str, DeliveryWindow] = {}
    for opt_outs, window_values, ids, external_ids_of_group in customer_groups:
        members = dict.fromkeys(external_ids_of_group, layers_of(opt_outs, _NO_ROWS))
        explicit = rows_of.keys() & ids
        if explicit:
            external_id_of = dict(zip(ids, external_ids_of_group, strict=True))
            for customer_id in explicit:
                members[external_id_of[customer_id]] = layers_of(opt_outs, tuple(rows_of[customer_id]))
        found.update(members)
        window = window_of(tenant, *window_values) if timing else None
        if window is not None and window.restricts:
            windows.update(dict.fromkeys(external_ids_of_group, window))
    # Profiles read set-wise (few in the database): the tenant's, recipients or not.
    restricting = [(window, ids) for values, ids in window_groups if (window := window_of(tenant, *values)).restricts]
    if restricting:
        external_id_of = {}
        for _opt_outs, _window, ids, external_ids_of_group in customer_groups:
            external_id_of.update(zip(ids, external_ids_of_group, strict=True))
        for window, ids in restricting:
            windows.update(dict.fromkeys(map(external_id_of.__getitem__, known.intersection(ids)), window))
    ordered = list(filter(found.__contains__, wanted))  # the order given, unknown ones left out
    return dict(zip(ordered, map(found.__getitem__, ordered), strict=True)), windows


_NO_ROWS = (None, None, None, None)
TIMING_COLUMNS = 4

# From this many recipients the preference rows of the workflow are read whole (a few contiguous index ranges,
# joined to the customers in Python); below it, only the rows of the recipients (index searches per customer).
# The first costs what the tenant's rows for this workflow number, the second 4 searches per recipient.
SETWISE_RECIPIENTS = 1_000
# Below this many subscriber profiles per recipient in the database (all tenants), the tenant's restricting profiles
# are read whole (a scan of the profiles) instead of probing each recipient's (a search per recipient).
SETWISE_PROFILES = 1


def _evaluation_rows(
    *, tenant: Tenant, workflow: Workflow, external_ids: list[str], timing: bool = False
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The known customers, their rows for one workflow and (`timing`) windows, grouped by value, in 1 statement.

    Returns the customers as groups `((email_opt_out, sms_opt_out), window values, ids, external ids)`: one
    per distinct opt-outs and (`timing`) zone, schedule and quiet hours (times as text, read only for
    customers with a profile), and their rows as groups `(kind, values, customer ids)`: one per kind (the
    global switch row, the row for this workflow, the category preference for the workflow's category,
    the messaging default: `_GLOBAL`… `_MESSAGING`) and distinct values (`WORKFLOW_PREF_VALUES` /
    `CATEGORY_PREF_VALUES`, None for unset). The partial unique constraints guarantee at most one row of
    each kind per customer; rows of customers not among the recipients may be in the groups. When profiles
    are few (SQLite: see the timing branches) the windows come apart from the customers (whose window values
    are then all None), as groups `(window values, customer ids)` of the tenant's restricting profiles,
    recipients or not; otherwise that third list is empty.

    The statement is a UNION ALL of the customers found by external id and the four kinds of rows. From
    `SETWISE_RECIPIENTS` recipients each kind of row is read as one range of an index (4 index searches per
    recipient, as left joins did, cost more than the whole range of this workflow's rows: docs/bench.md);
    below it, each recipient's rows are found by the partial unique indexes. Grouping in the database
    returns a few dozen rows instead of one per recipient and row, and switches travel packed in one
    integer (base 3: false, true, unset), not as one column each: fetching rows is most of the cost.
    """
    quote = connection.ops.quote_name
    customers = quote(Customer._meta.db_table)
    workflow_prefs = quote(WorkflowPreference._meta.db_table)
    category_prefs = quote(CategoryPreference._meta.db_table)
    profiles = quote(SubscriberProfile._meta.db_table)
    postgres = connection.vendor == "postgresql"
    if postgres:
        member, ids = "= ANY(%s)", external_ids
        collect, as_int, join = "array_agg", "::int", "JOIN"
    else:
        member, ids = "IN (SELECT value FROM json_each(%s))", json.dumps(external_ids)
        # SQLite keeps a CROSS JOIN's order: the recipients first, then each one's rows.
        collect, as_int, join = "json_group_array", "", "CROSS JOIN"
    setwise = len(external_ids) >= SETWISE_RECIPIENTS

    def packed(alias: str, names: tuple[str, ...]) -> str:
        return " + ".join(f"{3**n} * COALESCE({alias}.{quote(name)}{as_int}, 2)" for n, name in enumerate(names))

    timing_nulls = ", NULL" * TIMING_COLUMNS if timing else ""

    def branch(kind: int, table: str, switches: tuple[str, ...], digest: str, condition: str) -> str:
        # Columns: kind, packed switches, digest, customer ids, external ids, the timing columns.
        columns = f"{kind}, {packed('x', switches)}, {digest}, {collect}(x.customer_id), NULL{timing_nulls}"
        if setwise:
            source = f"{table} x WHERE +x.tenant_id = %s AND x.{condition}"
        else:
            source = (
                f"{customers} c {join} {table} x ON x.customer_id = c.id AND +x.tenant_id = %s AND x.{condition} "
                f"WHERE c.tenant_id = %s AND c.external_id {member}"
            )
        return f"SELECT {columns} FROM {source} GROUP BY 2, 3"

    category_switches = CATEGORY_PREF_VALUES[:-1]
    opt_outs = (
        f"{_CUSTOMERS}, {packed('c', ('email_opt_out', 'sms_opt_out'))}, NULL, "
        f"{collect}(c.id), {collect}(c.external_id)"
    )
    found = f"c.tenant_id = %s AND c.external_id {member}"
    timing_params: list = []
    if not timing:
        customer_branches = [f"SELECT {opt_outs} FROM {customers} c WHERE {found} GROUP BY 2"]
    else:
        # The zone only for customers with a profile. On SQLite by a subquery: in a grouped query it reads the row of
        # every customer for `c.timezone`, even where CASE does not need it. Not on PostgreSQL: its estimate of the
        # subquery per customer passes the JIT threshold (40 ms of compiling).
        zone = "c.timezone" if postgres else f"(SELECT z.timezone FROM {customers} z WHERE z.id = c.id)"
        stored = "CAST(p.schedule AS TEXT), CAST(p.quiet_hours_start AS TEXT), CAST(p.quiet_hours_end AS TEXT)"

        def probed(gate: str) -> str:
            return (
                f"SELECT {opt_outs}, CASE WHEN p.customer_id IS NOT NULL THEN {zone} END, {stored} "
                f"FROM {gate}{customers} c LEFT JOIN {profiles} p ON p.customer_id = c.id WHERE {found} "
                "GROUP BY 2, 6, 7, 8, 9"
            )

        if postgres:
            # Each recipient's profile by a left join: PostgreSQL hashes the profiles (next to nothing when there are
            # few), and a second branch would plan the array of external ids twice (≈ 6 ms each at 10,000).
            customer_branches, timing_params = [probed("")], [tenant.pk, ids]
        else:
            # A left join probes each recipient's profile: ≈ 5 ms at 10,000 recipients, even with no profile at all
            # (docs/bench.md). So the customers are read by one of two branches, each gated by a one-row source first
            # in a CROSS JOIN (SQLite keeps its order; a constant WHERE condition would be tested per row), true when
            # the database holds fewer profiles (all tenants', counted up to the bound) than `SETWISE_PROFILES` per
            # recipient or not. Few: the customers without a join, and the tenant's restricting profiles as one more
            # group (a scan of the profiles, each customer found by its key). Many: the left join.
            bound = len(external_ids) * SETWISE_PROFILES
            few = f"(SELECT COUNT(*) FROM (SELECT customer_id FROM {profiles} LIMIT %s) counted) < %s"
            if_few, if_many = (f"(SELECT 1 AS one WHERE {negated}{few}) g CROSS JOIN " for negated in ("", "NOT "))
            customer_branches = [
                probed(if_many),
                f"SELECT {opt_outs}{timing_nulls} FROM {if_few}{customers} c WHERE {found} GROUP BY 2",
                f"SELECT {_WINDOWS}, NULL, NULL, {collect}(c.id), NULL, c.timezone, {stored} "
                f"FROM {if_few}{profiles} p CROSS JOIN {customers} c WHERE c.id = p.customer_id AND c.tenant_id = %s "
                "AND (p.schedule IS NOT NULL OR p.quiet_hours_start IS NOT NULL) GROUP BY 6, 7, 8, 9",
            ]
            timing_params = [
                bound, bound, tenant.pk, ids,
                bound, bound, tenant.pk, ids,
                bound, bound, tenant.pk,
            ]
    sql = " UNION ALL ".join(
        [
            # First: PostgreSQL types a UNION's columns pair by pair from the left (an array, not NULL's text).
            *customer_branches,
            branch(_GLOBAL, workflow_prefs, WORKFLOW_PREF_VALUES, "NULL", "workflow_id IS NULL"),
            branch(_WORKFLOW, workflow_prefs, WORKFLOW_PREF_VALUES, "NULL", "workflow_id = %s"),
            # A workflow without a category reads no category row (`= NULL` matches nothing).
            branch(_CATEGORY, category_prefs, category_switches, "x.digest", "category_id = %s"),
            branch(_MESSAGING, category_prefs, category_switches, "x.digest", "category_id IS NULL"),
        ]
    )
    # The tenant condition on each kind of row is a guard (a customer's rows are its tenant's: the services
    # check it), written `+x.tenant_id` so that SQLite reads the workflow's (category's) range of rows, or the
    # customer's partial unique index entry, not every row of the tenant.
    recipients = [] if setwise else [tenant.pk, ids]
    params = [
        *(timing_params or [tenant.pk, ids]),
        tenant.pk, *recipients,
        tenant.pk, workflow.pk, *recipients,
        tenant.pk, workflow.category_id, *recipients,
        tenant.pk, *recipients,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    decode = (lambda value: value) if postgres else json.loads
    customer_groups: list[tuple] = []
    row_groups: list[tuple] = []
    window_groups: list[tuple] = []
    for kind, code, digest, customer_ids, external_ids_of_group, *window in rows:
        if kind == _WINDOWS:
            window_groups.append((tuple(window), decode(customer_ids)))
        elif kind == _CUSTOMERS:
            customer_groups.append((_unpacked(code, 2), tuple(window), decode(customer_ids),
                                    decode(external_ids_of_group)))
        elif kind <= _WORKFLOW:
            row_groups.append((kind, _unpacked(code, len(WORKFLOW_PREF_VALUES)), decode(customer_ids)))
        else:
            row_groups.append((kind, (*_unpacked(code, len(category_switches)), digest), decode(customer_ids)))
    return customer_groups, row_groups, window_groups


_GLOBAL, _WORKFLOW, _CATEGORY, _MESSAGING, _CUSTOMERS, _WINDOWS = range(6)
_DIGIT = (False, True, None)


def _unpacked(code: int, size: int) -> tuple[bool | None, ...]:
    """The switches `packed` into one integer, base 3 (0 false, 1 true, 2 unset), first switch lowest."""
    values = []
    for _ in range(size):
        code, digit = divmod(code, 3)
        values.append(_DIGIT[digit])
    return tuple(values)


def _layers_of_values(opt_outs: tuple, rows: tuple, tenant_defaults: dict) -> CustomerLayers:
    """One group's `CustomerLayers` from its opt-outs and its four rows' values (None: no row)."""
    (email_opt_out, sms_opt_out), (global_row, workflow_row, category_row, messaging_row) = opt_outs, rows
    return CustomerLayers(
        email_opt_out=email_opt_out,
        sms_opt_out=sms_opt_out,
        global_preference=switches_of(global_row),
        workflow_preference=switches_of(workflow_row),
        category_preference=choice_of(category_row),
        messaging_default=choice_of(messaging_row),
        tenant_defaults=tenant_defaults,
    )
