from django.core.management.base import BaseCommand, CommandError

from prefcenter.credentials import api_key_create, parse_scopes
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Create an API key bound to a tenant, or platform-wide. Prints the key alone on its last line (shown once)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--tenant", help="Tenant slug the key is bound to.")
        target.add_argument("--platform", action="store_true", help="A platform key reaching every tenant.")
        parser.add_argument(
            "--scopes", required=True, help="'all' or a comma-separated list, e.g. customers:read,messaging:update"
        )
        parser.add_argument("--mode", choices=["provider", "customer", "both"], default="provider")
        parser.add_argument("--customer", default="", help="External id of the customer a customer-mode key acts for.")
        parser.add_argument("--name", default="")

    def handle(self, *args, tenant, platform, scopes, mode, customer, name, **options):
        bound = None
        if not platform:
            bound = Tenant.objects.filter(slug=tenant).first()
            if bound is None:
                raise CommandError(f"Unknown tenant '{tenant}'.")
        try:
            key, raw = api_key_create(
                tenant=bound,
                scopes=parse_scopes(scopes),
                allow_provider=mode in ("provider", "both"),
                allow_customer=mode in ("customer", "both"),
                customer_external_id=customer,
                name=name,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        where = "every tenant (platform)" if bound is None else f"tenant {bound.slug}"
        self.stdout.write(f"API key {key.prefix}… for {where}, mode {mode}, scopes {','.join(key.scopes)}. Shown once:")
        self.stdout.write(raw)
