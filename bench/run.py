"""`python -m bench`: seed (or reuse) the bench database, start gunicorn, run every job against its API
route, its hand-written twin and (writes, Novu GET) its least-work limit view, alternated in rounds,
print the table and write the JSON.

The environment is set before Django is imported, so this process and the gunicorn
workers read the same settings: DEBUG off, a per-run SECRET_KEY (signed self-service
links made here verify there), ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect, a throttle
rate no job reaches, and PREFCENTER_BENCH_VIEWS=1 for the hand-written routes.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
DEFAULT_SQLITE = HERE / "bench.sqlite3"
DEFAULT_OUTPUT = HERE / "results" / "latest.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the seeded rows and seed again")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--chosen", type=float, default=0.20, help="fraction of customers with explicit choices")
    parser.add_argument("--seed", type=int, default=20_240_601, help="random seed of the dataset")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per job and variant under load")
    parser.add_argument("--requests", type=int, default=None, help="cap on requests per job and variant")
    parser.add_argument("--serial", type=int, default=30, help="requests of the one-at-a-time latency run (0: skip)")
    parser.add_argument("--jobs", default="", help="comma-separated job names (default: all)")
    parser.add_argument("--no-hand", action="store_true", help="skip the hand-written twins and the limit views")
    parser.add_argument("--no-limit", action="store_true", help="skip the least-work limit views (bench/limit.py)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="slices per job and variant: the variants of a job are alternated, round after round")
    parser.add_argument("--analyze", action="store_true",
                        help="SQLite: gather planner statistics (ANALYZE) before the jobs; by default they are "
                             "removed, as on a deployment where nobody ran ANALYZE (see docs/bench.md)")
    parser.add_argument("--profile", metavar="JOB", default="",
                        help="instead of the load run: send 30 requests of JOB in-process under pyinstrument "
                             "and print where the time goes (add --variant hand for the twin)")
    parser.add_argument("--time", metavar="JOBS", default="",
                        help="instead of the load run: the median in-process service time (and CPU time) of 30 "
                             "requests of each named job (comma-separated), every variant, without a profiler or a "
                             "server")
    parser.add_argument("--variant", choices=("api", "hand"), default="api", help="with --profile")
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- environment


def bench_database_url(url: str) -> str:
    """The bench database beside the one DATABASE_URL names (`<name>_bench`), unless BENCH_DATABASE_URL says."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "prefcenter"
    if not name.endswith("_bench"):
        name += "_bench"
    return urlunsplit(parts._replace(path="/" + name))


def ensure_postgres_database(admin_url: str, bench_url: str) -> None:
    import psycopg

    name = urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure(args: argparse.Namespace) -> dict[str, str]:
    """Set this process's environment for Django; returns what gunicorn gets on top of it."""
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "PREFCENTER_THROTTLE_RATE": "1000000/s",
        # The page job sends every request from one address: the per-address throttle of /p/ would
        # answer 429 and measure the throttle, not the page.
        "PREFCENTER_ANON_THROTTLE_RATE": "1000000/s",
        "PREFCENTER_BENCH_VIEWS": "1",
        "LOG_LEVEL": "WARNING",
    }
    if os.environ.get("DATABASE_URL"):
        url = bench_database_url(os.environ["DATABASE_URL"])
        ensure_postgres_database(os.environ["DATABASE_URL"], url)
        common["DATABASE_URL"] = url
    else:
        path = args.sqlite_path.resolve()
        if args.reseed:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        common["SQLITE_PATH"] = str(path)
    os.environ.update(common)
    # This process also sends requests in-process (queries per request) with the test client's host.
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    return {**common, "ALLOWED_HOSTS": "127.0.0.1"}


# ----------------------------------------------------------------------------- measuring


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"sqlite {connection.Database.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"postgresql {version} ({connection.settings_dict['NAME']})"


