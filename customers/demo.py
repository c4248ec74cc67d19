"""Demo customers for `manage.py load_demo` (idempotent)."""

from __future__ import annotations

from customers.models import Customer
from customers.services import customer_create
from prefcenter.ledger import Actor
from prefcenter.models import Tenant

DEMO_CUSTOMERS = [
    {
        "external_id": "cust-ada",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550101",
        "sms_opt_out": False,
    },
    {
        "external_id": "cust-grace",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "+14155550102",
    },
    {"external_id": "cust-alan", "first_name": "Alan", "last_name": "Turing", "email": "alan@example.com"},
    {
        "external_id": "cust-katherine",
        "first_name": "Katherine",
        "last_name": "Johnson",
        "email": "katherine@example.com",
        "email_opt_out": True,
    },
]


def load(tenant: Tenant) -> list[Customer]:
    actor = Actor.system("demo")
    customers = []
    for spec in DEMO_CUSTOMERS:
        spec = dict(spec)
        existing = Customer.objects.filter(tenant=tenant, external_id=spec["external_id"]).first()
        customers.append(existing or customer_create(tenant=tenant, actor=actor, **spec))
    return customers
