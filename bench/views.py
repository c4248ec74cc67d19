"""Hand-written twins: the same database work as the API, with no framework layers (the least-work limit
views, which do only the database work a job needs, are in bench/limit.py).

Routed only when PREFCENTER_BENCH_VIEWS=1 (config/urls.py), under /bench/hand/…, for
`python -m bench` to measure beside each API route. Each view authenticates with one
query (the API key with its tenant), parses JSON with `json.loads`, calls the same
selectors and services as the API view it shadows (so the same rows are read and
written, consent events included), builds its answer as a dict and returns it as JSON
encoded with orjson, as the API's renderer does. What it leaves out is what the ratio measures: DRF's request/response
cycle, content negotiation, the authentication/permission/throttle classes, field
selection, input serializers and output serializers, the idempotency guard.

Input checks are the minimum that keeps the services' contracts (right types); these
views are not an API and answer no error envelope beyond a status and a message.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from customers.models import Customer
from customers.selectors import customer_get
from customers.services import customer_update
from messaging.models import CHANNEL_COLUMNS, Category
from messaging.services import category_preference_set
from prefcenter.authentication import api_key_of, read_with_request
from prefcenter.channels import CHANNELS, DIGESTS
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.lookups import unique_or_none
from prefcenter.models import ConsentEvent, Tenant
from subscribers.models import Workflow
from subscribers.selectors.layers import customer_rows, locked_customer_rows
from subscribers.selectors.resolutions import customer_resolution_one, customer_resolutions
from subscribers.selectors.workflows import workflow_find, workflow_of_id
from subscribers.services.preferences import workflow_preference_update

REACH_FIELDS = {"email": "email", "phone": "phone", "firstName": "first_name", "lastName": "last_name",
                "emailOptOut": "email_opt_out", "smsOptOut": "sms_opt_out"}
MESSAGING_FIELDS = tuple(CHANNEL_COLUMNS.values())


class JsonResponse(HttpResponse):
    """A JSON answer encoded with orjson, like the API's renderer (prefcenter/renderers.py)."""

    def __init__(self, data: Any, status: int = 200):
        super().__init__(orjson.dumps(data), status=status, content_type="application/json")


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _caller(request: HttpRequest) -> tuple[Tenant, Actor]:
    """The API key's tenant and the actor for consent events, in one query."""
    _scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    key = api_key_of(raw.strip()) if raw else None
    if key is None or not key.is_active or key.tenant is None:
        raise Refused(401, "Invalid API key.")
    actor = Actor.from_request(request, label=f"api_key:{key.prefix}", source=ConsentEvent.SOURCE_API)
    return read_with_request(key.tenant), actor


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise Refused(400, "Malformed JSON.") from exc
    if not isinstance(body, dict):
        raise Refused(400, "The body must be an object.")
    return body


def _customer(tenant: Tenant, *, external_id: str, for_update: bool = False) -> Customer:
    """The customer (locked for a write, in its transaction, as the API's writes read it: once), by the API's
    own compiled lookup (prefcenter/prepared.py): the same statement, not another one."""
    try:
        return customer_get(tenant=tenant, external_id=external_id, for_update=for_update)
    except PrefCenterError as exc:
        raise Refused(404, "Customer not found.") from exc


def _workflow(tenant: Tenant, ref: str, *, allow_id: bool = False, from_catalog: bool = False) -> Workflow:
    workflow = workflow_find(tenant=tenant, ref=ref, allow_id=allow_id, from_catalog=from_catalog)
    if workflow is None:
        raise Refused(404, "Workflow not found.")
    return workflow


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise Refused(400, f"{name} must be a boolean.")
    return value


