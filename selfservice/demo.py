"""What `manage.py load_demo` prints for the self-service app: a signed link to a demo customer's page."""

from __future__ import annotations

from customers.models import Customer
from prefcenter.models import Tenant
from selfservice.links import links_issue

DEMO_CUSTOMER = "cust-ada"


def describe(tenant: Tenant) -> list[str]:
    customer = Customer.objects.select_related("tenant").filter(tenant=tenant, external_id=DEMO_CUSTOMER).first()
    if customer is None:
        return []
    return [f"Self-service page of {DEMO_CUSTOMER} (signed link): {links_issue(customer=customer).preferences_url}"]
