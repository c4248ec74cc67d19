"""Messaging categories and the category preferences customers choose (seed 001).

A `Category` is the tenant's catalog entry with channel defaults and a default email
digest. A `CategoryPreference` exists only where a customer chose; `category` empty is
the customer's global default for every category without a preference of its own.
"""

from __future__ import annotations

import uuid

from django.db import models

from customers.models import Customer, one_choice_per_customer
from prefcenter.channels import DIGEST_CHOICES, DIGEST_INSTANT, EMAIL, IN_APP, PUSH
from prefcenter.models import Tenant
from prefcenter.translations import TranslatedText

# The one channel ↔ column map of the messaging store (seed 001): which column holds each messaging
# channel's switch on a category preference, and its default on a category. Their order is
# MESSAGING_CHANNELS'. Everything that reads or writes these columns by channel goes through them.
CHANNEL_COLUMNS: dict[str, str] = {IN_APP: "in_app_enabled", EMAIL: "email_enabled", PUSH: "push_enabled"}
DEFAULT_COLUMNS: dict[str, str] = {IN_APP: "default_in_app", EMAIL: "default_email", PUSH: "default_push"}
# Everything a category preference holds: its channel switches, then the email digest.
PREFERENCE_COLUMNS: tuple[str, ...] = (*CHANNEL_COLUMNS.values(), "digest")


class Category(TranslatedText):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="categories")
    key = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mandatory = models.BooleanField(default=False, help_text="Customers cannot opt out of a mandatory category.")
    default_in_app = models.BooleanField(default=True)
    default_email = models.BooleanField(default=True)
    default_push = models.BooleanField(default=True)
    default_digest = models.CharField(max_length=8, choices=DIGEST_CHOICES, default=DIGEST_INSTANT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="category_unique_key")]

    def __str__(self) -> str:
        return self.name or self.key

    def channel_defaults(self) -> dict[str, bool]:
        """Channel → the category's default for it (in_app, email, push)."""
        return {channel: getattr(self, column) for channel, column in DEFAULT_COLUMNS.items()}


class CategoryPreference(models.Model):
    """One customer's explicit choice for one category (or, with no category, for all of them).

    Uniqueness must hold for the global row too, and NULLs are distinct in SQL unique
    indexes, so two partial unique constraints cover the two cases on SQLite and PostgreSQL.

    Indexes: every read filters by customer. The tenant gets no index of its own but leads
    the (tenant, customer) one: without planner statistics (no ANALYZE) SQLite would pick a
    lone `tenant_id` index for `tenant_id = ? AND customer_id = ?`, and with one tenant that
    matches every row (docs/bench.md, finding 1).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="category_preferences")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="preferences"
    )
    in_app_enabled = models.BooleanField(default=True)
    email_enabled = models.BooleanField(default=True)
    push_enabled = models.BooleanField(default=True)
    digest = models.CharField(max_length=8, choices=DIGEST_CHOICES, default=DIGEST_INSTANT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = one_choice_per_customer("category", name="category_pref_unique")
        indexes = [
            models.Index(fields=["tenant", "customer"], name="category_pref_tenant_customer"),
            # Covers the evaluation's set-wise read (subscribers.selectors.recipients._evaluation_rows): the rows of
            # one category (or the messaging defaults, category NULL) as one range, read from the index alone
            # (≈ 4 ms of 10,000 recipients on SQLite: docs/bench.md).
            models.Index(
                fields=["category", "tenant", "in_app_enabled", "email_enabled", "push_enabled", "digest", "customer"],
                name="category_pref_evaluation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.category.key if self.category_id else '(global)'}"

    def channel_values(self) -> dict[str, bool]:
        """Channel → its switch (in_app, email, push), as `WorkflowPreference.channel_values()` answers."""
        return {channel: getattr(self, column) for channel, column in CHANNEL_COLUMNS.items()}
