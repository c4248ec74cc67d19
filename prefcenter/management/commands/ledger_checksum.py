from django.core.management.base import BaseCommand, CommandError

from prefcenter.ledger import ledger_checksum
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Print the consent ledger's event count and sha256 checksum (all tenants, or one with --tenant SLUG)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="A tenant slug; default: every tenant.")

    def handle(self, *args, tenant: str | None, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(slug=tenant).first()
            if scope is None:
                raise CommandError(f"No tenant with slug '{tenant}'.")
        count, checksum = ledger_checksum(scope)
        self.stdout.write(f"ledger events={count} sha256={checksum}")
