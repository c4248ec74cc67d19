"""Reads of customers' schedules and quiet hours: the schedule resource and, set-based, the delivery
windows the evaluation reads."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

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


def _window_of(tenant: Tenant, timezone: str, schedule: Any, quiet_start: Any, quiet_end: Any) -> DeliveryWindow:
    zone_of = effective_zone(timezone, tenant.default_timezone)
    return delivery_window(weekly_schedule(schedule), quiet_hours(quiet_start, quiet_end), zone_of)


def delivery_windows(*, tenant: Tenant, external_ids: list[str]) -> dict[str, DeliveryWindow]:
    """The delivery window of each of these customers who has a schedule or quiet hours, in 1 query.

    Customers with neither are absent (nothing holds their messages). The external ids travel as
    one parameter, as in `shared_resolution_layers`; equal (schedule, quiet hours, zone) share one
    `DeliveryWindow` object (subscribers/schedule.py caches them), so callers compute a hold once per
    distinct window whatever the number of customers.
    """
    if not external_ids:
        return {}
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        member, ids = "= ANY(%s)", list(external_ids)
    else:
        member, ids = "IN (SELECT value FROM json_each(%s))", json.dumps(list(external_ids))
    sql = (
        f"SELECT c.external_id, c.timezone, p.schedule, p.quiet_hours_start, p.quiet_hours_end "
        f"FROM {quote(Customer._meta.db_table)} c "
        f"JOIN {quote(SubscriberProfile._meta.db_table)} p ON p.customer_id = c.id "
        f"WHERE c.tenant_id = %s AND c.external_id {member} "
        f"AND (p.schedule IS NOT NULL OR p.quiet_hours_start IS NOT NULL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk, ids])
        rows = cursor.fetchall()
    windows: dict[tuple, DeliveryWindow] = {}
    found: dict[str, DeliveryWindow] = {}
    for external_id, timezone, schedule, quiet_start, quiet_end in rows:
        key = (timezone, schedule if not isinstance(schedule, dict) else json.dumps(schedule, sort_keys=True),
               quiet_start, quiet_end)
        window = windows.get(key)
        if window is None:
            window = windows[key] = _window_of(tenant, timezone, schedule, quiet_start, quiet_end)
        if window.restricts:
            found[external_id] = window
    return found


def customer_delivery_window(*, tenant: Tenant, customer: Customer) -> DeliveryWindow:
    """One customer's delivery window (1 query), restricting or not: explain shows it either way."""
    profile = SubscriberProfile.objects.filter(customer=customer).first()
    if profile is None:
        return _window_of(tenant, customer.timezone, None, None, None)
    return _window_of(tenant, customer.timezone, profile.schedule, profile.quiet_hours_start, profile.quiet_hours_end)
