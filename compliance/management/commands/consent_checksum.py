from django.core.management.base import BaseCommand, CommandError

from compliance.selectors import consent_history
from prefcenter.ledger import events_checksum
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = (
        "Print the event count and sha256 of one customer's consent history, as the consent export states it "
        "(the original external id finds a pseudonymised history too)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--external-id", required=True, help="The customer's external id (as before any erasure).")

    def handle(self, *args, tenant: str, external_id: str, **options):
        scope = Tenant.objects.filter(slug=tenant).first()
        if scope is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        count, checksum = events_checksum(consent_history(tenant=scope, external_id=external_id))
        self.stdout.write(f"consent events={count} sha256={checksum}")
