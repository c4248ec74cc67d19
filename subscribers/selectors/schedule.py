"""Reads of customers' schedules and quiet hours: the schedule resource, one customer's delivery window
(explain), and `window_of`, which the set-based loader (selectors/layers.py) uses for many at once."""

from __future__ import annotations

from typing import Any

from customers.models import Customer
from prefcenter.models import Tenant
from subscribers.models import SubscriberProfile
from subscribers.schedule import DeliveryWindow, delivery_window, effective_zone, quiet_hours, weekly_schedule, zone


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


def window_of(tenant: Tenant, timezone: str | None, schedule: Any, quiet_start: Any, quiet_end: Any) -> DeliveryWindow:
    """The delivery window of stored values (one shared object per distinct window: subscribers/schedule.py)."""
    zone_of = effective_zone(timezone, tenant.default_timezone)
    return delivery_window(weekly_schedule(schedule), quiet_hours(quiet_start, quiet_end), zone_of)


def customer_delivery_window(*, tenant: Tenant, customer: Customer) -> DeliveryWindow:
    """One customer's delivery window (1 query), restricting or not: explain shows it either way."""
    profile = SubscriberProfile.objects.filter(customer=customer).first()
    if profile is None:
        return window_of(tenant, customer.timezone, None, None, None)
    return window_of(tenant, customer.timezone, profile.schedule, profile.quiet_hours_start, profile.quiet_hours_end)
