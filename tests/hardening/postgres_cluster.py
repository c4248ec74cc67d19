"""A private, throwaway PostgreSQL cluster (initdb + pg_ctl) for tests that restart the database.

Restarting the shared server (`pg_ctlcluster 15 main restart`) would cut every other
test run's connections; a cluster of our own, on a free port and a temporary
directory, can be restarted (even crashed: `-m immediate`) without disturbing anyone.
As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hardening.conftest import PRODUCTION_ENV, ROOT, SharedDatabase, free_port

SEED = textwrap.dedent(
    """
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from customers.services import customer_create
    from prefcenter.ledger import Actor
    from tests.factories import make_api_key, make_tenant
    tenant = make_tenant("acme")
    for n in range({customers}):
        customer_create(tenant=tenant, actor=Actor.system(), external_id=f"c{{n}}", last_name="seed")
    print(make_api_key(tenant)[1])
    """
)


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PrivateCluster:
    directory: Path
    bindir: Path
    port: int
    runas: list[str]

    @classmethod
    def create(cls, tmp_path: Path) -> PrivateCluster:
        bindir = _bindir()
        if bindir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        runas: list[str] = []
        directory = Path(tempfile.mkdtemp(prefix="prefcenter-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(directory)
                pytest.skip("running as root and there is no 'postgres' user to run a private cluster as")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            runas = ["runuser", "-u", "postgres", "--"]
        cluster = cls(directory=directory, bindir=bindir, port=free_port(), runas=runas)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "prefcenter", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} -c fsync=off"
        )
        log = str(directory / "server.log")
        cluster._run("pg_ctl", "-D", str(cluster.data), "-l", log, "-w", "-o", options, "start")
        import psycopg

        with psycopg.connect(**cluster.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE prefcenter")
        return cluster

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def conninfo(self, dbname: str = "prefcenter") -> dict:
        return {"host": "127.0.0.1", "port": self.port, "user": "prefcenter", "dbname": dbname}

    @property
    def database(self) -> SharedDatabase:
        return SharedDatabase(env={"DATABASE_URL": f"postgres://prefcenter@127.0.0.1:{self.port}/prefcenter"})

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [*self.runas, str(self.bindir / tool), *args],
            capture_output=True, text=True, check=False, cwd="/", timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(f"{tool} failed ({result.returncode}): {result.stdout}\n{result.stderr}")

    def seed(self, *, customers: int) -> str:
        """Migrate, create tenant `acme` with customers c0… (last name 'seed'); return a provider key."""
        env = {**os.environ, **PRODUCTION_ENV, **self.database.env}
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SEED.format(customers=customers)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"seeding failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout.strip().splitlines()[-1]

    def restart(self) -> None:
        """Crash and restart: `immediate` kills every backend without a clean shutdown (recovery on start)."""
        # -l: the new postmaster must not inherit our pipes, or waiting for their end never returns.
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-m", "immediate", "-w", "restart")

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(**self.conninfo()) as conn:
            return conn.execute(sql, params).fetchall()

    def destroy(self) -> None:
        subprocess.run(
            [*self.runas, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True, check=False, cwd="/", timeout=60,
        )
        shutil.rmtree(self.directory, ignore_errors=True)
