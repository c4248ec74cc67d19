"""Reads of a customer's schedule resource (moved into the selectors package after the merge)."""

from __future__ import annotations

from typing import Any

from customers.models import Customer
from prefcenter.models import Tenant
from subscribers.models import SubscriberProfile
from subscribers.schedule import zone


def customer_schedule(*, tenant: Tenant, customer: Customer) -> dict[str, Any]:
    """The schedule resource: the zone it is read in, the tenant's schedule channels, the schedule and the
    quiet hours (1 query: the profile)."""
    profile = SubscriberProfile.objects.filter(customer=customer).first()
    own = customer.timezone if zone(customer.timezone or "") is not None else ""
    quiet = None
    if profile is not None and profile.quiet_hours_start is not None and profile.quiet_hours_end is not None:
        quiet = {"start": profile.quiet_hours_start, "end": profile.quiet_hours_end}
    return {
        "timezone": own or (tenant.default_timezone if zone(tenant.default_timezone or "") else "UTC"),
        "timezone_source": "customer" if own else "tenant",
        "channels": list(tenant.schedule_channels or []),
        "schedule": profile.schedule if profile is not None else None,
        "quiet_hours": quiet,
    }
