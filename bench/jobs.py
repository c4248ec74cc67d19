"""The jobs: for each, the requests to the API route and to its hand-written twin (bench/views.py).

Write jobs are built so that every request really changes one stored value (and so
writes its consent event): the current value is read from the database just before
the job and the request sends the other one, each request on a customer no other
request of the run touches. A write that changes nothing would measure a no-op.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.load import Request
from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import EMAIL
from prefcenter.models import Tenant
from subscribers.models import Workflow, WorkflowPreference

API = "api"
HAND = "hand"
VARIANTS = (API, HAND)


@dataclass
class Context:
    """What request builders need: the tenant, the run's API key, the catalog, a pool of untouched customers."""

    tenant: Tenant
    raw_key: str
    rng: random.Random
    customers: list[tuple[int, str]]  # (id, external id), shuffled
    workflows: list[Workflow]
    categories: list[Category]
    _next: int = 0

    def take(self, n: int) -> list[tuple[int, str]]:
        """n customers no earlier `take` of this run handed out (wrapping when the pool is used up)."""
        picked = [self.customers[(self._next + i) % len(self.customers)] for i in range(n)]
        self._next += n
        return picked

    def sample(self, n: int) -> list[tuple[int, str]]:
        """n customers drawn at random, with repeats (reads)."""
        return [self.customers[self.rng.randrange(len(self.customers))] for _ in range(n)]

    def distinct(self, n: int) -> list[tuple[int, str]]:
        """n different customers drawn at random (an evaluation's recipients)."""
        return self.rng.sample(self.customers, min(n, len(self.customers)))

    @property
    def toggleable_email_workflows(self) -> list[Workflow]:
        return [
            w for w in self.workflows
            if EMAIL in (w.channels or []) and not w.critical and not (w.category_id and w.category.mandatory)
        ]

    def headers(self, scheme: str = "Token", **extra: str) -> dict[str, str]:
        return {"Authorization": f"{scheme} {self.raw_key}", "Accept": "application/json",
                "Content-Type": "application/json", **extra}


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# ----------------------------------------------------------------------------- writes


