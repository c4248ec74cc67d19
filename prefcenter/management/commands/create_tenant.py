from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Create a tenant (a company whose customers' choices are kept here). Prints its slug and id."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="")

    def handle(self, *args, slug: str, name: str, **options):
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f"Invalid slug '{slug}': {exc.messages[0]}") from exc
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"Tenant '{slug}' already exists.")
        tenant = Tenant.objects.create(slug=slug, name=name or slug)
        self.stdout.write(f"Created tenant {tenant.slug} (id {tenant.pk})")