def hand_view(method: str):
    """One HTTP method, CSRF exempt (API keys, not cookies), Refused → JSON status."""

    def wrap(view):
        @csrf_exempt
        def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method != method:
                return JsonResponse({"detail": "Method not allowed."}, status=405)
            try:
                return view(request, *args, **kwargs)
            except Refused as exc:
                return JsonResponse({"detail": str(exc)}, status=exc.status)

        return handler

    return wrap


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _novu_workflows(resolution) -> dict[str, Any]:
    """The Novu `{global, workflows[]}` body from one customer's resolution."""
    def block(decisions, channels):
        return {channel: decisions[channel].allowed for channel in CHANNELS if channel in channels}

    global_channels = block(resolution.global_decisions, CHANNELS)
    workflows = []
    for item in resolution.workflows:
        channels = item.facts.channels
        workflows.append({
            "enabled": any(item.decisions[c].allowed for c in channels),
            "channels": block(item.decisions, channels),
            "overrides": [{"channel": c, "source": item.decisions[c].source} for c in CHANNELS if c in channels],
            "workflow": {"slug": item.workflow.slug, "identifier": item.workflow.identifier,
                         "name": item.workflow.name, "updatedAt": item.updated_at or _iso(item.workflow.updated_at)},
        })
    return {"global": {"enabled": any(global_channels.values()), "channels": global_channels}, "workflows": workflows}


# ----------------------------------------------------------------------------- writes


@hand_view("PATCH")
def reach_customer_patch(request: HttpRequest, external_id: str) -> JsonResponse:
    """Reach PATCH /api/resources/customers/{externalId}: incremental update of the customer."""
    tenant, actor = _caller(request)
    data = _json(request).get("data")
    if not isinstance(data, dict) or set(data) - set(REACH_FIELDS):
        raise Refused(400, f"data must be an object of: {', '.join(REACH_FIELDS)}.")
    for name in ("emailOptOut", "smsOptOut"):
        if name in data:
            _bool(data[name], name)
    with transaction.atomic():
        customer = _customer(tenant, for_update=True, external_id=external_id)
        customer = customer_update(customer=customer, actor=actor, locked=True,
                                   **{REACH_FIELDS[k]: v for k, v in data.items()})
    result = {"id": str(customer.uuid), "data": {
        "customerId": customer.external_id, "email": customer.email, "phone": customer.phone,
        "firstName": customer.first_name, "lastName": customer.last_name,
        "emailOptOut": customer.email_opt_out, "smsOptOut": customer.sms_opt_out,
        "createdAt": _iso(customer.source_created_at),
    }, "createdAt": _iso(customer.created_at), "updatedAt": _iso(customer.updated_at)}
    return JsonResponse({"success": True, "message": "Customer updated successfully",
                         "data": {"result": result, "included": []}})


@hand_view("PUT")
def messaging_preference_put(request: HttpRequest) -> JsonResponse:
    """PUT /v1/messaging/preferences for the customer named by Prefcenter-Customer (provider mode)."""
    tenant, actor = _caller(request)
    body = _json(request)
    values = {field: _bool(body.get(field, True), field) for field in MESSAGING_FIELDS}
    values["digest"] = body.get("digest", "instant")
    if values["digest"] not in DIGESTS:
        raise Refused(400, "Unknown digest.")
    key = body.get("category")
    with transaction.atomic():
        customer = _customer(tenant, for_update=True, external_id=request.META.get("HTTP_PREFCENTER_CUSTOMER", ""))
        category = None
        if key not in (None, "", "null"):
            category = unique_or_none(Category.objects.filter(tenant=tenant, key=key))
            if category is None:
                raise Refused(404, "Category not found.")
        preference, _ = category_preference_set(tenant=tenant, customer=customer, category=category, actor=actor,
                                                locked=True, **values)
    return JsonResponse({
        "id": str(preference.public_id), "object": "notification_preference", "category": key,
        **{field: getattr(preference, field) for field in (*MESSAGING_FIELDS, "digest")},
        "created_at": _iso(preference.created_at), "updated_at": _iso(preference.updated_at),
    })


def _channels(body: dict[str, Any]) -> dict[str, bool | None]:
    channels = body.get("channels")
    if not isinstance(channels, dict) or set(channels) - set(CHANNELS):
        raise Refused(400, "channels must be an object of known channels.")
    for name, value in channels.items():
        if value is not None:
            _bool(value, name)
    return channels


@hand_view("PATCH")
def novu_preferences_patch(request: HttpRequest, subscriber_id: str) -> JsonResponse:
    """Novu PATCH /v2/subscribers/{subscriberId}/preferences; answers the whole `{global, workflows}` body."""
    tenant, actor = _caller(request)
    body = _json(request)
    channels = _channels(body)
    with transaction.atomic():
        customer = _customer(tenant, for_update=True, external_id=subscriber_id)
        workflow = (_workflow(tenant, str(body["workflowId"]), allow_id=True, from_catalog=True)
                    if body.get("workflowId") else None)
        rows = customer_rows(tenant=tenant, customer=customer, for_update=True)
        rows.put([workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels=channels,
                                             actor=actor, existing=rows.workflows)])
    return JsonResponse(_novu_workflows(customer_resolutions(tenant=tenant, customer=customer, rows=rows)))


