"""Print a customer's self-service links; the preferences URL alone on the last line (for scripts)."""

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from prefcenter.models import Tenant
from selfservice.links import links_issue


class Command(BaseCommand):
    help = (
        "Issue a signed link to a customer's preference page (and a one-click unsubscribe link). "
        "Prints the preferences URL alone on its last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--customer", required=True, help="The customer's external id.")

    def handle(self, *args, tenant, customer, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"Unknown tenant '{tenant}'.")
        person = Customer.objects.select_related("tenant").filter(tenant=found, external_id=customer).first()
        if person is None:
            raise CommandError(f"Tenant '{tenant}' has no customer with external id '{customer}'.")
        issued = links_issue(customer=person)
        self.stderr.write(f"Unsubscribe (one-click): {issued.unsubscribe_url}")
        self.stderr.write(f"Expires: {issued.expires_at.isoformat()}")
        self.stdout.write(issued.preferences_url)
