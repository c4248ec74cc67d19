"""The limit of this stack: hand-written views doing the least database work each job needs (issue 16).

The twins in bench/views.py call the same selectors and services as the API, so their
ratio says what the framework layer costs, not whether that database work is needed.
These views answer that second question. Each is a plain Django function view under the
same gunicorn, with **no authentication, no idempotency, no ledger and no validation**
beyond what the SQL needs: the tenant is named by the `Bench-Tenant` header (its id),
the row is changed with one UPDATE (or, when the customer has no row yet, one
INSERT … SELECT), and the row is read back with one SELECT and answered as JSON
(orjson, as the API's renderer does):

| job | statements |
|---|---|
| TeamUp PATCH | UPDATE (INSERT when absent) of the workflow preference row, SELECT of that row |
| messaging PUT | UPDATE (INSERT when absent) of the category preference row, SELECT of that row |
| Reach PATCH | UPDATE of the customer row, SELECT of that row |
| Novu GET | 3 SELECTs (customer, the tenant's workflows, the customer's preference rows), a dict per workflow |
| Novu PATCH | UPDATE (INSERT when absent) of the workflow preference row, then the Novu GET's reads and dicts |

Novu PATCH answers `{global, workflows[]}` with every workflow (the contract's answer), so
its least work includes the GET's reads; the SELECT of the changed row is among them.
Every value comes from the request, and the bench sends values that differ from the stored
ones, so every write really changes its row. Statements run in autocommit (one commit per
write), as short as a write can be. Effective values are the stored choice, else the
workflow's default, else true: the least a preference answer can show, not the rules.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS
from subscribers.models import Workflow, WorkflowPreference

WP = WorkflowPreference._meta.db_table
CP = CategoryPreference._meta.db_table
CUSTOMER = Customer._meta.db_table
CATEGORY = Category._meta.db_table
WORKFLOW = Workflow._meta.db_table
MESSAGING_FIELDS = ("in_app_enabled", "email_enabled", "push_enabled", "digest")


def _answer(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def _tenant(request: HttpRequest) -> int:
    return int(request.META["HTTP_BENCH_TENANT"])


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def limit_view(method: str):
    def wrap(view):
        @csrf_exempt
        def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                return _answer({"detail": "Method not allowed."}, status=405)
            return view(request, *args, **kwargs)

        return handler

    return wrap


def _row(cursor) -> dict[str, Any] | None:
    row = cursor.fetchone()
    if row is None:
        return None
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _workflow_channel_set(cursor, *, tenant: int, customer_sql: str, customer_params: list, workflow_sql: str,
                          workflow_params: list, channel: str, value: bool) -> None:
    """One workflow preference value: UPDATE the row, or INSERT it when the customer has none."""
    now = _now()
    cursor.execute(
        f"UPDATE {WP} SET {channel} = %s, updated_at = %s WHERE tenant_id = %s "
        f"AND customer_id = ({customer_sql}) AND workflow_id = ({workflow_sql})",
        [value, now, tenant, *customer_params, *workflow_params],
    )
    if cursor.rowcount == 0:
        cursor.execute(
            f"INSERT INTO {WP} (tenant_id, customer_id, workflow_id, {channel}, created_at, updated_at) "
            f"SELECT %s, ({customer_sql}), ({workflow_sql}), %s, %s, %s",
            [tenant, *customer_params, *workflow_params, value, now, now],
        )


# ----------------------------------------------------------------------------- writes


@limit_view("PATCH")
def teamup_preference_patch(request: HttpRequest, customer_id: str, preference_id: str) -> HttpResponse:
    """TeamUp PATCH: the workflow preference's email/sms switch, UPDATE (or INSERT) + SELECT of the row."""
    tenant = _tenant(request)
    body = orjson.loads(request.body)
    with connection.cursor() as cursor:
        for channel in ("email", "sms"):
            if f"{channel}_enabled" in body:
                _workflow_channel_set(
                    cursor, tenant=tenant, customer_sql="%s", customer_params=[int(customer_id)],
                    workflow_sql="%s", workflow_params=[int(preference_id)], channel=channel,
                    value=bool(body[f"{channel}_enabled"]),
                )
        cursor.execute(
            f"SELECT workflow_id AS id, email, sms FROM {WP} WHERE tenant_id = %s AND customer_id = %s "
            "AND workflow_id = %s", [tenant, int(customer_id), int(preference_id)],
        )
        row = _row(cursor)
    return _answer({"id": row["id"], "email_enabled": row["email"], "sms_enabled": row["sms"]})


