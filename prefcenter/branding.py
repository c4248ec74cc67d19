"""A tenant's branding on the self-service pages: the rules for its accent colour and its logo.

- **Accent colour**: `#rrggbb`, and dark enough that white text on it and it as text on the
  page background stay readable (WCAG contrast 4.5:1). A colour that fails is refused with the
  ratio it reached, rather than shipping a page that fails accessibility checks.
- **Logo**: PNG, JPEG or WebP, recognised by the file's first bytes (its name and the type the
  browser claims are not trusted), at most 256 KB. SVG is refused: it can carry script. Stored
  in the database (prefcenter.models.TenantLogo, written by prefcenter/logos.py) and served by
  the app at `/assets/logos/<sha256>`.

Pure rules, no models: prefcenter/models.py validates with them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LOGO_MAX_BYTES = 256 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5
PAGE_BACKGROUND = "#f4f6f8"  # --bg in prefcenter/static/selfservice/page.css
WHITE = "#ffffff"


def _luminance(color: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = []
    for index in (1, 3, 5):
        value = int(color[index : index + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_accent_color(value: str) -> None:
    """`#rrggbb` with contrast ≥ 4.5:1 against white (button text) and the page background (links)."""
    if not value:
        return
    if not HEX_COLOR.match(value):
        raise ValidationError("Enter a colour as #rrggbb, e.g. #1d4ed8.", code="invalid")
    ratio = min(contrast_ratio(value, WHITE), contrast_ratio(value, PAGE_BACKGROUND))
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            f"{value} is too light: white text on it has a contrast of {ratio:.2f}:1, and at least "
            f"{MIN_CONTRAST}:1 is needed to be readable. Choose a darker colour.",
            code="low_contrast",
        )


def logo_content_type(data: bytes) -> str | None:
    """The image type the bytes start with (PNG, JPEG, WebP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_logo(data: bytes) -> str:
    """The logo's content type, or a ValidationError saying what is wrong with the file."""
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {len(data) // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB is allowed.", code="too_large"
        )
    content_type = logo_content_type(data)
    if content_type is None:
        raise ValidationError("The logo must be a PNG, JPEG or WebP image.", code="bad_type")
    return content_type


def accent_stylesheet(color: str) -> str:
    """The CSS that puts the accent on the page (empty for the default)."""
    if not color or not HEX_COLOR.match(color):
        return ""
    return f":root{{--brand:{color.lower()};--on:{color.lower()}}}\n"
