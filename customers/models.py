"""The recipient: one row per person a tenant notifies, whatever face they are seen through.

`id` is TeamUp's integer customer id, `external_id` is Reach's externalId and Novu's
subscriberId, `uuid` is Reach's resource id. The two hard opt-outs sit here because
they are facts about the person, not about a notification: `sms_opt_out` follows
carrier/TCPA rules and defaults to true (Reach's documented default), so SMS is
opt-in; `email_opt_out` defaults to false.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from customers.validators import validate_e164
from prefcenter.models import Tenant


class Customer(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="customers")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=255, validators=[MaxLengthValidator(255)])
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(
        max_length=20, blank=True, validators=[validate_e164], help_text="E.164, e.g. +14155550123."
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    email_opt_out = models.BooleanField(default=False)
    email_opt_out_at = models.DateTimeField(null=True, blank=True)
    sms_opt_out = models.BooleanField(default=True)
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    detail_url = models.URLField(max_length=2048, blank=True)
    source_created_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tenant's own system created this customer (Reach createdAt)."
    )
    link_version = models.PositiveIntegerField(
        default=1, help_text="Raising it revokes every self-service link issued so far."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="customer_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "email"]),
            # Covers the evaluation of up to 10,000 recipients (subscribers.selectors.recipients._evaluation_rows):
            # customers are found by external id and only their opt-outs and id are read, so the table
            # rows are not visited (SQLite: a covering index; PostgreSQL: an index-only scan). The id
            # is SQLite's rowid, in every index already; PostgreSQL needs it named (docs/bench.md).
            models.Index(
                fields=["tenant", "external_id", "email_opt_out", "sms_opt_out", "id"], name="customer_evaluation"
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.external_id})" if name else self.external_id


def one_choice_per_customer(subject: str, name: str) -> list[models.UniqueConstraint]:
    """One preference row per (customer, subject), the global row (subject NULL) included.

    NULLs are distinct in SQL unique indexes, so a plain unique (customer, subject) would allow
    many global rows; two partial constraints hold on SQLite and PostgreSQL alike.
    """
    return [
        models.UniqueConstraint(fields=["customer", subject], condition=Q(**{f"{subject}__isnull": False}), name=name),
        models.UniqueConstraint(
            fields=["customer"], condition=Q(**{f"{subject}__isnull": True}), name=f"{name}_global"
        ),
    ]
