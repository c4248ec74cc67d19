"""The benchmark dataset: one tenant, N customers, a catalog, and explicit choices for a fraction of them.

Reproducible: every value (uuids included) comes from one `random.Random(seed)`, so the
same parameters give the same rows on SQLite and PostgreSQL.

Rows are written with `bulk_create` in batches, straight into the models, not through
the services: the services write one consent event per changed field, and the ledger is
not needed to measure requests (the benchmark's own writes do go through the services,
so their events are written and counted). Seeding 100,000 customers takes seconds.

The parameters are stored in a one-row table (`bench_seed`, raw SQL, not a model) so a
later run against the same database reuses the rows when they match.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import asdict, dataclass

from django.db import connection, transaction

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS, DIGESTS, EMAIL
from prefcenter.models import ApiKey, Tenant

# Raise when the shape of the seeded rows changes, so that old databases are reseeded.
SEED_FORMAT = 2
TENANT_SLUG = "bench"
BATCH = 5000
MARKER_TABLE = "bench_seed"


@dataclass(frozen=True)
class SeedParams:
    customers: int = 100_000
    categories: int = 20
    workflows: int = 200
    chosen_fraction: float = 0.20
    seed: int = 20_240_601
    format: int = SEED_FORMAT

    def marker(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# ----------------------------------------------------------------------------- the marker


def stored_marker() -> str | None:
    with connection.cursor() as cursor:
        if MARKER_TABLE not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT params FROM {MARKER_TABLE}")
        row = cursor.fetchone()
    return row[0] if row else None


def _store_marker(params: SeedParams) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (params TEXT NOT NULL)")
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (params) VALUES (%s)", [params.marker()])


def _clear_marker() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


# ----------------------------------------------------------------------------- seeding


def is_seeded(params: SeedParams) -> bool:
    return stored_marker() == params.marker() and Tenant.objects.filter(slug=TENANT_SLUG).exists()


def seed(params: SeedParams, *, log=print) -> float:
    """Write the dataset into an empty (migrated) database; returns the seconds it took."""
    from subscribers.catalog import catalog_changed
    from subscribers.models import Workflow, WorkflowPreference

    started = time.perf_counter()
    rng = random.Random(params.seed)
    _clear_marker()
    with transaction.atomic():
        tenant = Tenant.objects.create(slug=TENANT_SLUG, name="Bench Inc.", uuid=_uuid(rng))

        categories = []
        for i in range(params.categories):
            categories.append(Category(
                tenant=tenant, key=f"cat-{i:02d}", name=f"Category {i}", description="Benchmark category.",
                mandatory=(i == 0),
                default_in_app=True,
                default_email=True if i == 0 else rng.random() < 0.8,
                default_push=True if i == 0 else rng.random() < 0.7,
                default_digest="instant" if i == 0 else rng.choice(("instant", "instant", "hourly", "daily")),
            ))
        categories = Category.objects.bulk_create(categories)
        categories = list(Category.objects.filter(tenant=tenant).order_by("key"))
        optional = [c for c in categories if not c.mandatory]

        workflows = []
        for i in range(params.workflows):
            channels = [c for c in CHANNELS if rng.random() < 0.6] or [EMAIL]
            if rng.random() < 0.9 and EMAIL not in channels:
                channels.insert(0, EMAIL)
            workflows.append(Workflow(
                tenant=tenant, identifier=f"wf-{i:03d}", slug=f"wf-{i:03d}", name=f"Workflow {i}",
                description="Benchmark workflow.",
                category=None if i % 10 == 9 else categories[i % len(categories)],
                critical=(i % 40 == 0),
                channels=[c for c in CHANNELS if c in channels],
                defaults={c: rng.random() < 0.7 for c in channels if rng.random() < 0.3},
                tags=[f"tag-{i % 7}"],
            ))
        Workflow.objects.bulk_create(workflows)
        catalog_changed(tenant)  # bulk_create skips the receivers that renew the catalog revision
        workflows = list(Workflow.objects.filter(tenant=tenant).select_related("category").order_by("identifier"))
        toggleable = [w for w in workflows if not w.critical and not (w.category_id and w.category.mandatory)]

        rows = []
        for i in range(params.customers):
            has_phone = rng.random() < 0.6
            rows.append(Customer(
                tenant=tenant, uuid=_uuid(rng), external_id=f"c{i:07d}",
                email=f"person{i}@example.com" if rng.random() < 0.95 else "",
                phone=f"+1415{200 + (i // 10000) % 800}{i % 10000:04d}" if has_phone else "",
                first_name="Person", last_name=str(i), locale="en", timezone="UTC",
                email_opt_out=rng.random() < 0.02,
                sms_opt_out=not (has_phone and rng.random() < 0.7),
            ))
        for start in range(0, len(rows), BATCH):
            Customer.objects.bulk_create(rows[start:start + BATCH])
        log(f"  {params.customers} customers ({time.perf_counter() - started:.1f}s)")

        ids = dict(Customer.objects.filter(tenant=tenant).values_list("external_id", "id"))
        chosen = rng.sample(sorted(ids), int(params.customers * params.chosen_fraction))
        category_rows: list[CategoryPreference] = []
        workflow_rows: list[WorkflowPreference] = []
        for external_id in sorted(chosen):
            customer_id = ids[external_id]
            for category in rng.sample(optional, rng.randint(1, 3)):
                category_rows.append(_category_choice(rng, tenant, customer_id, category))
            if rng.random() < 0.10:
                category_rows.append(_category_choice(rng, tenant, customer_id, None))
            for workflow in rng.sample(toggleable, rng.randint(1, 5)):
                values = {c: rng.random() < 0.6 for c in workflow.channels if rng.random() < 0.5}
                workflow_rows.append(WorkflowPreference(
                    tenant=tenant, customer_id=customer_id, workflow=workflow,
                    enabled=False if rng.random() < 0.05 else None, **values,
                ))
            if rng.random() < 0.05:  # a few global opt-outs (Novu's global switch)
                workflow_rows.append(WorkflowPreference(
                    tenant=tenant, customer_id=customer_id, workflow=None,
                    enabled=False if rng.random() < 0.3 else None, sms=False, email=rng.random() < 0.5,
                ))
        for start in range(0, len(category_rows), BATCH):
            CategoryPreference.objects.bulk_create(category_rows[start:start + BATCH])
        for start in range(0, len(workflow_rows), BATCH):
            WorkflowPreference.objects.bulk_create(workflow_rows[start:start + BATCH])
        log(f"  {len(chosen)} customers with choices: {len(category_rows)} category and "
            f"{len(workflow_rows)} workflow preferences ({time.perf_counter() - started:.1f}s)")
        _store_marker(params)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _category_choice(rng: random.Random, tenant: Tenant, customer_id: int, category: Category | None):
    return CategoryPreference(
        public_id=_uuid(rng), tenant=tenant, customer_id=customer_id, category=category,
        in_app_enabled=rng.random() < 0.8,
        email_enabled=rng.random() < 0.7,
        push_enabled=rng.random() < 0.6,
        digest=rng.choice(DIGESTS[:3]) if rng.random() < 0.9 else "off",
    )


def bench_tenant() -> Tenant:
    return Tenant.objects.get(slug=TENANT_SLUG)


def fresh_api_key(tenant: Tenant) -> str:
    """A new provider key with every scope for this run; earlier runs' bench keys older than an hour are
    removed (not younger ones: two bench processes at once, e.g. `--time` beside a load run, keep theirs)."""
    from datetime import timedelta

    from django.utils import timezone

    from prefcenter.credentials import api_key_create
    from prefcenter.models import SCOPES

    ApiKey.objects.filter(tenant=tenant, name="bench", created_at__lt=timezone.now() - timedelta(hours=1)).delete()
    return api_key_create(tenant=tenant, scopes=list(SCOPES), name="bench")[1]