def _email_capable(ctx: Context, n: int) -> list[tuple[int, str]]:
    """n untouched customers who can receive email (an address, no opt-out): turning email on is then allowed."""
    picked: list[tuple[int, str]] = []
    while len(picked) < n:
        batch = ctx.take(max(8, (n - len(picked)) * 11 // 10))
        capable = set(
            Customer.objects.filter(pk__in=[cid for cid, _e in batch], email_opt_out=False)
            .exclude(email="").values_list("id", flat=True)
        )
        picked += [(cid, ext) for cid, ext in batch if cid in capable]
    return picked[:n]


def teamup_patch(ctx: Context, variant: str, n: int) -> list[Request]:
    """PATCH one workflow's email switch of one customer (TeamUp notification preference), flipped."""
    pairs = [(cid, ext, ctx.rng.choice(ctx.toggleable_email_workflows)) for cid, ext in _email_capable(ctx, n)]
    stored = _stored_workflow_email(pairs)
    requests = []
    for cid, _ext, workflow in pairs:
        value = stored.get((cid, workflow.pk)) is False  # unset or true → false; false → true
        path = (f"/api/v2/customers/{cid}/notification_preferences/{workflow.pk}" if variant == API
                else f"/bench/hand/teamup/{cid}/notification_preferences/{workflow.pk}")
        requests.append(Request("PATCH", path, _json({"email_enabled": value}), ctx.headers("Token")))
    return requests


def novu_patch(ctx: Context, variant: str, n: int) -> list[Request]:
    """Novu PATCH of one workflow's email channel, flipped; the answer carries all 200 workflows."""
    pairs = [(cid, ext, ctx.rng.choice(ctx.toggleable_email_workflows)) for cid, ext in ctx.take(n)]
    stored = _stored_workflow_email(pairs)
    requests = []
    for cid, ext, workflow in pairs:
        value = stored.get((cid, workflow.pk)) is False
        path = f"/v2/subscribers/{ext}/preferences" if variant == API else f"/bench/hand/novu/{ext}/preferences/patch"
        body = {"channels": {"email": value}, "workflowId": workflow.identifier}
        requests.append(Request("PATCH", path, _json(body), ctx.headers("ApiKey")))
    return requests


def _stored_workflow_email(pairs) -> dict[tuple[int, int], bool | None]:
    rows = WorkflowPreference.objects.filter(
        customer_id__in=[cid for cid, _e, _w in pairs], workflow_id__in={w.pk for _c, _e, w in pairs}
    ).values_list("customer_id", "workflow_id", "email")
    return {(cid, wid): email for cid, wid, email in rows}


def messaging_put(ctx: Context, variant: str, n: int) -> list[Request]:
    """PUT a category preference (provider mode, Prefcenter-Customer); the email switch differs from what is stored."""
    optional = [c for c in ctx.categories if not c.mandatory]
    pairs = [(cid, ext, ctx.rng.choice(optional)) for cid, ext in ctx.take(n)]
    stored = {
        (row.customer_id, row.category_id): row
        for row in CategoryPreference.objects.filter(
            customer_id__in=[cid for cid, _e, _c in pairs], category_id__in={c.pk for _i, _e, c in pairs}
        )
    }
    requests = []
    for cid, ext, category in pairs:
        row = stored.get((cid, category.pk))
        if row is not None:
            values = {"in_app_enabled": row.in_app_enabled, "email_enabled": not row.email_enabled,
                      "push_enabled": row.push_enabled, "digest": row.digest}
        else:
            values = {"in_app_enabled": category.default_in_app, "email_enabled": not category.default_email,
                      "push_enabled": category.default_push, "digest": "daily"}
        path = "/v1/messaging/preferences" if variant == API else "/bench/hand/messaging/preferences"
        headers = ctx.headers("Bearer", **{"Prefcenter-Customer": ext})
        requests.append(Request("PUT", path, _json({"category": category.key, **values}), headers))
    return requests


def reach_patch(ctx: Context, variant: str, n: int) -> list[Request]:
    """Reach PATCH of a customer's emailOptOut, flipped."""
    picked = ctx.take(n)
    current = dict(Customer.objects.filter(pk__in=[cid for cid, _e in picked]).values_list("id", "email_opt_out"))
    requests = []
    for cid, ext in picked:
        path = f"/api/resources/customers/{ext}" if variant == API else f"/bench/hand/reach/{ext}"
        body = {"data": {"emailOptOut": not current[cid]}}
        requests.append(Request("PATCH", path, _json(body), ctx.headers("Bearer", **{"reach-tenant-id": "bench"})))
    return requests


# ----------------------------------------------------------------------------- reads


def novu_get(ctx: Context, variant: str, n: int) -> list[Request]:
    """Novu GET of a customer's preferences: every one of the 200 workflows resolved."""
    requests = []
    for _cid, ext in ctx.sample(n):
        path = f"/v2/subscribers/{ext}/preferences" if variant == API else f"/bench/hand/novu/{ext}/preferences"
        requests.append(Request("GET", path, None, ctx.headers("ApiKey")))
    return requests


def evaluate_body(workflow: Workflow, recipients: list[str]) -> dict:
    """The evaluation request of docs/selfservice.md: one workflow, many recipients by external id."""
    return {"workflow": workflow.identifier, "recipients": recipients}


def evaluate(size: int, distinct: int = 8) -> Callable[[Context, str, int], list[Request]]:
    """POST /v1/deliveries/evaluate for `size` recipients; `distinct` bodies (workflow, recipients) are cycled."""

    def build(ctx: Context, variant: str, n: int) -> list[Request]:
        path = "/v1/deliveries/evaluate" if variant == API else "/bench/hand/deliveries/evaluate"
        bodies = [
            _json(evaluate_body(ctx.rng.choice(ctx.workflows), [ext for _c, ext in ctx.distinct(size)]))
            for _ in range(min(n, distinct))
        ]
        return [Request("POST", path, bodies[i % len(bodies)], ctx.headers("Token")) for i in range(n)]

    build.__doc__ = f"Evaluation of {size:,} recipients against one workflow."
    return build


def selfservice_get(ctx: Context, variant: str, n: int) -> list[Request]:
    """GET of the self-service page through a signed link (no API key)."""
    from selfservice.links import PURPOSE_PREFERENCES, link_token

    picked = ctx.sample(min(n, 500))
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=[cid for cid, _e in picked])}
    tokens = [link_token(customer=customers[cid], purpose=PURPOSE_PREFERENCES) for cid, _e in picked]
    headers = {"Accept": "text/html"} if variant == API else {"Accept": "application/json"}
    return [
        Request("GET", f"/p/{token}/" if variant == API else f"/bench/hand/p/{token}/", None, headers)
        for token in (tokens[i % len(tokens)] for i in range(n))
    ]


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    kind: str  # "write" or "read"
    build: Callable[[Context, str, int], list[Request]]
    max_requests: int


JOBS: tuple[Job, ...] = (
    Job("teamup_patch", "TeamUp PATCH notification preference", "write", teamup_patch, 3000),
    Job("messaging_put", "messaging PUT preference", "write", messaging_put, 3000),
    Job("novu_get", "Novu GET preferences (200 workflows)", "read", novu_get, 3000),
    Job("novu_patch", "Novu PATCH preferences", "write", novu_patch, 3000),
    Job("reach_patch", "Reach PATCH customer", "write", reach_patch, 3000),
    Job("evaluate_1k", "evaluate 1,000 recipients", "read", evaluate(1_000), 1000),
    Job("evaluate_10k", "evaluate 10,000 recipients", "read", evaluate(10_000), 300),
    Job("selfservice_get", "self-service page GET", "read", selfservice_get, 3000),
)
