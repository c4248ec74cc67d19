from django.core.management.base import BaseCommand, CommandError

from prefcenter.credentials import tenant_jwt_secret_rotate
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = (
        "Give a tenant a new random JWT secret: every customer token signed with the old one stops working. "
        "Prints the new secret alone on its last line (the tenant's backend signs its customer tokens with it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"Unknown tenant '{tenant}'.")
        secret = tenant_jwt_secret_rotate(tenant=found)
        self.stdout.write(f"Rotated the JWT secret of {tenant}: every customer token signed before now is refused.")
        self.stdout.write(secret)
