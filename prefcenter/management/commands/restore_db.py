from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prefcenter.backup import BackupError, restore_database
from prefcenter.ledger import ledger_checksum


class Command(BaseCommand):
    help = (
        "Replace the database's content with the backup at PATH (made by backup_db), in one transaction, "
        "then print the ledger's event count and checksum to compare with the backup's."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive", help="Do not ask for confirmation."
        )

    def handle(self, *args, path: Path, database: str, interactive: bool, **options):
        if interactive:
            answer = input(f"This replaces every row in the '{database}' database with {path}. Type 'yes' to go on: ")
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            restore_database(path, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        count, checksum = ledger_checksum()
        self.stdout.write(f"Restored from {path}.")
        self.stdout.write(f"ledger events={count} sha256={checksum}")
