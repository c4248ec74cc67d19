"""Whole-database backup and restore: `pg_dump`/`pg_restore` on PostgreSQL, SQLite's online backup API on SQLite.

Both are online: the application may keep serving while a backup runs, and the
backup is one consistent snapshot (pg_dump's repeatable-read transaction; SQLite's
page-by-page copy that restarts if a writer intervenes). A restore replaces the
database's content with the backup's in one transaction, so a failed restore
leaves the database as it was. See docs/operations.md for the procedure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def _engine(using: str) -> str:
    engine = connections[using].settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith(("postgresql", "postgis")):
        return "postgresql"
    raise BackupError(f"Backups are supported on SQLite and PostgreSQL, not {engine}.")


def backup_database(path: Path, *, using: str = "default") -> None:
    """Write a consistent snapshot of the database to `path` (replaced atomically when complete)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        if _engine(using) == "sqlite":
            _sqlite_backup(partial, using)
        else:
            _pg_run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], using)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore_database(path: Path, *, using: str = "default") -> None:
    """Replace the database's content with the backup at `path`, all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    if _engine(using) == "sqlite":
        _sqlite_restore(path, using)
    else:
        # Our own idle connection would otherwise hold locks the restore's DROPs wait for.
        connections[using].close()
        _pg_run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(path),
            ],
            using,
        )


# ---------------------------------------------------------------- SQLite
def _sqlite_backup(target: Path, using: str) -> None:
    connection = connections[using]
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
        # A self-contained file: no -wal/-shm companions to copy alongside it.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def _sqlite_restore(source_path: Path, using: str) -> None:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        try:
            status = source.execute("PRAGMA integrity_check").fetchone()[0]
            has_migrations = source.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source_path} is not a SQLite database: {exc}") from exc
        if status != "ok" or not has_migrations:
            raise BackupError(f"{source_path} is not a prefcenter backup (integrity: {status}).")
        connection = connections[using]
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()


# ---------------------------------------------------------------- PostgreSQL
def _pg_run(command: list[str], using: str) -> None:
    """Run a libpq client tool against the configured database, credentials passed by environment."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    settings = connections[using].settings_dict
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if settings.get(key):
            env[var] = str(settings[key])
    if settings.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = settings["OPTIONS"]["sslmode"]
    result = subprocess.run(
        [*command, f"--dbname={settings['NAME']}"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
