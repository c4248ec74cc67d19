"""Real headless Chromium (Debian's `chromium` package) driven by Playwright, against pytest-django's live server.

Playwright is launched on the system binary (`executable_path`); `playwright install` is never
needed. Where the binary or the Playwright package is missing, every browser test is skipped
and says so plainly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (the `chromium` fixture lives there: one per process)
from tests.selfservice.fixtures import catalog, page_path, person, unsubscribe_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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
    """`open_page(path, viewport=PHONE, javascript=True, locale="de-DE")` → a fresh Playwright page on the live server.

    Console errors (a CSP violation, a missing asset) fail the test.
    """
    contexts = []
    errors: list[str] = []

    def build(
        path: str, *, viewport=DESKTOP, javascript: bool = True, error_status: bool = False, locale: str = "en-US"
    ):
        # `locale` is the browser's language (Accept-Language): the page speaks it when the customer has none.
        context = chromium.new_context(viewport=viewport, java_script_enabled=javascript, locale=locale)
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


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core (MPL-2.0), vendored in tests/browser/vendor/axe-core/ so the tests run offline.

    Refresh with `npm pack axe-core@4` and copy `package/axe.min.js` and its licence files there.
    """
    if not AXE.exists():
        pytest.fail(f"axe-core is missing: expected {AXE} (see tests/browser/vendor/axe-core/README.md)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, source: str) -> list[dict]:
    """Runs axe-core (WCAG 2.0-2.2 A/AA and best practices) on the page; returns its violations, simplified.

    Injected through the DevTools protocol (`page.evaluate`), which the page's CSP does not govern,
    so the page's policy stays exactly what customers get.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    return page.evaluate(
        """async () => {
             const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
             const r = await axe.run(document, {
               runOnly: {type: 'tag', values: tags},
               resultTypes: ['violations'],
             });
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
           }"""
    )


def overflowing(page) -> dict:
    """What sticks out sideways: the page's scroll width, and every visible element wider than the viewport."""
    return page.evaluate(
        """() => {
             const width = window.innerWidth;
             const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const box = el.getBoundingClientRect();
               if (box.width === 0 || box.height === 0) continue;
               const style = getComputedStyle(el);
               if (style.position === 'absolute' && style.clip !== 'auto') continue;  // visually hidden text
               if (el.closest('.visually-hidden, .skip')) continue;
               if (box.right > width + 0.5 || box.left < -0.5) {
                 wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' +
                   String(el.className).trim().split(/ +/).join('.') : ''} ` +
                   `[${Math.round(box.left)}..${Math.round(box.right)}] ${(el.textContent || '').trim().slice(0, 40)}`);
               }
             }
             // Text that runs out of its box (a long word that does not wrap) does not widen the box: measure it.
             const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
             const range = document.createRange();
             for (let node = walker.nextNode(); node; node = walker.nextNode()) {
               if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden, .skip, title')) continue;
               range.selectNodeContents(node);
               const box = range.getBoundingClientRect();
               if (box.width && (box.right > width + 0.5 || box.left < -0.5)) {
                 wide.push(`text in ${node.parentElement.tagName.toLowerCase()} ` +
                   `[${Math.round(box.left)}..${Math.round(box.right)}] ${node.textContent.trim().slice(0, 40)}`);
               }
             }
             return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 15)};
           }"""
    )


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


__all__ = ["catalog", "page_path", "person", "unsubscribe_path"]
