"""Demo data of the messaging app for `manage.py load_demo` (idempotent).

Four categories for tenant acme (two mandatory) and a few customers' choices. Rows that
already exist are left as they are, so re-running never undoes what someone changed.
"""

from __future__ import annotations

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from messaging.services import category_create, category_preference_set
from prefcenter.ledger import Actor
from prefcenter.models import Tenant

DEMO_CATEGORIES = [
    {"key": "billing", "name": "Billing", "description": "Invoices, receipts and payment failures.",
     "mandatory": True},
    {"key": "security", "name": "Security", "description": "Sign-in alerts and password changes.",
     "mandatory": True},
    {"key": "product-updates", "name": "Product updates", "description": "New features and changes.",
     "default_push": False, "default_digest": "daily"},
    {"key": "marketing", "name": "Marketing", "description": "Offers and newsletters.",
     "default_push": False, "default_in_app": False, "default_digest": "daily"},
]

# (customer external id, category key or None for the global default, values)
DEMO_PREFERENCES = [
    ("cust-ada", "marketing", {"in_app_enabled": False, "email_enabled": False, "push_enabled": False,
                               "digest": "off"}),
    ("cust-ada", "product-updates", {"in_app_enabled": True, "email_enabled": True, "push_enabled": True,
                                     "digest": "hourly"}),
    ("cust-grace", None, {"in_app_enabled": True, "email_enabled": True, "push_enabled": False, "digest": "daily"}),
    ("cust-alan", "billing", {"in_app_enabled": True, "email_enabled": True, "push_enabled": True,
                              "digest": "instant"}),
]


def load(tenant: Tenant) -> list[Category]:
    actor = Actor.system("demo")
    categories = {}
    for spec in DEMO_CATEGORIES:
        fields = dict(spec)
        key, name = fields.pop("key"), fields.pop("name")
        existing = Category.objects.filter(tenant=tenant, key=key).first()
        categories[key] = existing or category_create(tenant=tenant, key=key, name=name, actor=actor, **fields)
    customers = {c.external_id: c for c in Customer.objects.filter(tenant=tenant)}
    for external_id, key, values in DEMO_PREFERENCES:
        customer = customers.get(external_id)
        if customer is None:
            continue
        category = categories[key] if key else None
        if CategoryPreference.objects.filter(customer=customer, category=category).exists():
            continue
        category_preference_set(tenant=tenant, customer=customer, category=category, actor=actor, **values)
    return list(categories.values())
