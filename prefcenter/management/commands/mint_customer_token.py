from django.core.management.base import BaseCommand, CommandError

from prefcenter.authentication import max_token_lifetime, mint_customer_token
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Mint a customer-mode JWT (HS256, the tenant's secret). Prints it alone on its last line."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--customer", required=True, help="The customer's external id (the token's sub).")
        parser.add_argument(
            "--ttl",
            type=int,
            default=3600,
            help=f"Lifetime in seconds (default 3600, at most {max_token_lifetime()}: the max TTL setting).",
        )

    def handle(self, *args, tenant, customer, ttl, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"Unknown tenant '{tenant}'.")
        if ttl <= 0:
            raise CommandError("--ttl must be positive.")
        try:
            token = mint_customer_token(tenant=found, external_id=customer, ttl_seconds=ttl)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token)
