"""Reads for compliance: a customer's consent record (GDPR Art. 7(1), 15, 20)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from compliance.services import pseudonym
from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter import ledger
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import ConsentEvent, Tenant
from subscribers.models import WorkflowPreference

HISTORY_FIELDS: tuple[str, ...] = ledger.CHECKSUM_FIELDS
WORKFLOW_SWITCHES: tuple[str, ...] = ("enabled", "email", "sms", "in_app", "chat", "push")


def consent_history(*, tenant: Tenant, external_id: str):
    """Every ledger event about this external id: under the id itself, and under its pseudonym if erased."""
    aliases = [external_id, pseudonym(tenant=tenant, external_id=external_id)]
    return ConsentEvent.objects.filter(tenant=tenant, customer_external_id__in=aliases).order_by("id")


def consent_export(*, tenant: Tenant, external_id: str) -> dict[str, Any]:
    """The customer's current explicit choices and their full ledger history, with the history's checksum.

    The checksum is `prefcenter.ledger.events_checksum` over exactly the exported events, the same
    row hashing as `manage.py ledger_checksum`: anyone holding the export can recompute it from the
    `history` rows, and an operator from the database (`manage.py consent_checksum`). A customer
    neither present nor in the ledger is a 404. Fixed number of queries.
    """
    customer = Customer.objects.filter(tenant=tenant, external_id=external_id).first()
    events = consent_history(tenant=tenant, external_id=external_id)
    rows = list(events.values(*HISTORY_FIELDS))
    if customer is None and not rows:
        raise PrefCenterError("Not found.", code="not_found", status=404)
    count, checksum = ledger.events_checksum(events)
    for row in rows:
        row["created_at"] = row["created_at"].astimezone(UTC).isoformat()
    return {
        "external_id": external_id,
        "tenant": tenant.slug,
        "current": _current(customer) if customer is not None else None,
        "history": rows,
        "checksum": {"algorithm": "sha256", "events": count, "value": checksum},
    }


def _current(customer: Customer) -> dict[str, Any]:
    categories = CategoryPreference.objects.filter(customer=customer).select_related("category").order_by("id")
    workflows = WorkflowPreference.objects.filter(customer=customer).select_related("workflow").order_by("id")
    return {
        "customer": {
            "email": customer.email,
            "phone": customer.phone,
            "locale": customer.locale,
            "email_opt_out": customer.email_opt_out,
            "email_opt_out_at": _iso(customer.email_opt_out_at),
            "sms_opt_out": customer.sms_opt_out,
            "sms_opt_out_at": _iso(customer.sms_opt_out_at),
        },
        "categories": [
            {
                "category": pref.category.key if pref.category_id else None,
                **pref.channel_values(),
                "digest": pref.digest,
                "updated_at": _iso(pref.updated_at),
            }
            for pref in categories
        ],
        "workflows": [
            {
                "workflow": pref.workflow.identifier if pref.workflow_id else None,
                **{switch: getattr(pref, switch) for switch in WORKFLOW_SWITCHES},
                "updated_at": _iso(pref.updated_at),
            }
            for pref in workflows
        ],
    }


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
