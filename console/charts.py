"""Server-side SVG charts for the dashboard: plain markup, no script, no external asset.

Every label and value is escaped; each bar carries a `<title>` (a tooltip without JavaScript)
and the page prints the same numbers in a table for screen readers and copying.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from console.dashboard import DayCount, Rate

OPT_OUT_COLOR = "#ba2121"
OPT_IN_COLOR = "#417690"


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(  # every interpolated text is escaped by the callers
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" class="console-chart" '
        f'style="max-width:{width}px;font:12px sans-serif">{"".join(body)}</svg>'
    )


def rate_bars(rates: Sequence[Rate], *, label: str, width: int = 560) -> SafeString:
    """Horizontal bars, one per rate (0-100 %), labelled on the left, the percentage on the right."""
    row, left, right = 26, 150, 110
    height = max(row * len(rates) + 10, 40)
    span = width - left - right
    body = []
    for index, rate in enumerate(rates):
        y = 5 + index * row
        length = round(span * rate.ratio, 1)
        text = f"{rate.ratio:.1%} ({rate.opted_out:,} of {rate.total:,})"
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(rate.label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{span}" height="16" fill="#eee"/>'
            f'<rect x="{left}" y="{y + 3}" width="{length}" height="16" fill="{OPT_OUT_COLOR}">'
            f"<title>{escape(rate.label)}: {escape(text)}</title></rect>"
            f'<text x="{left + span + 6}" y="{y + 15}">{escape(f"{rate.ratio:.1%}")}</text>'
        )
    return _svg(width, height, label, body)


def daily_columns(days: Sequence[DayCount], *, label: str, width: int = 900, height: int = 240) -> SafeString:
    """Opt-outs (down-facing, red) and opt-ins (up-facing, blue) per day, on one shared scale around a middle line."""
    left, bottom, top = 48, 22, 10
    plot_height = height - top - bottom
    middle = top + plot_height / 2
    peak = max([1, *(d.opt_outs for d in days), *(d.opt_ins for d in days)])
    step = (width - left - 8) / max(len(days), 1)
    bar = max(step - 1, 1)
    scale = (plot_height / 2) / peak
    body = [
        f'<line x1="{left}" y1="{middle}" x2="{width - 8}" y2="{middle}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">+{peak:,}</text>',
        f'<text x="{left - 6}" y="{middle + 4}" text-anchor="end">0</text>',
        f'<text x="{left - 6}" y="{top + plot_height}" text-anchor="end">-{peak:,}</text>',
    ]
    for index, day in enumerate(days):
        x = round(left + index * step, 2)
        title = f"{day.day.isoformat()}: {day.opt_outs:,} opt-outs, {day.opt_ins:,} opt-ins"
        if day.opt_ins:
            h = round(day.opt_ins * scale, 2)
            body.append(
                f'<rect x="{x}" y="{round(middle - h, 2)}" width="{bar:.2f}" height="{h}" fill="{OPT_IN_COLOR}">'
                f"<title>{escape(title)}</title></rect>"
            )
        if day.opt_outs:
            h = round(day.opt_outs * scale, 2)
            body.append(
                f'<rect x="{x}" y="{middle}" width="{bar:.2f}" height="{h}" fill="{OPT_OUT_COLOR}">'
                f"<title>{escape(title)}</title></rect>"
            )
        if index % 15 == 0 or index == len(days) - 1:
            anchor = "end" if index == len(days) - 1 else "start"
            body.append(
                f'<text x="{round(x + bar, 2) if anchor == "end" else x}" y="{height - 6}" text-anchor="{anchor}">'
                f'{escape(day.day.strftime("%b %d"))}</text>'
            )
    return _svg(width, height, label, body)
