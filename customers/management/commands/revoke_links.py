from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from customers.services import customer_revoke_links
from prefcenter.ledger import Actor
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = (
        "Revoke every self-service link and customer JWT issued so far for one customer "
        "(raises the customer's link version; a ledger event records it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--customer", required=True, help="The customer's external id.")

    def handle(self, *args, tenant: str, customer: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"Unknown tenant '{tenant}'.")
        target = Customer.objects.filter(tenant=found, external_id=customer).select_related("tenant").first()
        if target is None:
            raise CommandError(f"Tenant '{tenant}' has no customer '{customer}'.")
        revoked = customer_revoke_links(customer=target, actor=Actor.system("command:revoke_links"))
        self.stdout.write(
            f"Revoked every link and customer token of {customer} in {tenant}: "
            f"link version is now {revoked.link_version}."
        )
