"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
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


# ---------------------------------------------------------------- one Chromium per test process
# Playwright's sync API allows one running instance per thread: the session fixture lives here, at the
# root, so the browser tests, the console's and any other share it (two definitions in two conftests
# would be two session instances, and the second would fail to start under the same worker).
CHROMIUM = os.environ.get("PREFCENTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run."""
    path = _chromium_path()
    if path is None:
        pytest.skip(
            f"Chromium is not installed ({CHROMIUM} not found): install Debian's 'chromium' package to run "
            "the browser tests."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed: pip install -e '.[dev]' to run the browser tests.")
    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM synchronously.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


