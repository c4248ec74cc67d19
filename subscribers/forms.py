"""The schedule and quiet hours as an HTML form: one form for the self-service page and the admin.

It turns the stored values (Novu's `schedule`, the quiet hours' local times) into fields (one time range
per weekday, `<input type="time">`: no JavaScript) and back. The rules of what the values mean live in
subscribers/schedule.py; the write is `customer_schedule_set` (subscribers/services.py).

Decisions: the form edits one range per day; a day whose fields are left as shown keeps what is stored
(so several ranges set through the API survive a save of the page). Days are written in Novu's
`hh:mm AM/PM` form, the shape Novu's own clients write. Turning the schedule off keeps its days
(`isEnabled: false`), so turning it on again brings them back.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from subscribers.schedule import DAYS, parse_time

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(label=label, required=False, widget=TIME_WIDGET, input_formats=["%H:%M", "%H:%M:%S"])


def novu_time(value: time) -> str:
    """`hh:mm AM/PM`, as Novu writes schedule hours."""
    hour = value.hour % 12 or 12
    return f"{hour:02d}:{value.minute:02d} {'PM' if value.hour >= 12 else 'AM'}"


def _as_time(text: Any) -> time | None:
    minutes = parse_time(text)
    return None if minutes is None else time(minutes // 60, minutes % 60)


class ScheduleForm(forms.Form):
    """Quiet hours (on/off, start, end) and the weekly schedule (on/off; per day: on/off, start, end)."""

    quiet_enabled = forms.BooleanField(label=_("Quiet hours"), required=False)
    quiet_start = _time_field(_("From"))
    quiet_end = _time_field(_("Until"))
    schedule_enabled = forms.BooleanField(label=_("Only on these days and hours"), required=False)

    def __init__(self, *args: Any, schedule: Any = None, quiet_start: time | None = None,
                 quiet_end: time | None = None, **kwargs: Any):
        self.stored_schedule = schedule if isinstance(schedule, dict) else None
        weekly = (self.stored_schedule or {}).get("weeklySchedule")
        self.stored_days = weekly if isinstance(weekly, dict) else {}
        initial = {
            "quiet_enabled": quiet_start is not None and quiet_end is not None,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "schedule_enabled": bool(self.stored_schedule and self.stored_schedule.get("isEnabled") is True),
        }
        for day in DAYS:
            initial.update(self._day_initial(day))
        kwargs.setdefault("initial", {}).update({k: v for k, v in initial.items() if k not in kwargs["initial"]})
        super().__init__(*args, **kwargs)
        for index, day in enumerate(DAYS):
            self.fields[f"{day}_enabled"] = forms.BooleanField(label=WEEKDAYS[index], required=False)
            self.fields[f"{day}_start"] = _time_field(_("From"))
            self.fields[f"{day}_end"] = _time_field(_("Until"))

    def _day_initial(self, day: str) -> dict[str, Any]:
        stored = self.stored_days.get(day)
        if not isinstance(stored, dict):
            return {f"{day}_enabled": True, f"{day}_start": None, f"{day}_end": None}  # not listed: unrestricted
        hours = stored.get("hours") if isinstance(stored.get("hours"), list) else []
        first = hours[0] if hours and isinstance(hours[0], dict) else {}
        return {
            f"{day}_enabled": stored.get("isEnabled") is True,
            f"{day}_start": _as_time(first.get("start")),
            f"{day}_end": _as_time(first.get("end")),
        }

    def days(self) -> list[dict[str, Any]]:
        """Per weekday, its bound fields (for templates) and how many more ranges are stored than shown."""
        out = []
        for day in DAYS:
            stored = self.stored_days.get(day)
            hours = stored.get("hours") if isinstance(stored, dict) and isinstance(stored.get("hours"), list) else []
            out.append({
                "key": day,
                "enabled": self[f"{day}_enabled"],
                "start": self[f"{day}_start"],
                "end": self[f"{day}_end"],
                "more": max(len(hours) - 1, 0),
            })
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("quiet_enabled"):
            start, end = data.get("quiet_start"), data.get("quiet_end")
            if start is None and "quiet_start" not in self.errors:
                self.add_error("quiet_start", _("Enter the time quiet hours begin."))
            if end is None and "quiet_end" not in self.errors:
                self.add_error("quiet_end", _("Enter the time quiet hours end."))
            if start is not None and end is not None and start == end:
                self.add_error("quiet_end", _("Quiet hours must end at another time than they begin."))
        for day in DAYS:
            if not data.get(f"{day}_enabled"):
                continue
            start, end = data.get(f"{day}_start"), data.get(f"{day}_end")
            invalid = f"{day}_start" in self.errors or f"{day}_end" in self.errors
            if (start is None) != (end is None) and not invalid:
                self.add_error(f"{day}_end" if end is None else f"{day}_start",
                               _("Enter both times, or neither for the whole day."))
            elif start is not None and start == end:
                self.add_error(f"{day}_end", _("The hours must end at another time than they begin."))
        return data

    # -- what to store ------------------------------------------------------------------

    def quiet_hours(self) -> tuple[time | None, time | None]:
        data = self.cleaned_data
        if not data.get("quiet_enabled"):
            return None, None
        return data["quiet_start"], data["quiet_end"]

    def schedule(self) -> dict[str, Any] | None:
        """Novu's schedule to store: None when there was none and it stays off and untouched."""
        data = self.cleaned_data
        enabled = bool(data.get("schedule_enabled"))
        days_changed = any(self._day_changed(day) for day in DAYS)
        if self.stored_schedule is None and not enabled and not days_changed:
            return None
        weekly = {day: self._day_value(day) for day in DAYS}
        return {"isEnabled": enabled, "weeklySchedule": weekly}

    def _day_changed(self, day: str) -> bool:
        return any(name in self.changed_data for name in (f"{day}_enabled", f"{day}_start", f"{day}_end"))

    def _day_value(self, day: str) -> dict[str, Any]:
        stored = self.stored_days.get(day)
        if isinstance(stored, dict) and not self._day_changed(day):
            return stored
        data = self.cleaned_data
        if not data.get(f"{day}_enabled"):
            return {"isEnabled": False}
        start, end = data.get(f"{day}_start"), data.get(f"{day}_end")
        if start is None or end is None:
            return {"isEnabled": True}
        return {"isEnabled": True, "hours": [{"start": novu_time(start), "end": novu_time(end)}]}
