"""How the bench judges its targets (bench/report.py): latency alone is judged, queueing under load reported."""

from __future__ import annotations

from bench.report import targets


def row(job: str, kind: str, **figures) -> dict:
    return {"job": job, "variant": "api", "kind": kind, **figures}


def test_targets_judge_latency_alone_and_report_queueing_when_both_were_measured():
    rows = [
        row("novu_get", "read", p50_serial_ms=12.0, p50_ms=61.0, rps=123.0, concurrency=8, peak_rss_mb=90.0),
        row("evaluate_10k", "read", p50_serial_ms=260.0, p50_ms=1000.0, rps=8.0, concurrency=8, peak_rss_mb=120.0),
        row("reach_patch", "write", ratio=0.4, peak_rss_mb=80.0),
    ]
    checks = {check["target"]: check for check in targets(rows)}
    assert checks["novu_get p50 (the request alone, c=1)"]["result"] == "pass"
    assert checks["evaluate_10k p50 (the request alone, c=1)"]["result"] == "FAIL"
    assert checks["reach_patch: throughput vs hand-written"]["result"] == "FAIL"
    loaded = checks["novu_get p50 under load (c=8, queueing)"]
    assert loaded["result"] == "info"
    assert "would need 320 req/s, measured 123.0" in loaded["limit"]
    assert checks["peak RSS per worker (API jobs)"]["result"] == "pass"


def test_targets_say_missing_when_a_job_did_not_run():
    checks = {check["target"]: check for check in targets([])}
    assert checks["novu_get p50 (the request alone, c=1)"]["result"] == "missing"
    assert checks["peak RSS per worker (API jobs)"]["result"] == "missing"


def test_targets_judge_writes_and_the_novu_get_against_the_limit_when_it_was_measured():
    rows = [
        row("teamup_patch", "write", limit_ratio=0.49, queries=7, peak_rss_mb=80.0),
        row("reach_patch", "write", limit_ratio=0.51, queries=8, peak_rss_mb=80.0),
        row("novu_get", "read", limit_ratio=0.61, p50_serial_ms=12.0, peak_rss_mb=90.0),
        row("evaluate_10k", "read", p50_serial_ms=60.0, peak_rss_mb=120.0),
    ]
    sqlite = {check["target"]: check["result"] for check in targets(rows, vendor="sqlite")}
    postgresql = {check["target"]: check["result"] for check in targets(rows, vendor="postgresql")}
    assert sqlite["teamup_patch: throughput vs the limit"] == "FAIL"
    assert sqlite["teamup_patch: queries per request"] == "pass"
    assert sqlite["reach_patch: throughput vs the limit"] == "pass"
    assert sqlite["reach_patch: queries per request"] == "FAIL"
    assert sqlite["novu_get: throughput vs the limit"] == "pass"
    assert sqlite["evaluate_10k p50 alone (sqlite)"] == "FAIL"  # 50 ms on SQLite
    assert postgresql["evaluate_10k p50 alone (postgresql)"] == "pass"  # 80 ms on PostgreSQL