# Not counted as queries: the transaction's own statements (Django logs SQLite's BEGIN IMMEDIATE and
# COMMIT, and savepoints), so the column counts the statements that read or write rows (issue 16).
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def in_process(request) -> tuple[int, int, bytes]:
    """Send one request through the whole Django stack in this process: (status, queries, body)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    with CaptureQueriesContext(connection) as captured:
        response = client.generic(
            request.method, request.path, data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers={k: v for k, v in request.headers.items() if k != "Content-Type"},
        )
    body = b"" if getattr(response, "streaming", False) else response.content
    statements = [q for q in captured if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]
    return response.status_code, len(statements), body


def route_exists(path: str) -> bool:
    from django.urls import Resolver404, resolve

    from prefcenter.handlers import api_route_not_found

    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return match.func is not api_route_not_found


def planner_statistics(*, analyze: bool) -> None:
    """SQLite keeps no statistics unless someone runs ANALYZE; the default run measures that state.

    PostgreSQL's autovacuum gathers them by itself, so there the seed's ANALYZE is what a
    deployment would have anyway.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if analyze:
            cursor.execute("ANALYZE")
        elif "sqlite_stat1" in connection.introspection.table_names(cursor):
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.execute("ANALYZE sqlite_schema")  # makes the planner reload the (now empty) statistics


def load_average() -> list[float]:
    """The machine's 1/5/15-minute load averages: other processes competing for the CPUs skew every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def probe(job, variant: str, ctx) -> dict[str, Any]:
    """The variant's row before it is loaded: `missing`/`error`, or its queries per request and answer size."""
    row: dict[str, Any] = {"job": job.name, "title": job.title, "kind": job.kind, "variant": variant}
    requests = job.build(ctx, variant, 2)
    if not route_exists(requests[0].path):
        path = requests[0].path.split("?")[0]
        return {**row, "status": "missing", "note": f"no route for {requests[0].method} {path}"}
    # Queries per request: the second of two identical-shape requests, so one-off work (API key
    # last_used_at, first-use caches) is not counted.
    status, queries, body = [in_process(request) for request in requests][-1]
    if status == 405:
        return {**row, "status": "missing", "note": f"{requests[0].method} not allowed on {requests[0].path}"}
    if not 200 <= status < 300:
        return {**row, "status": "error", "queries": queries,
                "note": f"in-process {requests[0].method} {requests[0].path[:80]} → {status}: {body[:300]!r}"}
    return {**row, "status": "ok", "queries": queries, "response_bytes": len(body)}


