"""The self-service pages' shell: their stylesheet, their script, the tenant's branding, and the assets' routes.

- **Stylesheet** (prefcenter/static/selfservice/page.css): inlined in every page (no static
  file server needed) with the tenant's accent colour appended, and allowed by its CSP hash.
- **Script** (prefcenter/static/selfservice/page.js): progressive enhancement only (a save bar
  that says when something changed, a warning before leaving with unsaved changes, Enter on a
  switch does not submit). Served by the app at a URL that names its content hash, so it can be
  cached for a year and CSP `script-src 'self'` allows it; the pages work the same without it.
- **Logo**: served from the database at `/assets/logos/<sha256>` (prefcenter/logos.py).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from prefcenter.branding import accent_stylesheet
from prefcenter.logos import logo_get

STATIC = Path(__file__).resolve().parent / "static" / "selfservice"
SCRIPT_PREFIX = "/assets/selfservice/page."
LOGO_PREFIX = "/assets/logos/"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Stylesheet:
    css: str
    csp_hash: str


@cache
def _base_css() -> str:
    return (STATIC / "page.css").read_text(encoding="utf-8")


@lru_cache(maxsize=256)
def stylesheet(accent: str = "") -> Stylesheet:
    """The page's CSS with the tenant's accent colour, and the CSP hash that allows exactly it."""
    css = _base_css() + accent_stylesheet(accent)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return Stylesheet(css, f"'sha256-{digest}'")


@cache
def script() -> tuple[bytes, str]:
    """The page's script and its version (a prefix of its SHA-256, part of its URL)."""
    body = (STATIC / "page.js").read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def script_url() -> str:
    return f"{SCRIPT_PREFIX}{script()[1]}.js"


def content_security_policy(style_hash: str | None = None) -> str:
    """The self-service pages' policy: their own inline stylesheet and script file, images from here, no one else."""
    return (
        f"default-src 'none'; style-src {style_hash or stylesheet().csp_hash}; script-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def shell_context(tenant: Any) -> dict[str, Any]:
    """What templates/selfservice/base.html needs: the stylesheet, the script and the tenant's branding."""
    sheet = stylesheet(getattr(tenant, "accent_color", "") or "")
    logo_sha = getattr(tenant, "logo_sha256", "") if tenant is not None else ""
    return {
        "stylesheet": sheet.css,
        "stylesheet_hash": sheet.csp_hash,
        "script_url": script_url(),
        "logo_url": f"{LOGO_PREFIX}{logo_sha}" if logo_sha else "",
    }


def _asset(body: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


@require_http_methods(["GET", "HEAD"])
def script_view(request: HttpRequest, version: str) -> HttpResponse:
    """The page's script; an old version's URL is a 404 (its pages are gone: they are never cached)."""
    body, current = script()
    if version != current:
        raise Http404("No such script version.")
    return _asset(body, "text/javascript; charset=utf-8")


@require_http_methods(["GET", "HEAD"])
def logo_view(request: HttpRequest, sha256: str) -> HttpResponse:
    """A tenant's logo by its content hash, with the type its bytes were checked to be when uploaded."""
    logo = logo_get(sha256=sha256)
    if logo is None:
        raise Http404("No such logo.")
    return _asset(bytes(logo.data), logo.content_type)
