"""Labels of the page (translated) and the per-category decisions its sections read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from messaging.models import Category, CategoryPreference
from prefcenter.channels import DIGEST_OFF, EMAIL, IN_APP, MESSAGING_CHANNELS, PUSH, SMS
from prefcenter.models import Tenant
from subscribers import resolution
from subscribers.catalog import category_facts
from subscribers.resolution import CategoryChoice, CustomerLayers, Decision
from subscribers.selectors.layers import category_choice

CHANNEL_LABELS = {
    EMAIL: _("Email"),
    SMS: _("Text messages"),
    IN_APP: _("In-app"),
    "chat": _("Chat"),
    PUSH: _("Push"),
}
DIGEST_LABELS = {
    "instant": _("Right away"),
    "hourly": _("Hourly summary"),
    "daily": _("Daily summary"),
    DIGEST_OFF: _("Never"),
}
# A topic's email is one choice: how often, or not at all ("Email: On" beside "frequency: Never" meant nothing).
EMAIL_CHOICE_LABELS = {**DIGEST_LABELS, DIGEST_OFF: _("Off")}
LOCK_REASONS = {
    resolution.CRITICAL: _("Always sent: essential for your account."),
    resolution.MANDATORY_CATEGORY: _("Always sent: required for your account."),
}

# A blocked decision whose reason is one of these is decided above the row it is shown on:
# the row's own switch cannot turn it back on, so the page disables it and says why.
DECIDED_ABOVE_WORKFLOW = frozenset(
    {
        resolution.SMS_OPT_OUT,
        resolution.EMAIL_OPT_OUT,
        resolution.GLOBAL_PREFERENCE,
        resolution.MESSAGING_DEFAULT,
        resolution.CATEGORY_PREFERENCE,
        resolution.DIGEST_OFF_REASON,
    }
)


def _layer(decision: Decision, name: str) -> Any:
    return dict(decision.layers).get(name)


def category_decisions(
    *,
    tenant: Tenant,
    category: Category,
    row: CategoryPreference | None,
    messaging_default: CategoryChoice | None,
    customer_layers: CustomerLayers | None = None,
) -> dict[str, Decision]:
    """The engine's answer for a category on its own: its preference, the messaging default, its defaults,
    and with `customer_layers` the customer's opt-outs and global switches too (what the page shows)."""
    layers = CustomerLayers(
        category_preference=category_choice(row),
        messaging_default=messaging_default,
        tenant_defaults=dict(tenant.channel_defaults or {}),
    )
    if customer_layers is not None:
        layers = replace(
            customer_layers,
            workflow_preference=None,
            category_preference=layers.category_preference,
            messaging_default=messaging_default,
            tenant_defaults=layers.tenant_defaults,
        )
    return resolution.resolve(category_facts(category), layers)


def category_current_values(
    *, category: Category, row: CategoryPreference | None, decisions: Mapping[str, Decision]
) -> dict[str, Any]:
    """The four values a category preference row holds, as the customer sees them now.

    With a row, its values. Without one, what the engine answers for the category on its own
    (a channel muted only by digest `off` still shows its switch on: the digest says why).
    """
    if row is not None:
        return {**row.channel_values(), "digest": row.digest}
    values: dict[str, Any] = {}
    for channel in MESSAGING_CHANNELS:
        decision = decisions[channel]
        values[channel] = decision.allowed or decision.reason == resolution.DIGEST_OFF_REASON
    values["digest"] = decisions[EMAIL].digest or category.default_digest
    return values