@hand_view("PATCH")
def teamup_preference_patch(request: HttpRequest, customer_id: str, preference_id: str) -> JsonResponse:
    """TeamUp PATCH /api/v2/customers/{id}/notification_preferences/{notification_preference_id}.

    Like the API view it reads the customer (locked) and the rows once, resolves the preference
    before the change (to refuse channels that are not capable or not toggleable) and again after
    it from the same rows (the answer).
    """
    tenant, actor = _caller(request)
    body = _json(request)
    channels = {}
    for channel in ("sms", "email"):
        if f"{channel}_enabled" in body:
            channels[channel] = _bool(body[f"{channel}_enabled"], f"{channel}_enabled")
    with transaction.atomic():
        workflow = workflow_of_id(tenant=tenant, pk=int(preference_id))
        if workflow is None:
            raise Refused(404, "Workflow not found.")
        found = locked_customer_rows(tenant=tenant, customer_pk=int(customer_id), workflow=workflow)
        if found is None:
            raise Refused(404, "Customer not found.")
        customer, rows = found
        item = customer_resolution_one(tenant=tenant, customer=customer, workflow=workflow, rows=rows)
        for channel, wanted in channels.items():
            if (wanted and not item.capabilities[channel].capable) or not item.toggleability[channel].toggleable:
                raise Refused(400, f"{channel} cannot be changed.")
        rows.put([workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels=channels,
                                             actor=actor, existing=rows.workflows)])
        item = customer_resolution_one(tenant=tenant, customer=customer, workflow=workflow, rows=rows)
    return JsonResponse({
        "id": workflow.pk, "object": "customer_notification_preference", "type": workflow.identifier,
        "description": workflow.description,
        "sms_enabled": item.decisions["sms"].allowed, "email_enabled": item.decisions["email"].allowed,
        "capabilities": {c: {"capable": v.capable, "reasons": list(v.reasons)} for c, v in item.capabilities.items()},
        "toggleability": {c: {"toggleable": v.toggleable, "reason": v.reason} for c, v in item.toggleability.items()},
    })


# ----------------------------------------------------------------------------- reads


@hand_view("GET")
def novu_preferences_get(request: HttpRequest, subscriber_id: str) -> JsonResponse:
    """Novu GET /v2/subscribers/{subscriberId}/preferences: every workflow of the catalog resolved."""
    tenant, _actor = _caller(request)
    customer = _customer(tenant, external_id=subscriber_id)
    return JsonResponse(_novu_workflows(customer_resolutions(tenant=tenant, customer=customer)))


@hand_view("POST")
def deliveries_evaluate(request: HttpRequest) -> JsonResponse:
    """POST /v1/deliveries/evaluate: the same `evaluate()` as the API view (3 queries, memoized decisions)."""
    from subscribers.evaluation.deliveries import evaluate

    tenant, _actor = _caller(request)
    body = _json(request)
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not all(isinstance(r, str) and r for r in recipients):
        raise Refused(400, "recipients must be a list of external ids.")
    workflow = _workflow(tenant, str(body.get("workflow") or ""))
    return JsonResponse(evaluate(tenant=tenant, workflow=workflow, recipients=recipients, channels=None))


@hand_view("GET")
def selfservice_page(request: HttpRequest, token: str) -> JsonResponse:
    """The self-service page's data (GET /p/<token>/): verify the signed link, build the same page state,
    answer it as JSON instead of rendering the template and its form."""
    from selfservice.links import PURPOSE_PREFERENCES, InvalidLink, link_verify
    from selfservice.state.page import page_state

    try:
        grant = link_verify(token, purpose=PURPOSE_PREFERENCES)
    except InvalidLink as exc:
        raise Refused(404, "This link is not valid.") from exc
    state = page_state(customer=grant.customer)
    return JsonResponse({
        "customer": grant.customer.external_id,
        "controls": [{"name": c.name, "checked": c.checked, "editable": c.editable, "note": c.note}
                     for c in state.controls()],
    })