@limit_view("PUT")
def messaging_preference_put(request: HttpRequest) -> HttpResponse:
    """messaging PUT: the customer's category preference, UPDATE (or INSERT) + SELECT of the row."""
    tenant = _tenant(request)
    body = orjson.loads(request.body)
    external_id = request.META.get("HTTP_PREFCENTER_CUSTOMER", "")
    values = [body.get(name, True) if name != "digest" else body.get("digest", "instant") for name in MESSAGING_FIELDS]
    customer_sql = f"SELECT id FROM {CUSTOMER} WHERE tenant_id = %s AND external_id = %s"
    category_sql = f"SELECT id FROM {CATEGORY} WHERE tenant_id = %s AND {connection.ops.quote_name('key')} = %s"
    keys = [tenant, external_id, tenant, body["category"]]
    now = _now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CP} SET {', '.join(f'{name} = %s' for name in MESSAGING_FIELDS)}, updated_at = %s "
            f"WHERE tenant_id = %s AND customer_id = ({customer_sql}) AND category_id = ({category_sql})",
            [*values, now, tenant, *keys],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {CP} (public_id, tenant_id, customer_id, category_id, {', '.join(MESSAGING_FIELDS)}, "
                f"created_at, updated_at) SELECT %s, %s, ({customer_sql}), ({category_sql}), %s, %s, %s, %s, %s, %s",
                [uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4(), tenant, *keys, *values, now,
                 now],
            )
        cursor.execute(
            f"SELECT public_id, {', '.join(MESSAGING_FIELDS)}, created_at, updated_at FROM {CP} "
            f"WHERE tenant_id = %s AND customer_id = ({customer_sql}) AND category_id = ({category_sql})",
            [tenant, *keys],
        )
        row = _row(cursor)
    row["id"] = str(uuid.UUID(str(row.pop("public_id"))))
    return _answer({**row, "category": body["category"]})


@limit_view("PATCH")
def reach_customer_patch(request: HttpRequest, external_id: str) -> HttpResponse:
    """Reach PATCH of `emailOptOut`: UPDATE of the customer row + SELECT of it."""
    tenant = _tenant(request)
    opted_out = bool(orjson.loads(request.body)["data"]["emailOptOut"])
    now = _now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CUSTOMER} SET email_opt_out = %s, email_opt_out_at = %s, updated_at = %s "
            "WHERE tenant_id = %s AND external_id = %s",
            [opted_out, now if opted_out else None, now, tenant, external_id],
        )
        cursor.execute(
            f"SELECT uuid, external_id, email, phone, first_name, last_name, email_opt_out, sms_opt_out, "
            f"created_at, updated_at FROM {CUSTOMER} WHERE tenant_id = %s AND external_id = %s",
            [tenant, external_id],
        )
        row = _row(cursor)
    row["uuid"] = str(row["uuid"])
    return _answer({"success": True, "data": {"result": row}})


# ----------------------------------------------------------------------------- Novu: the 200 workflows


def _novu_preferences(tenant: int, external_id: str) -> dict[str, Any]:
    """3 SELECTs (customer, workflows, preference rows), one plain dict per workflow."""
    customer = (
        Customer.objects.filter(tenant_id=tenant, external_id=external_id)
        .values_list("id", "email_opt_out", "sms_opt_out").first()
    )
    workflows = Workflow.objects.filter(tenant_id=tenant).values_list(
        "id", "identifier", "slug", "name", "channels", "defaults", "critical", "updated_at"
    )
    rows = {
        row[0]: row[1:]
        for row in WorkflowPreference.objects.filter(tenant_id=tenant, customer_id=customer[0]).values_list(
            "workflow_id", "enabled", *CHANNELS
        )
    }
    blocked = {"email": customer[1], "sms": customer[2]}
    global_row = rows.get(None)

    def value(row, defaults, channel, index) -> bool:
        if blocked.get(channel):
            return False
        if row is not None and row[index] is not None:
            return row[index]
        if global_row is not None and global_row[index] is not None:
            return global_row[index]
        return defaults.get(channel, True)

    answer = []
    for pk, identifier, slug, name, channels, defaults, critical, updated_at in workflows:
        row = rows.get(pk)
        values = {c: critical or value(row, defaults, c, i) for i, c in enumerate(CHANNELS, 1) if c in channels}
        answer.append({
            "enabled": any(values.values()), "channels": values,
            "workflow": {"slug": slug, "identifier": identifier, "name": name, "updatedAt": updated_at.isoformat()},
        })
    global_channels = {c: value(None, {}, c, i) for i, c in enumerate(CHANNELS, 1)}
    return {"global": {"enabled": any(global_channels.values()), "channels": global_channels}, "workflows": answer}


@limit_view("GET")
def novu_preferences_get(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    return _answer(_novu_preferences(_tenant(request), subscriber_id))


@limit_view("PATCH")
def novu_preferences_patch(request: HttpRequest, subscriber_id: str) -> HttpResponse:
    """Novu PATCH of one workflow's channels: UPDATE (or INSERT) of the row, then the GET's reads."""
    tenant = _tenant(request)
    body = orjson.loads(request.body)
    if set(body["channels"]) - set(CHANNELS):
        return _answer({"detail": "Unknown channel."}, status=400)
    with connection.cursor() as cursor:
        for channel, wanted in body["channels"].items():
            _workflow_channel_set(
                cursor, tenant=tenant,
                customer_sql=f"SELECT id FROM {CUSTOMER} WHERE tenant_id = %s AND external_id = %s",
                customer_params=[tenant, subscriber_id],
                workflow_sql=f"SELECT id FROM {WORKFLOW} WHERE tenant_id = %s AND identifier = %s",
                workflow_params=[tenant, body["workflowId"]], channel=channel, value=bool(wanted),
            )
    return _answer(_novu_preferences(tenant, subscriber_id))
