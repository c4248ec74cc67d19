"""What was saved", read back from the consent ledger rather than from the form.

After a save the page redirects to itself with `?saved=<request id>` and lists the
consent events of that request for this customer: what the customer sees is what the
ledger holds, field by field, old → new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from messaging.models import CHANNEL_COLUMNS, DEFAULT_COLUMNS
from prefcenter.channels import CHANNELS
from prefcenter.models import ConsentEvent
from selfservice.state import CHANNEL_LABELS, DIGEST_LABELS, PageState
from subscribers.resolution import GLOBAL_WORKFLOW, resolve_channel
from subscribers.schedule import DAYS as SCHEDULE_DAYS

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
CATEGORY_FIELDS = {column: channel for channel, column in CHANNEL_COLUMNS.items()}  # ledger field → channel


@dataclass(frozen=True)
class SavedChange:
    what: str
    old: str
    new: str


def _switch(value: Any, inherited: bool | None = None) -> str:
    """On, Off, or what "Default" (no choice of its own) means: "Default (On)", from the engine."""
    if value is None:
        if inherited is None:
            return _("Default")
        return _("Default (%(value)s)") % {"value": _("On") if inherited else _("Off")}
    return _("On") if value else _("Off")


def _inherited(state: PageState, identifier: str, channel: str) -> bool | None:
    """What a workflow's (or, for "*", the global) channel resolves to with no choice of its own there, now."""
    if identifier == "*":
        facts, layers, attr = GLOBAL_WORKFLOW, state.resolution.global_layers, "global_preference"
    else:
        item = next((w for w in state.resolution.workflows if w.workflow.identifier == identifier), None)
        if item is None:
            return None
        facts, layers, attr = item.facts, item.layers, "workflow_preference"
    own = getattr(layers, attr)
    if own is not None:
        layers = replace(layers, **{attr: replace(own, channels={**dict(own.channels), channel: None})})
    return resolve_channel(facts, layers, channel).allowed


def _opt_out(value: Any) -> str:
    return _("Off") if value else _("On")


def _quiet_hours(value: Any) -> str:
    if not isinstance(value, dict):
        return _("None")
    return _("%(start)s to %(end)s") % {"start": value.get("start"), "end": value.get("end")}


def _schedule(value: Any) -> str:
    """A schedule in a few words: off, or the days it allows (a day not listed is a whole day)."""
    if not isinstance(value, dict) or value.get("isEnabled") is not True:
        return _("Any day, any time")
    weekly = value.get("weeklySchedule") if isinstance(value.get("weeklySchedule"), dict) else {}
    parts = []
    for index, day in enumerate(SCHEDULE_DAYS):
        stored = weekly.get(day)
        if isinstance(stored, dict) and stored.get("isEnabled") is not True:
            continue
        hours = stored.get("hours") if isinstance(stored, dict) and isinstance(stored.get("hours"), list) else []
        ranges = [f"{h.get('start')}\u2013{h.get('end')}" for h in hours if isinstance(h, dict)]
        parts.append(f"{WEEKDAYS_ABBR[index]} {', '.join(ranges)}" if ranges else str(WEEKDAYS_ABBR[index]))
    return "; ".join(parts) if parts else _("Never")


def describe(event: ConsentEvent, state: PageState) -> SavedChange:
    subject, _sep, name = event.subject.partition(":")
    field = event.field
    old, new = event.old_value, event.new_value
    if field == "quiet_hours":
        return SavedChange(str(_("Quiet hours")), _quiet_hours(old), _quiet_hours(new))
    if field == "schedule":
        return SavedChange(str(_("Days and hours")), _schedule(old), _schedule(new))
    if subject == "customer":
        what = {"email_opt_out": _("Non-essential email"), "sms_opt_out": _("Text messages")}.get(field, field)
        return SavedChange(what, _opt_out(old), _opt_out(new))
    if subject == "workflow":
        if name == "*":
            target = _("All notifications")
        else:
            found = next((w.workflow for w in state.resolution.workflows if w.workflow.identifier == name), None)
            target = found.name if found else name
        if field == "enabled":
            # A master switch left unset is on (Default (On)): only `false` turns things off.
            return SavedChange(str(target), _switch(old, True), _switch(new, True))
        channel = CHANNEL_LABELS.get(field, field) if field in CHANNELS else field
        inherited = _inherited(state, name, field) if None in (old, new) and field in CHANNELS else None
        return SavedChange(f"{target} · {channel}", _switch(old, inherited), _switch(new, inherited))
    if subject == "category":
        category = next((c for c in state.categories_by_id.values() if c.key == name), None)
        target = _("All topics") if name == "*" else (category.name if category else name)
        if old is None:
            # A new row: what it replaces is the catalog's default, which is what the customer had.
            if field == "digest":
                old = category.default_digest if category else "instant"
            elif field in CATEGORY_FIELDS:
                old = getattr(category, DEFAULT_COLUMNS[CATEGORY_FIELDS[field]]) if category else True
        if field == "digest":

            def label(value: Any) -> str:
                return str(DIGEST_LABELS.get(value, value)) if value else _("Default")

            frequency = _("Email frequency")  # outside the f-string, where makemessages finds it
            return SavedChange(f"{target} · {frequency}", label(old), label(new))
        channel = CHANNEL_LABELS.get(CATEGORY_FIELDS.get(field, ""), field)
        return SavedChange(f"{target} · {channel}", _switch(old), _switch(new))
    return SavedChange(f"{event.subject} · {field}", str(old), str(new))


def saved_changes(*, state: PageState, request_id: str) -> list[SavedChange] | None:
    """The changes one page request saved for this customer (None when the id is not a request id)."""
    if not REQUEST_ID.match(request_id or ""):
        return None
    events = ConsentEvent.objects.filter(
        tenant=state.tenant,
        customer_id=state.customer.pk,
        request_id=request_id,
        source=ConsentEvent.SOURCE_PAGE,
    ).order_by("pk")
    changes = [describe(event, state) for event in events]
    return [change for change in changes if change.old != change.new]
