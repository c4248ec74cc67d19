"""`manage.py export_customers --tenant SLUG [--out FILE]`: every customer of a tenant as CSV (console/exports.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from console.exports import csv_lines, export_rows
from prefcenter.models import Tenant


class Command(BaseCommand):
    help = "Export a tenant's customers with their opt-outs and effective preferences as CSV (streamed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--out", help="Write to this file (default: standard output).")

    def handle(self, *args, tenant: str, out: str | None, **options) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        counted = {"rows": -1}  # the header is not a customer

        def rows():
            for row in export_rows(tenant=found):
                counted["rows"] += 1
                yield row

        if out:
            with open(out, "w", encoding="utf-8", newline="") as target:
                for text in csv_lines(rows()):
                    target.write(text)
        else:
            for text in csv_lines(rows()):
                self.stdout.write(text, ending="")
        if out:
            self.stderr.write(f"Exported {counted['rows']:,} customers of '{found.slug}' to {out}.")
