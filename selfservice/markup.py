"""The preference page's repeated markup, written in Python: a chip per switch, a row per workflow.

A large catalog puts hundreds of switches on the page (200 workflows x 5 channels on the bench
catalog); an `{% include %}` and a dozen template nodes per switch were most of the page's time.
The rows are written here instead, in exactly the markup the template had; the template
(templates/selfservice/preferences.html) keeps the page's structure around them.

Escaping: every value put into the markup below goes through `conditional_escape` (the form's
fields and the lock icon are already safe and pass through it unchanged); everything else is a
literal of this module. The strings are plain f-strings rather than `format_html` calls, which
would also escape the literal pieces on every one of hundreds of switches.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from selfservice.state.model import Control, WorkflowRow


def lock_icon() -> SafeString:
    """The padlock shown on what the customer cannot change: the template the page's own badges include."""
    return render_to_string("selfservice/_lock.html")


def chip(control: Control, *, describedby: str, lock: SafeString) -> str:
    """One switch: the form's field with its label when editable, else a disabled checkbox (with the lock if locked)."""
    label = conditional_escape(control.label)
    if control.bound:
        return f'<label class="chip">{conditional_escape(control.bound)}<span>{label}</span></label>\n'
    name = conditional_escape(control.name)
    kind, icon = ("locked", conditional_escape(lock)) if control.locked else ("disabled", "")
    checked = " checked" if control.checked else ""
    described = f' aria-describedby="{conditional_escape(describedby)}"' if describedby else ""
    named = f' aria-label="{conditional_escape(control.aria_label)}"' if control.aria_label else ""
    return (
        f'<span class="chip {kind}"><input type="checkbox" class="switch" id="{name}" disabled{checked}{named}'
        f'{described}><label for="{name}">{label}</label>{icon}</span>\n'
    )


def chips(controls: Iterable[Control], *, lock: SafeString, described: bool) -> SafeString:
    """A row of switches; `described` points each disabled one at the notes that say why."""
    return mark_safe(  # each chip escapes what it shows
        "".join(chip(c, describedby=c.describedby if described else "", lock=lock) for c in controls)
    )


def workflow_row(row: WorkflowRow, *, lock: SafeString, always_sent: str) -> str:
    """A workflow's `<li>`: its name (and a badge when it is always sent), description, switches and notes."""
    workflow = row.workflow
    badge = f' <span class="badge">{conditional_escape(lock)}{always_sent}</span>' if row.locked else ""
    description = f'<p class="desc">{conditional_escape(workflow.description)}</p>' if workflow.description else ""
    notes = row.notes
    note = (
        f'<p class="note" id="w{conditional_escape(workflow.pk)}-notes">{conditional_escape(" ".join(notes))}</p>'
        if notes
        else ""
    )
    return (
        f"\n      <li>\n        <fieldset>\n          <legend>{conditional_escape(workflow.name)}{badge}</legend>\n"
        f"          {description}\n"
        f'          <div class="chips">{chips(row.controls, lock=lock, described=True)}</div>\n'
        f"          {note}\n        </fieldset>\n      </li>\n      "
    )


def workflow_rows(rows: Iterable[WorkflowRow], *, lock: SafeString) -> SafeString:
    """The `<li>` of each workflow in a topic, as the template's loop wrote them (its whitespace included)."""
    always_sent = conditional_escape(gettext("Always sent"))
    return mark_safe("".join(workflow_row(row, lock=lock, always_sent=always_sent) for row in rows))  # escaped above
