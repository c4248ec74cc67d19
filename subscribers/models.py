"""The workflow catalog and the workflow preferences customers choose (Novu contract, TeamUp face).

A `Workflow` is a tenant's catalog entry: the channels it uses, their defaults, whether
it is critical, its messaging category. Its integer `id` is TeamUp's
`notification_preference_id`, its `identifier` TeamUp's `type` and Novu's workflowId.

A `WorkflowPreference` exists only where a customer chose (principle 2); `workflow`
empty is the customer's global switch (`workflow:*`). Every value is nullable: NULL
means "inherit" from the next layer (subscribers/resolution.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from customers.models import Customer, one_choice_per_customer
from messaging.models import Category
from prefcenter.channels import CHANNELS
from prefcenter.models import Tenant
from prefcenter.translations import TranslatedText


def validate_channel_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValidationError("Must be a list of channel names.")
    unknown = sorted(set(value) - set(CHANNELS))
    if unknown:
        raise ValidationError(f"Unknown channels: {', '.join(unknown)}. Known: {', '.join(CHANNELS)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Channels must not repeat.")


def validate_channel_defaults(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be an object of channel → true/false.")
    unknown = sorted(set(value) - set(CHANNELS))
    if unknown:
        raise ValidationError(f"Unknown channels: {', '.join(unknown)}. Known: {', '.join(CHANNELS)}.")
    if not all(isinstance(v, bool) for v in value.values()):
        raise ValidationError("Channel defaults must be true or false.")


def validate_tags(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 100 for t in value):
        raise ValidationError("Must be a list of non-empty strings of at most 100 characters.")


SEVERITIES = ("high", "medium", "low", "none")


class Workflow(TranslatedText):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="workflows")
    identifier = models.CharField(max_length=200, help_text="Novu workflowId; TeamUp `type`.")
    slug = models.SlugField(max_length=200)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="workflows")
    critical = models.BooleanField(default=False, help_text="Always sent; customers cannot turn it off.")
    channels = models.JSONField(default=list, blank=True, validators=[validate_channel_list])
    defaults = models.JSONField(
        default=dict, blank=True, validators=[validate_channel_defaults],
        help_text="Channel → true/false when the customer has not chosen; absent = the category/tenant default.",
    )
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    steps = models.JSONField(
        default=list, blank=True,
        help_text="Novu steps [{stepId, name, type, controlValues?}]; when set, `channels` are their channel types.",
    )
    active = models.BooleanField(default=True, help_text="Novu `active` (stored and answered).")
    severity = models.CharField(max_length=10, default="none", choices=[(s, s) for s in SEVERITIES])
    options = models.JSONField(
        default=dict, blank=True,
        help_text="Novu fields stored and answered as sent: validatePayload, payloadSchema, isTranslationEnabled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="Novu updatedAt.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "identifier"], name="workflow_unique_identifier"),
            models.UniqueConstraint(fields=["tenant", "slug"], name="workflow_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name or self.identifier


class WorkflowPreference(models.Model):
    """One customer's explicit choice for one workflow (or, with no workflow, for all of them).

    NULLs are distinct in SQL unique indexes, so two partial unique constraints keep one
    row per (customer, workflow) and one global row per customer, on SQLite and PostgreSQL.

    Indexes: every read filters by customer. The tenant gets no index of its own but leads
    the (tenant, customer) one: without planner statistics (no ANALYZE) SQLite would pick a
    lone `tenant_id` index for `tenant_id = ? AND customer_id = ?`, and with one tenant that
    matches every row (docs/bench.md, finding 1).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="workflow_preferences")
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="preferences"
    )
    enabled = models.BooleanField(null=True, blank=True, help_text="Master switch; empty = inherit.")
    email = models.BooleanField(null=True, blank=True)
    sms = models.BooleanField(null=True, blank=True)
    in_app = models.BooleanField(null=True, blank=True)
    chat = models.BooleanField(null=True, blank=True)
    push = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = one_choice_per_customer("workflow", name="workflow_pref_unique")
        indexes = [
            models.Index(fields=["tenant", "customer"], name="workflow_pref_tenant_customer"),
            # Covers the evaluation's set-wise read (subscribers.selectors.recipients._evaluation_rows): the rows of
            # one workflow (or the global ones, workflow NULL) as one range, switches and customer read from
            # the index, not the table (≈ 4 ms of 10,000 recipients on SQLite: docs/bench.md).
            models.Index(
                fields=["workflow", "tenant", "enabled", *CHANNELS, "customer"], name="workflow_pref_evaluation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.workflow.identifier if self.workflow_id else '(global)'}"

    @property
    def subject(self) -> str:
        return f"workflow:{self.workflow.identifier}" if self.workflow_id else "workflow:*"

    def channel_values(self) -> dict[str, bool | None]:
        return {channel: getattr(self, channel) for channel in CHANNELS}


class SubscriberProfile(models.Model):
    """What Novu keeps on a subscriber beyond the customer's identity: `avatar`, `data`, the
    delivery `schedule` of its global preferences, and the customer's quiet hours.

    One row per customer, created the first time one of these is set. The avatar and data are
    stored and answered only. The schedule and the quiet hours are preferences (their changes are
    in the ledger, subject `workflow:*`, fields `schedule` and `quiet_hours`), read in the
    customer's time zone by subscribers/schedule.py when a delivery is evaluated. Quiet hours are
    both times or neither, and differ (a start after the end spans midnight).
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="subscriber_profile"
    )
    avatar = models.URLField(max_length=2048, blank=True)
    data = models.JSONField(null=True, blank=True, help_text="Novu `data`: free-form custom attributes.")
    schedule = models.JSONField(
        null=True, blank=True, help_text="Novu `schedule`: {isEnabled, weeklySchedule}; empty = none."
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, help_text="Local time quiet hours begin (e.g. 22:00); empty = no quiet hours."
    )
    quiet_hours_end = models.TimeField(
        null=True, blank=True, help_text="Local time quiet hours end (e.g. 07:00), the next day if before the start."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="subscriber_profile_quiet_hours_both_or_neither",
                condition=(
                    models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                    | (
                        models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
                        & ~models.Q(quiet_hours_start=models.F("quiet_hours_end"))
                    )
                ),
                violation_error_message="Quiet hours need a start and an end that differ.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} · profile"
