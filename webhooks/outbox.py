"""The transactional outbox: every consent change becomes webhook deliveries in its own transaction.

`outbox_write` is a ledger listener (prefcenter/ledger.py): `record()` calls it with the
events one change wrote, inside the change's transaction, so a change and its deliveries
commit or roll back together. One `record()` call (one change to one customer's subject)
becomes at most one event per type, and one delivery row per subscribed endpoint.

Which ledger events mean what:
- `customer.deleted`: the customer's `deleted` (or `erased`) flag set.
- `customer.opted_out` / `customer.opted_in`: an existing customer's `email_opt_out` or
  `sms_opt_out` turned on / off (`channels` names which). A new customer's initial flags are
  in the ledger but are not announced: there is no opt-in or opt-out to tell.
- `preference.updated`: any change to a preference subject (`category:…`, `workflow:…`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from prefcenter.ledger import ErasedCustomer
from prefcenter.models import ConsentEvent
from webhooks.models import (
    EVENT_DELETED,
    EVENT_OPTED_IN,
    EVENT_OPTED_OUT,
    EVENT_PREFERENCE_UPDATED,
    WebhookDelivery,
    WebhookEndpoint,
)

CUSTOMER_SUBJECT = "customer"
OPT_OUT_FIELDS = {"email_opt_out": "email", "sms_opt_out": "sms"}
DELETION_FIELDS = ("deleted", "erased")


def webhook_events(events: list[ConsentEvent]) -> list[tuple[str, dict[str, Any]]]:
    """The (event type, data) pairs that one record() call's events announce; a pure function."""
    announced: list[tuple[str, dict[str, Any]]] = []
    customer_events = [e for e in events if e.subject == CUSTOMER_SUBJECT]
    fields = {e.field for e in customer_events}
    if any(e.field in DELETION_FIELDS and e.new_value for e in customer_events):
        announced.append((EVENT_DELETED, {}))
    elif "created" not in fields:
        opted_out = [OPT_OUT_FIELDS[e.field] for e in customer_events if e.field in OPT_OUT_FIELDS and e.new_value]
        opted_in = [
            OPT_OUT_FIELDS[e.field]
            for e in customer_events
            if e.field in OPT_OUT_FIELDS and e.new_value is False and e.old_value is not None
        ]
        if opted_out:
            announced.append((EVENT_OPTED_OUT, {"channels": opted_out}))
        if opted_in:
            announced.append((EVENT_OPTED_IN, {"channels": opted_in}))
    preference_events = [e for e in events if e.subject != CUSTOMER_SUBJECT]
    if preference_events:
        changes = [
            {"subject": e.subject, "field": e.field, "old": e.old_value, "new": e.new_value}
            for e in preference_events
        ]
        announced.append((EVENT_PREFERENCE_UPDATED, {"changes": changes}))
    return announced


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def message_body(*, event_type: str, events: list[ConsentEvent], data: dict[str, Any]) -> str:
    """The JSON text sent (and signed) for one event: `{type, timestamp, data}` (Standard Webhooks' shape)."""
    first = events[0]
    payload = {
        "type": event_type,
        "timestamp": first.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "customer": {"id": first.customer_id, "external_id": first.customer_external_id},
            **data,
            "source": first.source,
            "actor": first.actor,
            "request_id": first.request_id,
            "ledger_event_ids": [e.pk for e in events if e.pk is not None],
        },
    }
    return _dumps(payload)


def body_pseudonymised(body: str, erased: ErasedCustomer) -> str:
    """A message body as it reads once its customer is erased: what the ledger rows it announces now say.

    `data.customer.external_id` becomes the pseudonym and `data.actor` is rewritten by the ledger's
    own rule (`customer:<id>` aliased, an SMS sender's number and message redacted); any other
    value in `data` equal to one of the person's identifiers is replaced too. Customer ids,
    consent values, timestamps and ledger event ids stay: the event still says what happened.
    """
    payload = json.loads(body)
    data = payload.get("data")
    if not isinstance(data, dict):
        return body
    if isinstance(data.get("actor"), str):
        data["actor"] = erased.actor(data["actor"], str(data.get("source", "")))
    payload["data"] = _replaced(data, erased)
    return _dumps(payload)


def _replaced(value: Any, erased: ErasedCustomer) -> Any:
    if isinstance(value, dict):
        return {key: _replaced(item, erased) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, erased) for item in value]
    if isinstance(value, str):
        if value == erased.external_id:
            return erased.pseudonym
        if value in erased.personal_values:
            return erased.redacted
    return value


def outbox_write(events: list[ConsentEvent]) -> None:
    """Ledger listener: queue the events' webhooks for the tenant's enabled, subscribed endpoints.

    No query when the tenant has no enabled endpoint for the change's event types (read from
    `Tenant.webhook_event_types`, loaded with the tenant); else one SELECT of its endpoints and
    one INSERT. Runs in the change's transaction: raising here rolls the change back.
    """
    if not events:
        return
    first = events[0]
    heard = set(first.tenant.webhook_event_types or ())
    announced = [(event_type, data) for event_type, data in webhook_events(events) if event_type in heard]
    if not announced:
        return  # no query: the tenant (loaded with the change) has no enabled endpoint for these types
    endpoints = list(
        WebhookEndpoint.objects.filter(tenant_id=first.tenant_id, enabled=True).only("id", "event_types")
    )
    rows = []
    for event_type, data in announced:
        subscribed = [endpoint for endpoint in endpoints if event_type in endpoint.event_types]
        if not subscribed:
            continue
        body = message_body(event_type=event_type, events=events, data=data)
        message_id = f"msg_{uuid.uuid4().hex}"
        rows += [
            WebhookDelivery(
                tenant_id=first.tenant_id,
                endpoint_id=endpoint.pk,
                message_id=message_id,
                event_type=event_type,
                customer_id=first.customer_id,
                customer_external_id=first.customer_external_id,
                body=body,
                next_attempt_at=first.created_at,
                created_at=first.created_at,
            )
            for endpoint in subscribed
        ]
    if rows:
        WebhookDelivery.objects.bulk_create(rows)
