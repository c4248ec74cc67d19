"""`manage.py refresh_consent_rollup [--tenant SLUG] [--days 90]`: the dashboard's daily counts.

See console/dashboard.py.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from console.dashboard import DAYS, consent_rollup_refresh
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Recompute the daily opt-out/opt-in counts of finished days from the ledger (run it daily, e.g. from cron)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="Only this tenant (default: every tenant).")
        parser.add_argument("--days", type=int, default=DAYS, help=f"How many finished days back ({DAYS}).")

    def handle(self, *args, tenant: str | None, days: int, **options) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1.")
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with slug '{tenant}'.")
        for one in tenants:
            written = consent_rollup_refresh(tenant=one, days=days)
            self.stdout.write(f"{one.slug}: {written} days")
