"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.factories import make_api_key, make_customer, make_tenant


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle buckets and idempotency locks live in the cache; ids repeat across tests, so start each clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tenant(db):
    return make_tenant("acme", name="Acme Inc.")


@pytest.fixture
def other_tenant(db):
    return make_tenant("globex", name="Globex Corp.")


@pytest.fixture
def customer(tenant):
    return make_customer(tenant, "cust-1", email="ada@example.com", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An APIClient that sends `Authorization: <scheme> <secret>` and any extra headers."""

    def build(secret: str | None, scheme: str = "Token", **headers: str) -> APIClient:
        client = APIClient()
        if secret is not None:
            client.credentials(HTTP_AUTHORIZATION=f"{scheme} {secret}", **headers)
        elif headers:
            client.credentials(**headers)
        return client

    return build


@pytest.fixture
def provider_key(tenant) -> str:
    return make_api_key(tenant)[1]


@pytest.fixture
def api(client_for, provider_key) -> APIClient:
    """Tenant `acme`, provider mode, every scope."""
    return client_for(provider_key)


@pytest.fixture
def other_api(client_for, other_tenant) -> APIClient:
    return client_for(make_api_key(other_tenant)[1])


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every prefcenter table (API keys aside: their last_used_at moves on use)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in ("prefcenter", "customers", "messaging", "subscribers", "webhooks")
        and model._meta.model_name not in ("apikey",)
    }


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """`with unchanged():` asserts that no prefcenter row (ledger included) was created, changed or deleted."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = _snapshot()
        yield
        assert _snapshot() == before

    return check
