"""The benchmark harness stays alive: a tiny dataset is seeded reproducibly, and one job runs end to end
(gunicorn, load, the hand-written twin, the JSON report). Slow: it starts gunicorn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.seed import SeedParams, is_seeded, seed
from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.models import ConsentEvent
from subscribers.models import Workflow, WorkflowPreference

ROOT = Path(__file__).resolve().parents[2]
TINY = SeedParams(customers=300, categories=4, workflows=12, chosen_fraction=0.2, seed=7)


def _rows() -> dict[str, list]:
    return {
        "customers": list(Customer.objects.order_by("external_id").values_list("external_id", "uuid", "phone",
                                                                               "email_opt_out", "sms_opt_out")),
        "category_preferences": list(CategoryPreference.objects.order_by("public_id").values_list(
            "public_id", "customer__external_id", "category__key", "email_enabled", "digest")),
        "workflow_preferences": sorted(
            WorkflowPreference.objects.values_list("customer__external_id", "workflow__identifier", "enabled",
                                                   "email", "sms"),
            key=repr,
        ),
    }


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_writes_the_same_rows_when_seeded_twice_with_the_same_parameters():
    seed(TINY, log=lambda *_: None)
    first = _rows()
    assert is_seeded(TINY)
    assert not is_seeded(SeedParams(customers=301, categories=4, workflows=12, seed=7))
    assert (Customer.objects.count(), Category.objects.count(), Workflow.objects.count()) == (300, 4, 12)
    assert len({external_id for external_id, *_ in first["workflow_preferences"]}
               | {row[1] for row in first["category_preferences"]}) == 60  # 20% of 300 chose something
    assert ConsentEvent.objects.count() == 0  # seeding bypasses the services: no ledger

    for model in (WorkflowPreference, CategoryPreference, Workflow, Customer, Category):
        model.objects.all().delete()
    from prefcenter.models import Tenant

    Tenant.objects.all().delete()
    seed(TINY, log=lambda *_: None)
    assert _rows() == first


@pytest.mark.slow
def test_bench_runs_one_write_job_against_its_twin_and_its_limit_when_given_a_tiny_dataset(tmp_path):
    env = dict(os.environ)
    if env.get("DATABASE_URL"):  # never the real bench database: a throwaway one beside it
        parts = urlsplit(env["DATABASE_URL"])
        env["BENCH_DATABASE_URL"] = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_benchtest"))
    output = tmp_path / "latest.json"
    command = [
        sys.executable, "-m", "bench", "--reseed", "--customers", "300", "--categories", "4", "--workflows", "12",
        "--jobs", "reach_patch", "--duration", "1", "--requests", "40", "--serial", "3", "--concurrency", "2",
        "--sqlite-path", str(tmp_path / "bench.sqlite3"), "--output", str(output),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    report = json.loads(output.read_text())
    rows = {row["variant"]: row for row in report["jobs"]}
    assert set(rows) == {"api", "hand", "limit"}
    for row in rows.values():
        assert row["status"] == "ok", row
        assert row["job"] == "reach_patch"
        assert row["requests"] > 0 and row["errors"] == 0
        assert row["p50_ms"] > 0 and row["p99_ms"] >= row["p50_ms"]
        assert row["queries"] > 0
        assert 0 < row["peak_rss_mb"] < 1024
    # The same database work on both sides: same queries per request.
    assert rows["api"]["queries"] == rows["hand"]["queries"]
    assert rows["api"]["ratio"] == pytest.approx(rows["api"]["rps"] / rows["hand"]["rps"])
    # The limit: the customer's UPDATE and the SELECT of it, alternated with the others in rounds.
    assert rows["limit"]["queries"] == 2
    assert rows["api"]["limit_ratio"] == pytest.approx(rows["api"]["rps"] / rows["limit"]["rps"])
    assert {row["rounds"] for row in rows.values()} == {3}
    assert "reach_patch: throughput vs the limit" in {check["target"] for check in report["targets"]}
    assert report["dataset"]["customers"] == 300
    assert {check["target"] for check in report["targets"]} >= {"peak RSS per worker (API jobs)"}
    assert "reach_patch" in done.stdout
