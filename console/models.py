"""The staff console's own rows: uploaded imports awaiting confirmation, and the daily consent rollup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from prefcenter.models import Tenant


class CustomerImport(models.Model):
    """A CSV a staff member uploaded in the admin: previewed, then applied on confirmation (or never).

    Kept in the database, not in a temporary file, so the preview and the confirmation may be
    served by different workers or hosts. `applied_at` set means it was applied and cannot be again.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="customer_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename or 'import'} ({self.tenant})"


class ConsentDailyCount(models.Model):
    """How many opt-outs and opt-ins one tenant's ledger recorded on one (UTC) day.

    Written by `manage.py refresh_consent_rollup` for days that are over; the ledger is
    append-only, so a finished day's counts never change. The dashboard reads these rows and
    counts the rest (today, and any day not rolled up yet) from the ledger itself.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    opt_outs = models.PositiveIntegerField(default=0)
    opt_ins = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tenant", "day"]
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="consent_daily_count_unique_day")]

    def __str__(self) -> str:
        return f"{self.tenant} {self.day}: -{self.opt_outs} +{self.opt_ins}"
