"""The results: one row per job and variant, the targets checked, a table on stdout and JSON on disk."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

# Targets (issue 7), checked on both databases. The two latency targets are judged on the request's own
# latency (one at a time, c=1); under 8 concurrent clients on 2 sync workers the p50 is queueing,
# 8 / throughput by Little's law, and is reported beside them (docs/bench.md, "How the targets are judged").
WRITE_RATIO_MIN = 0.5
NOVU_GET_P50_MAX_MS = 25.0
EVALUATE_10K_MAX_MS = 250.0
WORKER_RSS_MAX_MB = 150.0
# Issue 16: against the limit (bench/limit.py, the least database work each job needs) instead of the twin.
WRITE_LIMIT_RATIO_MIN = 0.5
NOVU_GET_LIMIT_RATIO_MIN = 0.6
WRITE_QUERIES_MAX = 7
EVALUATE_10K_P50_MAX_MS = {"sqlite": 50.0, "postgresql": 80.0}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        memory = ""
    return {"nproc": os.cpu_count(), "cpu": cpu, "free_h": memory, "python": platform.python_version(),
            "platform": platform.platform()}


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def targets(rows: list[dict[str, Any]], vendor: str = "sqlite") -> list[dict[str, Any]]:
    """Each target with the measured value and pass / fail (or `missing` when its job could not run).

    `vendor` (sqlite, postgresql) chooses the evaluation latency target of issue 16."""
    by = {(r["job"], r["variant"]): r for r in rows}
    checks: list[dict[str, Any]] = []

    def add(name: str, value: Any, limit: str, ok: bool | None) -> None:
        checks.append({"target": name, "value": value, "limit": limit,
                       "result": "missing" if ok is None else ("pass" if ok else "FAIL")})

    for row in rows:
        if row["kind"] == "write" and row["variant"] == "api":
            ratio = row.get("ratio")
            add(f"{row['job']}: throughput vs hand-written", ratio, f">= {WRITE_RATIO_MIN}x",
                None if ratio is None else ratio >= WRITE_RATIO_MIN)
    for job, limit in (("novu_get", NOVU_GET_P50_MAX_MS), ("evaluate_10k", EVALUATE_10K_MAX_MS)):
        row = by.get((job, "api"), {})
        serial = row.get("p50_serial_ms")
        add(f"{job} p50 (the request alone, c=1)", serial, f"< {limit:g} ms",
            None if serial is None else serial < limit)
        loaded, rps, concurrency = row.get("p50_ms"), row.get("rps"), row.get("concurrency") or 8
        if loaded is not None and rps:
            # Little's law: with `concurrency` requests always in flight, latency = concurrency / throughput.
            needed = concurrency / (limit / 1000)
            checks.append({
                "target": f"{job} p50 under load (c={concurrency}, queueing)", "value": loaded,
                "limit": f"reported, not judged: < {limit:g} ms would need {needed:,.0f} req/s, measured {rps:,.1f}",
                "result": "info",
            })
    for row in rows:  # issue 16
        if row["variant"] != "api" or not (row["kind"] == "write" or row["job"] == "novu_get"):
            continue
        minimum = WRITE_LIMIT_RATIO_MIN if row["kind"] == "write" else NOVU_GET_LIMIT_RATIO_MIN
        ratio = row.get("limit_ratio")
        add(f"{row['job']}: throughput vs the limit", ratio, f">= {minimum}x",
            None if ratio is None else ratio >= minimum)
        if row["kind"] == "write":
            queries = row.get("queries")
            add(f"{row['job']}: queries per request", queries, f"<= {WRITE_QUERIES_MAX}",
                None if queries is None else queries <= WRITE_QUERIES_MAX)
    alone = EVALUATE_10K_P50_MAX_MS.get(vendor)
    if alone is not None:
        serial = by.get(("evaluate_10k", "api"), {}).get("p50_serial_ms")
        add(f"evaluate_10k p50 alone ({vendor})", serial, f"<= {alone:g} ms",
            None if serial is None else serial <= alone)
    peaks = [r["peak_rss_mb"] for r in rows if r.get("peak_rss_mb") is not None and r["variant"] == "api"]
    peak = max(peaks) if peaks else None
    add("peak RSS per worker (API jobs)", peak, f"< {WORKER_RSS_MAX_MB:g} MB",
        None if peak is None else peak < WORKER_RSS_MAX_MB)
    return checks


def table(rows: list[dict[str, Any]], checks: list[dict[str, Any]]) -> str:
    header = ("job", "variant", "status", "reqs", "req/s", "p50 ms", "p99 ms", "p50 c=1", "queries", "peak MB",
              "api/hand", "api/limit")
    lines = [header]
    for r in rows:
        lines.append((
            r["job"], r["variant"], r["status"], _fmt(r.get("requests")), _fmt(r.get("rps")),
            _fmt(r.get("p50_ms")), _fmt(r.get("p99_ms")), _fmt(r.get("p50_serial_ms")),
            _fmt(r.get("queries")), _fmt(r.get("peak_rss_mb")),
            _fmt(r.get("ratio"), 2) if r["variant"] == "api" else "",
            _fmt(r.get("limit_ratio"), 2) if r["variant"] == "api" and "limit_ratio" in r else "",
        ))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(str(cell).ljust(w) if i < 3 else str(cell).rjust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    out.append("targets:")
    for check in checks:
        out.append(f"  {check['result']:<7} {check['target']}: {_fmt(check['value'], 2)} ({check['limit']})")
    for r in rows:
        if r.get("note"):
            out.append(f"  note {r['job']}/{r['variant']}: {r['note']}")
    return "\n".join(out)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
