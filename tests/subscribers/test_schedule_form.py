"""The schedule form shared by the self-service page and the admin (subscribers/forms.py)."""

from __future__ import annotations

from datetime import time

from subscribers.forms import ScheduleForm, novu_time
from subscribers.schedule import DAYS

STORED = {"isEnabled": True, "weeklySchedule": {
    "monday": {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "12:00 PM"},
                                            {"start": "01:00 PM", "end": "05:00 PM"}]},
    "sunday": {"isEnabled": False}}}


def post(form: ScheduleForm, **changes) -> dict[str, str]:
    """What a browser posts for the form as shown, with `changes`."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if isinstance(field.widget, type(form.fields["quiet_enabled"].widget)):
            if value:
                data[name] = "on"
        else:
            data[name] = value.strftime("%H:%M") if value else ""
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_novu_time_writes_twelve_hour_times():
    assert [novu_time(time(h, 5)) for h in (0, 9, 12, 23)] == ["12:05 AM", "09:05 AM", "12:05 PM", "11:05 PM"]


def test_form_keeps_stored_days_when_submitted_unchanged():
    shown = ScheduleForm(schedule=STORED, quiet_start=time(22), quiet_end=time(7))
    form = ScheduleForm(post(shown), schedule=STORED, quiet_start=time(22), quiet_end=time(7))
    assert form.is_valid(), form.errors
    assert form.schedule()["weeklySchedule"]["monday"] == STORED["weeklySchedule"]["monday"]
    assert form.schedule()["weeklySchedule"]["sunday"] == {"isEnabled": False}
    assert form.schedule()["weeklySchedule"]["tuesday"] == {"isEnabled": True}
    assert form.quiet_hours() == (time(22), time(7))


def test_form_writes_a_changed_day_in_novu_form():
    shown = ScheduleForm(schedule=STORED)
    form = ScheduleForm(post(shown, monday_start="08:30", monday_end="18:00", saturday_enabled=None),
                        schedule=STORED)
    assert form.is_valid(), form.errors
    weekly = form.schedule()["weeklySchedule"]
    assert weekly["monday"] == {"isEnabled": True, "hours": [{"start": "08:30 AM", "end": "06:00 PM"}]}
    assert weekly["saturday"] == {"isEnabled": False}


def test_form_stores_no_schedule_when_none_was_set_and_it_stays_off():
    shown = ScheduleForm()
    form = ScheduleForm(post(shown, quiet_enabled="on", quiet_start="22:00", quiet_end="07:00"))
    assert form.is_valid(), form.errors
    assert form.schedule() is None
    assert form.quiet_hours() == (time(22), time(7))


def test_form_keeps_days_when_schedule_is_turned_off():
    shown = ScheduleForm(schedule=STORED)
    form = ScheduleForm(post(shown, schedule_enabled=None), schedule=STORED)
    assert form.is_valid()
    assert form.schedule() == {**STORED, "isEnabled": False,
                               "weeklySchedule": {**{d: {"isEnabled": True} for d in DAYS},
                                                  **STORED["weeklySchedule"]}}


def test_form_refuses_when_quiet_hours_lack_a_time_or_begin_and_end_together():
    for changes, field in (({"quiet_start": ""}, "quiet_start"), ({"quiet_end": "22:00"}, "quiet_end"),
                           ({"quiet_start": "25:00"}, "quiet_start")):
        shown = ScheduleForm()
        form = ScheduleForm(post(shown, quiet_enabled="on", quiet_start="22:00", quiet_end="07:00") | changes)
        assert not form.is_valid()
        assert field in form.errors


def test_form_refuses_a_day_with_one_time_only():
    form = ScheduleForm(post(ScheduleForm(), schedule_enabled="on", monday_start="09:00"))
    assert not form.is_valid()
    assert "monday_end" in form.errors
