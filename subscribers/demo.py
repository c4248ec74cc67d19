"""Demo data of the subscribers app for `manage.py load_demo` (idempotent).

A handful of workflows for tenant acme (one critical, some with SMS) and a couple of
customers' choices. Categories come from the messaging demo when it is loaded (looked
up by key; a missing one leaves the workflow without a category). Existing rows are
left as they are, so re-running never undoes what someone changed.
"""

from __future__ import annotations

from customers.models import Customer
from messaging.models import Category
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from subscribers.models import Workflow, WorkflowPreference
from subscribers.services.catalog import workflow_create
from subscribers.services.preferences import workflow_preference_update

DEMO_WORKFLOWS = [
    {"identifier": "password-reset", "name": "Password reset", "category": "security", "critical": True,
     "channels": ["email", "sms"], "tags": ["account"],
     "description": "A link to choose a new password, sent when you ask for one."},
    {"identifier": "sign-in-alert", "name": "New sign-in", "category": "security",
     "channels": ["email", "sms", "push"], "tags": ["account", "security"],
     "description": "Tells you when your account is used from a new device."},
    {"identifier": "invoice-ready", "name": "Invoice ready", "category": "billing",
     "channels": ["email", "in_app"], "tags": ["billing"], "description": "Your monthly invoice is available."},
    {"identifier": "order-shipped", "name": "Order shipped", "channels": ["email", "sms", "push", "in_app"],
     "defaults": {"sms": False}, "tags": ["orders"], "description": "Your order is on its way."},
    {"identifier": "weekly-digest", "name": "Weekly digest", "category": "product-updates",
     "channels": ["email", "in_app"], "tags": ["news"], "description": "What changed this week."},
    {"identifier": "promotions", "name": "Promotions", "category": "marketing", "channels": ["email", "sms", "chat"],
     "defaults": {"sms": False, "chat": False}, "tags": ["marketing"], "description": "Offers and discounts."},
]

# (customer external id, workflow identifier or None for the global switch, channels)
DEMO_PREFERENCES = [
    ("cust-ada", "order-shipped", {"sms": True}),
    ("cust-grace", None, {"chat": False}),
    ("cust-alan", "weekly-digest", {"email": False}),
]


def load(tenant: Tenant) -> list[Workflow]:
    actor = Actor.system("demo")
    categories = {c.key: c for c in Category.objects.filter(tenant=tenant)}
    workflows = {}
    for spec in DEMO_WORKFLOWS:
        spec = dict(spec)
        existing = Workflow.objects.filter(tenant=tenant, identifier=spec["identifier"]).first()
        if existing is None:
            spec["category"] = categories.get(spec.pop("category", None) or "")
            existing = workflow_create(tenant=tenant, actor=actor, **spec)
        workflows[existing.identifier] = existing
    customers = {c.external_id: c for c in Customer.objects.filter(tenant=tenant)}
    for external_id, identifier, channels in DEMO_PREFERENCES:
        customer = customers.get(external_id)
        workflow = workflows.get(identifier) if identifier else None
        if customer is None or (identifier and workflow is None):
            continue
        if WorkflowPreference.objects.filter(customer=customer, workflow=workflow).exists():
            continue
        workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels=channels, actor=actor)
    return list(workflows.values())