def run_job(job, variants: tuple[str, ...], ctx, server, args) -> list[dict[str, Any]]:
    """One job, its variants alternated (A/B/C, A/B/C, …) in `args.rounds` slices each, so that a change in
    the machine's load during the job reaches every variant alike; loaded and one-at-a-time runs both."""
    from bench.load import Outcome, drive
    from bench.server import MemorySampler

    rows = {variant: probe(job, variant, ctx) for variant in variants}
    live = [variant for variant in variants if rows[variant]["status"] == "ok"]
    cap = args.requests or job.max_requests
    rounds = max(1, args.rounds)
    for variant in live:  # warm-up: two requests per worker (imports, caches, connections), not timed
        warmup = job.build(ctx, variant, args.workers * 2)
        drive(port=server.port, requests=warmup, concurrency=args.workers, max_requests=len(warmup),
              max_seconds=min(args.duration, 5.0))
    loaded = {variant: Outcome() for variant in live}
    serial = {variant: Outcome() for variant in live}
    peaks: dict[str, list[float]] = {variant: [] for variant in live}
    per_round = max(1, -(-cap // rounds))
    serial_per_round = -(-args.serial // rounds) if args.serial else 0
    for _ in range(rounds):
        for variant in live:
            requests = job.build(ctx, variant, per_round)
            with MemorySampler(server) as memory:
                loaded[variant].add(drive(port=server.port, requests=requests, concurrency=args.concurrency,
                                          max_requests=per_round, max_seconds=args.duration / rounds))
            if memory.peak_mb is not None:
                peaks[variant].append(memory.peak_mb)
        for variant in live if serial_per_round else ():
            serial[variant].add(drive(port=server.port, requests=job.build(ctx, variant, serial_per_round),
                                      concurrency=1, max_requests=serial_per_round,
                                      max_seconds=max(5.0, args.duration / 2) / rounds))
    for variant in live:
        outcome, row = loaded[variant], rows[variant]
        row.update({
            "status": "ok" if not outcome.errors else "errors",
            "requests": outcome.completed, "errors": outcome.errors, "seconds": round(outcome.elapsed, 2),
            "rps": outcome.rps, "p50_ms": outcome.percentile(50), "p99_ms": outcome.percentile(99),
            "peak_rss_mb": max(peaks[variant]) if peaks[variant] else None, "concurrency": args.concurrency,
            "rounds": rounds,
        })
        if outcome.first_error:
            row["note"] = outcome.first_error
        if serial_per_round:
            row["p50_serial_ms"] = serial[variant].percentile(50)
            row["serial_requests"] = serial[variant].completed
    return [rows[variant] for variant in variants]


def profile(args: argparse.Namespace, ctx) -> int:
    """One job's requests in this process under pyinstrument: the call tree, slowest first."""
    from pyinstrument import Profiler

    from bench.jobs import JOBS

    job = next((job for job in JOBS if job.name == args.profile), None)
    if job is None:
        print(f"unknown job {args.profile}; one of: {', '.join(j.name for j in JOBS)}", file=sys.stderr)
        return 2
    for request in job.build(ctx, args.variant, 3):  # warm caches and imports
        in_process(request)
    requests = job.build(ctx, args.variant, 30)
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    with profiler:
        statuses = [in_process(request)[0] for request in requests]
    took = (time.perf_counter() - started) / len(requests) * 1000
    print(profiler.output_text(unicode=True, color=False))
    print(f"{job.name} ({args.variant}): {len(requests)} requests in-process, {took:.1f} ms each under the "
          f"profiler; statuses {sorted(set(statuses))}")
    return 0


def service_times(args: argparse.Namespace, ctx) -> int:
    """The in-process median of each named job, one request at a time: the quick loop while optimizing."""
    from django.test import Client

    from bench.jobs import JOBS

    wanted = [name.strip() for name in args.time.split(",") if name.strip()]
    unknown = sorted(set(wanted) - {job.name for job in JOBS})
    if unknown:
        print(f"unknown job(s) {', '.join(unknown)}; one of: {', '.join(j.name for j in JOBS)}", file=sys.stderr)
        return 2
    client = Client(raise_request_exception=False)
    for job in (job for job in JOBS if job.name in wanted):
        for variant in job.variants:
            took, cpu, statuses = [], [], set()
            for index, request in enumerate(job.build(ctx, variant, 33)):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.generic(
                    request.method, request.path, data=request.body or b"",
                    content_type=request.headers.get("Content-Type", "application/octet-stream"),
                    headers={k: v for k, v in request.headers.items() if k != "Content-Type"},
                )
                if index >= 3:  # the first ones warm imports and caches
                    took.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                statuses.add(response.status_code)
            # CPU time is the steadier figure on a shared machine: waiting for the cores is not counted.
            print(f"{job.name:16} {variant:5}  median {statistics.median(took):7.1f} ms  "
                  f"min {min(took):7.1f} ms  cpu median {statistics.median(cpu):6.2f} ms  statuses {sorted(statuses)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_env = configure(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import jobs as jobs_module
    from bench.report import machine, table, targets, write_json
    from bench.seed import SeedParams, bench_tenant, fresh_api_key, is_seeded, seed, stored_marker
    from bench.server import Gunicorn, environment
    from customers.models import Customer
    from messaging.models import Category
    from subscribers.models import Workflow

    started = time.perf_counter()
    print(f"bench database: {database_label()}")
    call_command("migrate", verbosity=0, interactive=False)
    params = SeedParams(customers=args.customers, categories=args.categories, workflows=args.workflows,
                        chosen_fraction=args.chosen, seed=args.seed)
    seeded_in = None
    if args.reseed or not is_seeded(params):
        if stored_marker() is not None or Customer.objects.exists():
            print("flushing the previous bench rows")
            call_command("flush", verbosity=0, interactive=False)
        print(f"seeding {params.customers:,} customers (seed {params.seed})")
        seeded_in = seed(params)
        print(f"seeded in {seeded_in:.1f}s")
    else:
        print("reusing the seeded rows (same parameters)")

    planner_statistics(analyze=args.analyze)
    tenant = bench_tenant()
    rng = random.Random(params.seed + 1)
    customers = list(Customer.objects.filter(tenant=tenant).order_by("id").values_list("id", "external_id"))
    rng.shuffle(customers)
    ctx = jobs_module.Context(
        tenant=tenant, raw_key=fresh_api_key(tenant), rng=rng, customers=customers,
        workflows=list(Workflow.objects.filter(tenant=tenant).select_related("category").order_by("id")),
        categories=list(Category.objects.filter(tenant=tenant).order_by("key")),
    )
    if args.profile:
        return profile(args, ctx)
    if args.time:
        return service_times(args, ctx)
    wanted = [name.strip() for name in args.jobs.split(",") if name.strip()]
    unknown = sorted(set(wanted) - {job.name for job in jobs_module.JOBS})
    if unknown:
        print(f"unknown jobs: {', '.join(unknown)}", file=sys.stderr)
        return 2
    selected = [job for job in jobs_module.JOBS if not wanted or job.name in wanted]
    variants = (jobs_module.API,) if args.no_hand else jobs_module.VARIANTS
    if args.no_limit:
        variants = tuple(v for v in variants if v != jobs_module.LIMIT)

    rows: list[dict[str, Any]] = []
    load_before = load_average()
    if load_before and load_before[0] > (os.cpu_count() or 1):
        print(f"warning: load average {load_before[0]} exceeds {os.cpu_count()} CPUs: other processes compete "
              "with the server and the figures will be low and noisy", file=sys.stderr)
    connection.close()
    with Gunicorn(env=environment(**server_env), workers=args.workers,
                  log_path=args.output.parent / "gunicorn.log") as server:
        print(f"gunicorn on 127.0.0.1:{server.port}, {args.workers} workers; concurrency {args.concurrency}")
        for job in selected:
            job_rows = run_job(job, tuple(v for v in job.variants if v in variants), ctx, server, args)
            rows += job_rows
            for row in job_rows:
                print(f"  {job.name:<16} {row['variant']:<5} {row['status']:<8} "
                      + (f"{row['rps']:8.1f} req/s  p50 {row['p50_ms'] or 0:7.1f} ms" if "rps" in row else
                         row.get("note", "")), flush=True)
            by_variant = {row["variant"]: row for row in job_rows}
            api_row = by_variant[jobs_module.API]
            for variant, key in ((jobs_module.HAND, "ratio"), (jobs_module.LIMIT, "limit_ratio")):
                other = by_variant.get(variant)
                if api_row.get("rps") and other and other.get("rps"):
                    api_row[key] = api_row["rps"] / other["rps"]
        high_water = server.high_water_mb()
    load_after = load_average()

    checks = targets(rows, vendor=connection.vendor)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": database_label(),
        "machine": machine(),
        "dataset": {**params.__dict__, "seeded_in_seconds": seeded_in},
        "settings": {"analyze": args.analyze, "workers": args.workers, "concurrency": args.concurrency,
                     "rounds": args.rounds,
                     "duration": args.duration, "requests": args.requests, "serial": args.serial},
        "jobs": rows,
        "worker_high_water_mb": high_water,
        "load_average": {"before": load_before, "after": load_after},
        "targets": checks,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    write_json(args.output, document)
    print()
    print(table(rows, checks))
    print("\nworker peak RSS over the whole run (VmHWM): "
          + ", ".join(f"{pid}: {mb:.0f} MB" for pid, mb in high_water.items()))
    print(f"load average before / after the jobs: {load_before} / {load_after} (nproc {os.cpu_count()})")
    print(f"written to {args.output} in {document['total_seconds']}s")
    return 0
