from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prefcenter.backup import BackupError, backup_database
from prefcenter.ledger import ledger_checksum


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database to PATH (pg_dump custom format on PostgreSQL, "
        "a SQLite database file on SQLite) and print the ledger's event count and checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, path: Path, database: str, **options):
        count, checksum = ledger_checksum()
        try:
            backup_database(path, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backed up to {path}.")
        self.stdout.write(f"ledger events={count} sha256={checksum} (taken just before the snapshot)")
