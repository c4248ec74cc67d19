"""Webhook endpoints a tenant registers, and the outbox of deliveries to them.

A `WebhookDelivery` row is the outbox: written by the ledger listener (webhooks/outbox.py)
in the same transaction as the consent change it announces, then sent and retried by
`manage.py deliver_webhooks` (webhooks/services.py). Customers are referred to by id and
external id, like the ledger, so a `customer.deleted` event outlives its customer.
"""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.utils import timezone

from prefcenter.models import Tenant

EVENT_PREFERENCE_UPDATED = "preference.updated"
EVENT_OPTED_OUT = "customer.opted_out"
EVENT_OPTED_IN = "customer.opted_in"
EVENT_DELETED = "customer.deleted"
EVENT_TYPES: tuple[str, ...] = (EVENT_PREFERENCE_UPDATED, EVENT_OPTED_OUT, EVENT_OPTED_IN, EVENT_DELETED)

SECRET_PREFIX = "whsec_"
# A delivery's states (named here for the OpenAPI enum, config/settings.py ENUM_NAME_OVERRIDES).
DELIVERY_STATUSES = [(s, s) for s in ("pending", "delivered", "failed")]


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A URL of the tenant's that hears about the event types it subscribed to.

    The secret signs every delivery (Standard Webhooks); the API shows it once, at creation.
    An endpoint that has failed for the whole retry window is disabled (`enabled` off,
    `disabled_at`, `disabled_reason`): it gets no new events until staff enable it again.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current run of failed attempts; cleared by a success."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "enabled"])]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, its attempts and its outcome.

    `message_id` is the `webhook-id` header: the same for every attempt (and for every
    endpoint that hears the same event), so receivers deduplicate redeliveries by it.
    `body` is the exact JSON text that is signed and sent. A worker claims a row by setting
    `claimed_until` (a lease); a worker that dies mid-delivery leaves the row pending and
    another takes it once the lease has passed (at-least-once delivery).
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = DELIVERY_STATUSES

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=40)
    customer_id = models.BigIntegerField()
    customer_external_id = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resent_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff resent it: the retry window starts again from here."
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "customer_id", "status", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhook_delivery_unique_message"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} → {self.endpoint_id} ({self.status})"
