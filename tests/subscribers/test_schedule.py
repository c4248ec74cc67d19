"""The schedule rules (subscribers/schedule.py): pure, so no database; instants are written in UTC.

2026 transitions: Europe/Berlin springs forward 29 March 01:00 UTC (02:00 CET → 03:00 CEST) and falls
back 25 October 01:00 UTC (03:00 CEST → 02:00 CET); America/New_York springs forward 8 March 07:00 UTC
(02:00 EST → 03:00 EDT) and falls back 1 November 06:00 UTC (02:00 EDT → 01:00 EST).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from subscribers.schedule import (
    QUIET_HOURS,
    SCHEDULE,
    Hold,
    hold_of,
    local_instant,
    parse_time,
    weekly_schedule,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
OFF = {"isEnabled": False}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def week(**days) -> dict:
    return {"isEnabled": True, "weeklySchedule": days}


def hours(*ranges: tuple[str, str]) -> dict:
    return {"isEnabled": True, "hours": [{"start": start, "end": end} for start, end in ranges]}


WORKDAYS = week(**{day: hours(("09:00 AM", "05:00 PM")) for day in ("monday", "tuesday", "wednesday", "thursday",
                                                                    "friday")}, saturday=OFF, sunday=OFF)


def quiet(start: str, end: str, at: str, zone: str = BERLIN, schedule=None) -> Hold | None:
    return hold_of(schedule=schedule, quiet_start=start, quiet_end=end, zone_name=zone, at=utc(at))


# -- reading times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("00:00", 0), ("07:30", 450), ("23:59", 1439), ("9:05", 545), ("12:00 AM", 0), ("12:30 AM", 30),
     ("12:00 PM", 720), ("09:00 AM", 540), ("05:00 PM", 1020), ("11:59 pm", 1439), ("1:00PM", 780), (" 07:05 ", 425)],
)
def test_parse_time_reads_24_hour_and_novu_12_hour_times_when_valid(text, minutes):
    assert parse_time(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["", "9", "24:00", "12:60", "13:00 PM", "00:30 AM", "noon", None, 900, "9:5", "9:00 a.m.",
     "\u0660\u0669:\u0660\u0660", "09:00  AM"],
)
def test_parse_time_answers_none_when_not_a_time(text):
    assert parse_time(text) is None


# -- nothing set -----------------------------------------------------------------------


def test_hold_is_none_when_no_schedule_and_no_quiet_hours():
    assert hold_of(schedule=None, zone_name=BERLIN, at=utc("2026-06-10T23:00:00")) is None


def test_hold_is_none_when_schedule_is_disabled():
    schedule = {**week(monday=OFF, tuesday=OFF, wednesday=OFF), "isEnabled": False}
    assert hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-06-10T12:00:00")) is None


def test_schedule_does_not_apply_when_no_day_is_listed():
    assert weekly_schedule(week()) is None
    assert weekly_schedule({"isEnabled": True}) is None


# -- quiet hours -----------------------------------------------------------------------


def test_quiet_hours_hold_until_their_end_next_morning_when_period_spans_midnight():
    # 23:30 CEST on 10 June; quiet until 07:00 CEST on 11 June = 05:00 UTC
    assert quiet("22:00", "07:00", "2026-06-10T21:30:00") == Hold(utc("2026-06-11T05:00:00"), QUIET_HOURS)
    # 02:00 CEST, after midnight: the period that began the day before
    assert quiet("22:00", "07:00", "2026-06-11T00:00:00") == Hold(utc("2026-06-11T05:00:00"), QUIET_HOURS)


@pytest.mark.parametrize(
    ("at", "held"),
    [("2026-06-10T19:59:00", False), ("2026-06-10T20:00:00", True), ("2026-06-11T04:59:00", True),
     ("2026-06-11T05:00:00", False), ("2026-06-11T12:00:00", False)],
)
def test_quiet_hours_start_inclusive_and_end_exclusive_when_at_a_boundary(at, held):
    assert (quiet("22:00", "07:00", at) is not None) is held


def test_quiet_hours_within_one_day_hold_until_end_when_not_spanning_midnight():
    assert quiet("12:00", "14:00", "2026-06-10T10:30:00") == Hold(utc("2026-06-10T12:00:00"), QUIET_HOURS)


def test_quiet_hours_accept_time_objects_and_time_columns_when_read_from_the_database():
    at = utc("2026-06-10T21:30:00")
    expected = Hold(utc("2026-06-11T05:00:00"), QUIET_HOURS)
    assert hold_of(schedule=None, quiet_start=time(22), quiet_end=time(7), zone_name=BERLIN, at=at) == expected
    assert hold_of(schedule=None, quiet_start="22:00:00", quiet_end="07:00:00", zone_name=BERLIN, at=at) == expected


# -- daylight saving: Europe/Berlin ----------------------------------------------------


def test_quiet_hours_end_at_local_morning_when_berlin_springs_forward_overnight():
    # 23:00 CET on 28 March; 07:00 CEST on 29 March is 05:00 UTC (the night is one hour shorter)
    assert quiet("22:00", "07:00", "2026-03-28T22:00:00") == Hold(utc("2026-03-29T05:00:00"), QUIET_HOURS)


def test_quiet_hours_end_when_clocks_jump_when_their_end_does_not_exist_in_berlin():
    # 02:30 does not exist on 29 March in Berlin: the period ends when the clocks jump (03:00 CEST = 01:00 UTC)
    assert quiet("23:00", "02:30", "2026-03-29T00:30:00") == Hold(utc("2026-03-29T01:00:00"), QUIET_HOURS)
    assert quiet("23:00", "02:30", "2026-03-29T01:00:00") is None


def test_schedule_opens_when_clocks_jump_when_its_start_does_not_exist_in_berlin():
    schedule = week(sunday=hours(("02:30", "05:00")), saturday=OFF)
    # Saturday 28 March 23:30 CET → Sunday's range opens at the jump, 01:00 UTC
    assert hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-03-28T22:30:00")) == Hold(
        utc("2026-03-29T01:00:00"), SCHEDULE
    )


def test_local_instant_is_the_jump_when_local_time_does_not_exist():
    from subscribers.schedule import zone

    assert local_instant(datetime(2026, 3, 29).date(), 150, zone(BERLIN)) == utc("2026-03-29T01:00:00")
    assert local_instant(datetime(2026, 3, 8).date(), 150, zone(NEW_YORK)) == utc("2026-03-08T07:00:00")


def test_quiet_hours_end_at_local_morning_when_berlin_falls_back_overnight():
    # 23:00 CEST on 24 October; 07:00 CET on 25 October is 06:00 UTC (the night is one hour longer)
    assert quiet("22:00", "07:00", "2026-10-24T21:00:00") == Hold(utc("2026-10-25T06:00:00"), QUIET_HOURS)


def test_quiet_hours_end_at_first_occurrence_when_their_end_repeats_in_berlin():
    # 02:30 happens twice on 25 October: first at 00:30 UTC (CEST), again at 01:30 UTC (CET)
    assert quiet("00:00", "02:30", "2026-10-25T00:00:00") == Hold(utc("2026-10-25T00:30:00"), QUIET_HOURS)
    # 02:15 CET, the second pass through the repeated hour: the period already ended
    assert quiet("00:00", "02:30", "2026-10-25T01:15:00") is None


def test_quiet_hours_start_at_first_occurrence_when_their_start_repeats_in_berlin():
    # 02:30 CEST (00:30 UTC) starts the period; it lasts until 06:00 CET (05:00 UTC): 4.5 real hours
    assert quiet("02:30", "06:00", "2026-10-25T00:29:00") is None
    assert quiet("02:30", "06:00", "2026-10-25T00:30:00") == Hold(utc("2026-10-25T05:00:00"), QUIET_HOURS)


# -- daylight saving: America/New_York -------------------------------------------------


def test_quiet_hours_end_at_local_morning_when_new_york_springs_forward_overnight():
    # 22:00 EST on 7 March is 03:00 UTC on 8 March; 07:00 EDT is 11:00 UTC
    assert quiet("22:00", "07:00", "2026-03-08T03:00:00", NEW_YORK) == Hold(utc("2026-03-08T11:00:00"), QUIET_HOURS)


def test_quiet_hours_end_when_clocks_jump_when_their_end_does_not_exist_in_new_york():
    # 02:30 does not exist on 8 March in New York: ends at the jump, 03:00 EDT = 07:00 UTC
    assert quiet("23:00", "02:30", "2026-03-08T06:30:00", NEW_YORK) == Hold(utc("2026-03-08T07:00:00"), QUIET_HOURS)


def test_quiet_hours_end_at_local_morning_when_new_york_falls_back_overnight():
    # 22:30 EDT on 31 October is 02:30 UTC on 1 November; 07:00 EST is 12:00 UTC
    assert quiet("22:00", "07:00", "2026-11-01T02:30:00", NEW_YORK) == Hold(utc("2026-11-01T12:00:00"), QUIET_HOURS)


def test_quiet_hours_end_at_first_occurrence_when_their_end_repeats_in_new_york():
    # 01:30 happens twice on 1 November: 05:30 UTC (EDT) and 06:30 UTC (EST)
    assert quiet("00:00", "01:30", "2026-11-01T04:30:00", NEW_YORK) == Hold(utc("2026-11-01T05:30:00"), QUIET_HOURS)
    assert quiet("00:00", "01:30", "2026-11-01T06:10:00", NEW_YORK) is None


# -- schedules -------------------------------------------------------------------------


def test_schedule_holds_until_monday_morning_when_weekend_days_are_off():
    # Friday 12 June 2026, 18:00 CEST → Monday 15 June 09:00 CEST = 07:00 UTC
    assert hold_of(schedule=WORKDAYS, zone_name=BERLIN, at=utc("2026-06-12T16:00:00")) == Hold(
        utc("2026-06-15T07:00:00"), SCHEDULE
    )


def test_schedule_holds_until_next_range_when_a_day_has_a_day_off_in_between():
    schedule = week(monday=hours(("09:00", "17:00")), tuesday=OFF, wednesday=hours(("10:00", "12:00")))
    # Monday 8 June 2026 18:00 New York (22:00 UTC); Tuesday off; Wednesday 10:00 EDT = 14:00 UTC
    assert hold_of(schedule=schedule, zone_name=NEW_YORK, at=utc("2026-06-08T22:00:00")) == Hold(
        utc("2026-06-10T14:00:00"), SCHEDULE
    )


def test_schedule_lets_go_now_when_inside_a_range():
    assert hold_of(schedule=WORKDAYS, zone_name=BERLIN, at=utc("2026-06-10T10:00:00")) is None


def test_schedule_day_not_listed_is_unrestricted_when_other_days_are():
    schedule = week(monday=OFF)
    assert hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-06-10T02:00:00")) is None  # a Wednesday
    assert hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-06-08T10:00:00")) == Hold(
        utc("2026-06-08T22:00:00"), SCHEDULE  # Monday off until Tuesday 00:00 CEST
    )


def test_schedule_enabled_day_without_hours_is_the_whole_day():
    schedule = week(monday=OFF, tuesday={"isEnabled": True}, wednesday=OFF, thursday=OFF, friday=OFF,
                    saturday=OFF, sunday=OFF)
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-09T23:59:00")) is None
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-10T00:00:00")) == Hold(
        utc("2026-06-16T00:00:00"), SCHEDULE
    )


def test_schedule_range_past_midnight_runs_into_next_day():
    schedule = week(monday=hours(("09:00 PM", "02:00 AM")), tuesday=OFF, wednesday=OFF, thursday=OFF, friday=OFF,
                    saturday=OFF, sunday=OFF)
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-09T01:30:00")) is None  # Tuesday 01:30
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-09T02:00:00")) == Hold(
        utc("2026-06-15T21:00:00"), SCHEDULE
    )


def test_schedule_answers_never_when_every_day_is_off():
    schedule = week(**dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                     "sunday"), OFF))
    assert hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-06-10T10:00:00")) == Hold(None, SCHEDULE)


def test_schedule_answers_never_when_every_range_lies_in_quiet_hours():
    schedule = week(**{day: hours(("11:00 PM", "11:30 PM")) for day in ("monday", "tuesday", "wednesday",
                                                                        "thursday", "friday", "saturday", "sunday")})
    assert hold_of(schedule=schedule, quiet_start="22:00", quiet_end="07:00", zone_name=BERLIN,
                   at=utc("2026-06-10T10:00:00")) == Hold(None, SCHEDULE)


# -- both ------------------------------------------------------------------------------


def test_reason_is_schedule_when_quiet_hours_end_before_the_schedule_opens():
    # Wednesday 10 June 23:00 CEST: quiet until 07:00, schedule opens 09:00 → 09:00 CEST, by the schedule
    assert hold_of(schedule=WORKDAYS, quiet_start="22:00", quiet_end="07:00", zone_name=BERLIN,
                   at=utc("2026-06-10T21:00:00")) == Hold(utc("2026-06-11T07:00:00"), SCHEDULE)


def test_reason_is_quiet_hours_when_the_schedule_is_open_before_they_end():
    early = week(**{day: hours(("06:00", "20:00")) for day in ("monday", "tuesday", "wednesday", "thursday")})
    assert hold_of(schedule=early, quiet_start="22:00", quiet_end="07:00", zone_name=BERLIN,
                   at=utc("2026-06-10T21:00:00")) == Hold(utc("2026-06-11T05:00:00"), QUIET_HOURS)


def test_reason_is_quiet_hours_when_both_lift_at_the_same_instant():
    same = week(**{day: hours(("07:00", "20:00")) for day in ("monday", "tuesday", "wednesday", "thursday")})
    assert hold_of(schedule=same, quiet_start="22:00", quiet_end="07:00", zone_name=BERLIN,
                   at=utc("2026-06-10T21:00:00")) == Hold(utc("2026-06-11T05:00:00"), QUIET_HOURS)


def test_quiet_hours_cut_into_schedule_range_when_they_overlap():
    # Schedule 09:00-17:00 on workdays, quiet 12:00-13:00: at 12:30 CEST it waits for 13:00 CEST
    assert hold_of(schedule=WORKDAYS, quiet_start="12:00", quiet_end="13:00", zone_name=BERLIN,
                   at=utc("2026-06-10T10:30:00")) == Hold(utc("2026-06-10T11:00:00"), QUIET_HOURS)


# -- zones -----------------------------------------------------------------------------


def test_tenant_zone_applies_when_customer_has_none():
    at = utc("2026-06-10T21:30:00")  # 23:30 in Berlin, 17:30 in New York
    assert hold_of(schedule=None, quiet_start="22:00", quiet_end="07:00", zone_name="", tenant_zone=BERLIN, at=at)
    assert hold_of(schedule=None, quiet_start="22:00", quiet_end="07:00", zone_name=NEW_YORK, tenant_zone=BERLIN,
                   at=at) is None


def test_utc_applies_when_zone_names_are_unknown():
    at = utc("2026-06-10T22:30:00")
    assert hold_of(schedule=None, quiet_start="22:00", quiet_end="07:00", zone_name="Mars/Olympus",
                   tenant_zone="", at=at) == Hold(utc("2026-06-11T07:00:00"), QUIET_HOURS)


def test_hold_never_raises_when_stored_schedule_is_malformed():
    for schedule in ("{", [], {"isEnabled": True, "weeklySchedule": []},
                     week(monday={"isEnabled": True, "hours": [{"start": "x"}, "y", {"start": "09:00", "end": 3}]})):
        hold_of(schedule=schedule, zone_name=BERLIN, at=utc("2026-06-08T10:00:00"))


def test_time_pattern_accepts_exactly_what_parse_time_accepts_when_checked_over_every_minute():
    import re

    from subscribers.schedule import TIME_PATTERN

    pattern = re.compile(TIME_PATTERN)
    texts = [f"{h}:{m:02d}" for h in range(30) for m in (0, 7, 59, 60)]
    texts += [f"{h:02d}:{m:02d}{space}{half}" for h in range(14) for m in (0, 30) for space in ("", " ")
              for half in ("AM", "pm", "Am", "xm")]
    for text in texts:
        assert (pattern.search(text) is not None) is (parse_time(text) is not None), text


def test_hold_is_none_when_at_is_at_the_end_of_the_calendar():
    assert hold_of(schedule=None, quiet_start="22:00", quiet_end="07:00", zone_name=BERLIN,
                   at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("allowed", "applies", "at", "expected"),
    [
        (False, True, "2026-06-10T21:30:00", (False, "workflow_preference", None)),
        (True, False, "2026-06-10T21:30:00", (True, "workflow_preference", None)),
        (True, True, "2026-06-10T12:00:00", (True, "workflow_preference", None)),
        (True, True, "2026-06-10T21:30:00", (True, QUIET_HOURS, utc("2026-06-11T05:00:00"))),
    ],
)
def test_timing_holds_only_allowed_channels_the_schedule_applies_to(allowed, applies, at, expected):
    from subscribers.schedule import delivery_window, quiet_hours, timing, zone

    window = delivery_window(None, quiet_hours("22:00", "07:00"), zone(BERLIN))
    assert timing(allowed=allowed, reason="workflow_preference", applies=applies, window=window, at=utc(at),
                  holds={}) == expected


def test_timing_blocks_the_channel_when_the_schedule_never_allows():
    from subscribers.schedule import delivery_window, timing, zone

    window = delivery_window(weekly_schedule(week(**dict.fromkeys(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), OFF))), None, zone(BERLIN))
    assert timing(allowed=True, reason="tenant_default", applies=True, window=window,
                  at=utc("2026-06-10T12:00:00"), holds={}) == (False, SCHEDULE, None)


def test_applies_only_to_the_tenants_channels_when_the_workflow_is_not_critical():
    from subscribers.schedule import applies

    assert applies(channel="sms", critical=False, channels=["sms", "push"])
    assert not applies(channel="email", critical=False, channels=["sms", "push"])
    assert not applies(channel="sms", critical=True, channels=["sms", "push"])


def test_schedule_range_with_equal_ends_is_twenty_four_hours():
    schedule = week(**{day: OFF for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                            "sunday")} | {"wednesday": hours(("10:00", "10:00"))})
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-11T09:59:00")) is None  # Thursday, from Wed
    assert hold_of(schedule=schedule, zone_name="UTC", at=utc("2026-06-11T10:00:00")) == Hold(
        utc("2026-06-17T10:00:00"), SCHEDULE
    )
