"""Real headless Chromium (Debian's `chromium` package) driven by Playwright, against pytest-django's live server.

Playwright is launched on the system binary (`executable_path`); `playwright install` is never
needed. Where the binary or the Playwright package is missing, every browser test is skipped
and says so plainly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.selfservice.fixtures import catalog, page_path, person, unsubscribe_path

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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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


@pytest.fixture
def browser_settings(settings, live_server):
    """Plain HTTP on the live server: cookies must not require HTTPS; links point at the live server."""
    settings.PREFCENTER_BASE_URL = live_server.url
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    return settings


@pytest.fixture
def open_page(chromium, live_server, browser_settings):
    """`open_page(path, viewport=PHONE, javascript=True)` → a fresh Playwright page on the live server.

    Console errors (a CSP violation, a missing asset) fail the test.
    """
    contexts = []
    errors: list[str] = []

    def build(path: str, *, viewport=DESKTOP, javascript: bool = True, error_status: bool = False):
        context = chromium.new_context(viewport=viewport, java_script_enabled=javascript, locale="en-US")
        contexts.append(context)
        page = context.new_page()

        def on_console(message) -> None:
            # An error page's own 4xx status is logged as a failed load: expected when asked for.
            if message.type == "error" and not (error_status and message.text.startswith("Failed to load resource")):
                errors.append(message.text)

        page.on("console", on_console)
        page.goto(f"{live_server.url}{path}")
        return page

    yield build
    for context in contexts:
        context.close()
    assert errors == []


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


__all__ = ["catalog", "page_path", "person", "unsubscribe_path"]
