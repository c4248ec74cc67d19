from django.core.management.base import BaseCommand

from prefcenter.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete idempotency records older than PREFCENTER_IDEMPOTENCY_TTL (run it daily from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_expired()} expired idempotency record(s).")
