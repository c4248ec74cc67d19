"""`manage.py import_customers --tenant SLUG FILE [--dry-run]`: customers and opt-outs from CSV (console/imports.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from console.imports import IMPORT_BATCH, ImportFileError, customer_import
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent, Tenant


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


class Command(BaseCommand):
    help = (
        f"Import customers and their opt-outs from a CSV, {IMPORT_BATCH} lines per transaction; a bad line refuses "
        "its batch. Exit status 1 when a line was refused."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("file", help="The CSV file (UTF-8, header line with external_id).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--batch-size", type=int, default=IMPORT_BATCH, help=f"Lines per batch ({IMPORT_BATCH}).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, tenant: str, file: str, dry_run: bool, batch_size: int, no_progress: bool, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        actor = Actor(label=f"import:{file}"[:300], source=ConsentEvent.SOURCE_IMPORT)
        try:
            total = _count_lines(file)
            with (
                open(file, encoding="utf-8-sig", newline="") as handle,
                tqdm(total=total, unit="line", disable=no_progress, file=self.stderr._out, leave=True) as bar,
            ):
                report = customer_import(
                    tenant=found, actor=actor, text=handle, dry_run=dry_run, batch_size=batch_size,
                    progress=bar.update, keep_changes=0,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        except ImportFileError as exc:
            done = exc.report
            if done is None or not done.lines:
                raise CommandError(f"{exc} Nothing was imported.") from None
            raise CommandError(
                f"{exc} The {done.lines:,} lines before it were {'checked' if dry_run else 'processed'}: "
                f"created {done.created:,}, updated {done.updated:,}, {len(done.errors):,} bad lines."
            ) from None
        verb = "Would" if dry_run else "Did"
        self.stdout.write(
            f"{verb} create {report.created:,}, update {report.updated:,}, leave {report.unchanged:,} unchanged "
            f"({report.lines:,} lines, batches of {report.batch_size})."
        )
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}.")
        for error in report.errors:
            self.stderr.write(f"line {error.line}: {error.external_id or '-'}: {error.error}")
        if report.errors:
            refused = ", ".join(f"{first}-{last}" for first, last in report.refused_batches)
            raise CommandError(
                f"{len(report.errors):,} bad lines; their batches (lines {refused}) were "
                f"{'would be ' if dry_run else ''}refused: {report.refused_lines:,} lines not imported."
            )
