"""When may a notification reach a customer: their weekly schedule and quiet hours, in their time zone.

A pure module (no ORM, no clock): the loader (subscribers/selectors) hands it the stored
values, the caller hands it the instant `at`. The one question it answers is
`hold(window, at)`: `None` when a message may go at `at`, else a `Hold` with the earliest
instant (UTC) it may go and the rule that holds it (`quiet_hours` or `schedule`).

The rules (docs/schedules.md says them for users):

- **Schedule** (Novu's `schedule`: `{isEnabled, weeklySchedule: {monday: {isEnabled, hours:
  [{start, end}]}, …}}`). Not applied when absent or `isEnabled` is false. A day listed with
  `isEnabled: false` is off; a day listed enabled accepts its `hours` ranges, or the whole day
  when it has none; a day not listed is unrestricted (only explicit choices restrict).
- **Quiet hours**: one daily period `[start, end)` in which nothing goes out.
- Times are local wall-clock times `HH:MM` (24 h) or Novu's `hh:mm AM`/`PM`. A range whose end is
  not after its start runs past midnight into the next day (22:00-07:00; `09:00 PM`-`12:00 AM`
  ends at midnight; a schedule range with equal ends is 24 hours). Ranges are half-open: the end
  minute itself is outside. Quiet hours with equal ends are refused where they are written.
- **Daylight saving**: a boundary is placed on the real timeline. A local time that does not
  exist (the spring gap: 02:30 in Berlin on the last Sunday of March) is the instant the clocks
  jump past it (03:00 CEST); a local time that happens twice (the autumn fold) is its first
  occurrence. So quiet hours 22:00-07:00 always end at the first 07:00 local, and last 8 or 10
  real hours on the nights the clocks change.
- **Reason**: the rule in force just before `deliver_after`; when both are (quiet hours end
  exactly when a schedule range opens), `quiet_hours`.
- **Never**: when nothing is ever allowed (every listed day off, or every schedule range inside
  the quiet hours), `Hold.deliver_after` is None and the reason `schedule`; the evaluation
  answers such a channel `allowed: false`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

QUIET_HOURS = "quiet_hours"
SCHEDULE = "schedule"
REASONS: tuple[str, ...] = (QUIET_HOURS, SCHEDULE)

DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
# Days looked at after `at`'s local day: a week (the pattern repeats) and one more for ranges past midnight.
HORIZON_DAYS = 8

_TIME = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})(?: ?([AaPp])[Mm])?\s*$")
# The same grammar as a JSON Schema pattern (the API's schema states what parse_time accepts).
TIME_PATTERN = r"^\s*(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9]|(?:0?[1-9]|1[0-2]):[0-5][0-9] ?[AaPp][Mm])\s*$"

Range = tuple[int, int]  # (start minute, end minute) of the local day; end <= start: ends the next day
WHOLE_DAY: tuple[Range, ...] = ((0, 0),)


def parse_time(value: Any) -> int | None:
    """Minutes after local midnight of `HH:MM` (00:00-23:59) or `hh:mm AM/PM` (12:00 AM: midnight); else None."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value)
    if match is None:
        return None
    hour, minute, half = int(match[1]), int(match[2]), match[3]
    if minute > 59:
        return None
    if half is None:
        return hour * 60 + minute if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    return (hour % 12 + (12 if half in "Pp" else 0)) * 60 + minute


def format_time(minutes: int) -> str:
    """`HH:MM` (24 h) of minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Per weekday (Monday first): None = unrestricted, () = off, else the allowed ranges."""

    days: tuple[tuple[Range, ...] | None, ...]

    @property
    def restricts(self) -> bool:
        return any(day is not None for day in self.days)


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: int
    end: int

    def as_dict(self) -> dict[str, str]:
        return {"start": format_time(self.start), "end": format_time(self.end)}


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """What a customer's timing depends on: schedule, quiet hours and the zone they are read in."""

    schedule: WeeklySchedule | None
    quiet: QuietHours | None
    zone: ZoneInfo

    @property
    def restricts(self) -> bool:
        return self.quiet is not None or (self.schedule is not None and self.schedule.restricts)


@dataclass(frozen=True, slots=True)
class Hold:
    """A message may not go at `at`: the earliest instant it may (UTC; None: never) and the rule that holds it."""

    deliver_after: datetime | None
    reason: str


def weekly_schedule(value: Any) -> WeeklySchedule | None:
    """The applicable schedule of a stored Novu `schedule` (dict or JSON text), None when it does not apply.

    Total: malformed parts are skipped (input is validated before it is stored; this never raises).
    """
    if isinstance(value, str):
        return _weekly_schedule_of_json(value)
    if not isinstance(value, dict):
        return None
    return _weekly_schedule_of_json(json.dumps(value, sort_keys=True))


@lru_cache(maxsize=4096)
def _weekly_schedule_of_json(text: str) -> WeeklySchedule | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("isEnabled") is not True:
        return None
    weekly = value.get("weeklySchedule")
    if not isinstance(weekly, dict):
        return None
    days: list[tuple[Range, ...] | None] = []
    for name in DAYS:
        day = weekly.get(name)
        if not isinstance(day, dict):
            days.append(None)
        elif day.get("isEnabled") is not True:
            days.append(())
        else:
            days.append(_ranges(day.get("hours")))
    schedule = WeeklySchedule(days=tuple(days))
    return schedule if schedule.restricts else None


def _ranges(hours: Any) -> tuple[Range, ...]:
    if not isinstance(hours, list) or not hours:
        return WHOLE_DAY
    ranges = []
    for item in hours:
        if isinstance(item, dict):
            start, end = parse_time(item.get("start")), parse_time(item.get("end"))
            if start is not None and end is not None:
                ranges.append((start, end))
    return tuple(ranges)


def quiet_hours(start: Any, end: Any) -> QuietHours | None:
    """Quiet hours from stored local times (`datetime.time`, or text as `parse_time` reads); None when unset."""
    start_minutes, end_minutes = _minutes(start), _minutes(end)
    if start_minutes is None or end_minutes is None or start_minutes == end_minutes:
        return None
    return QuietHours(start=start_minutes, end=end_minutes)


def _minutes(value: Any) -> int | None:
    if value is None:
        return None
    if hasattr(value, "hour") and hasattr(value, "minute"):
        return value.hour * 60 + value.minute
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}:\d{2}(\.\d+)?", value):  # a TIME column read raw
        value = value[:5]
    return parse_time(value)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name (cached: one object per name per process), None when unknown."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def effective_zone(customer_zone: str | None, tenant_zone: str | None) -> ZoneInfo:
    """The customer's zone, else the tenant's default, else UTC."""
    return zone(customer_zone or "") or zone(tenant_zone or "") or ZoneInfo("UTC")


@lru_cache(maxsize=4096)
def delivery_window(schedule: WeeklySchedule | None, quiet: QuietHours | None, zone: ZoneInfo) -> DeliveryWindow:
    """One shared object per distinct (schedule, quiet hours, zone): callers memoize holds per window."""
    return DeliveryWindow(schedule=schedule, quiet=quiet, zone=zone)


# -- the timeline -----------------------------------------------------------------------


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of local wall time `minute` on `day`: its first occurrence in a fold, the jump in a gap."""
    extra, minute = divmod(minute, MINUTES_PER_DAY)
    day = day + timedelta(days=extra)
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
    first = local.astimezone(UTC)  # fold=0: the earlier offset; in a gap that is the offset before the jump
    if first.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return first
    # A gap: wall time skips `local`. The instant the clocks jump lies between the fold=1 reading
    # (the offset after the jump, earlier in UTC) and the fold=0 one; find it to the second.
    low, high = sorted((int(local.replace(fold=1).astimezone(UTC).timestamp()), int(first.timestamp())))
    after = first.astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _intervals(day_ranges: list[tuple[date, tuple[Range, ...]]], tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    out = []
    for day, ranges in day_ranges:
        for start, end in ranges:
            stop = end if end > start else end + MINUTES_PER_DAY
            out.append((local_instant(day, start, tz), local_instant(day, stop, tz)))
    return out


def _inside(instant: datetime, intervals: list[tuple[datetime, datetime]]) -> bool:
    return any(start <= instant < end for start, end in intervals)


def hold(window: DeliveryWindow, at: datetime) -> Hold | None:
    """None when a message may go at `at` (aware), else the earliest allowed instant and the holding rule.

    Looks from the day before `at` (ranges past midnight) to `HORIZON_DAYS` after, in `window.zone`.
    An `at` within that many days of the calendar's ends (years 1 and 9999) is not held: there is no
    calendar to look in.
    """
    if not window.restricts:
        return None
    try:
        return _hold(window, at)
    except OverflowError:
        return None


def _hold(window: DeliveryWindow, at: datetime) -> Hold | None:
    tz = window.zone
    at = at.astimezone(UTC)
    today = at.astimezone(tz).date()
    days = [today + timedelta(days=offset) for offset in range(-1, HORIZON_DAYS + 1)]
    quiet = window.quiet
    quiet_periods = _intervals([(day, ((quiet.start, quiet.end),)) for day in days], tz) if quiet else []
    schedule = window.schedule
    open_periods: list[tuple[datetime, datetime]] | None = None
    if schedule is not None and schedule.restricts:
        open_periods = _intervals(
            [(day, schedule.days[day.weekday()] or ()) for day in days if schedule.days[day.weekday()] is not None],
            tz,
        )
        unrestricted = [day for day in days if schedule.days[day.weekday()] is None]
        open_periods += _intervals([(day, WHOLE_DAY) for day in unrestricted], tz)

    def quiet_at(instant: datetime) -> bool:
        return _inside(instant, quiet_periods)

    def closed_at(instant: datetime) -> bool:
        return open_periods is not None and not _inside(instant, open_periods)

    if not quiet_at(at) and not closed_at(at):
        return None
    candidates = sorted(
        {end for _, end in quiet_periods if end > at} | {start for start, _ in open_periods or () if start > at}
    )
    for candidate in candidates:
        if not quiet_at(candidate) and not closed_at(candidate):
            before = candidate - timedelta(microseconds=1)
            return Hold(deliver_after=candidate, reason=QUIET_HOURS if quiet_at(before) else SCHEDULE)
    return Hold(deliver_after=None, reason=SCHEDULE)


def applies(*, channel: str, critical: bool, channels: Iterable[str]) -> bool:
    """Whether schedules and quiet hours time this channel: one of the tenant's schedule channels, and a
    workflow that is not critical (critical workflows ignore them)."""
    return not critical and channel in channels


def timing(
    *, allowed: bool, reason: str, applies: bool, window: DeliveryWindow | None, at: datetime,
    holds: dict[DeliveryWindow, Hold | None],
) -> tuple[bool, str, datetime | None]:
    """A channel's answer once the schedule layer is read: (allowed, reason, deliver_after).

    A channel the preferences block keeps its answer; one the schedule does not time goes now; a held one
    keeps `allowed` with the holding rule as its reason and `deliver_after`; one the schedule never allows
    is blocked (`schedule`). `holds` memoizes per window for one `at` (the caller's dict).
    """
    if not allowed or not applies or window is None:
        return allowed, reason, None
    if window in holds:
        held = holds[window]
    else:
        held = holds[window] = hold(window, at)
    if held is None:
        return allowed, reason, None
    if held.deliver_after is None:
        return False, SCHEDULE, None
    return True, held.reason, held.deliver_after


def hold_of(
    *, schedule: Any, quiet_start: Any = None, quiet_end: Any = None, zone_name: str | None = None,
    tenant_zone: str | None = None, at: datetime,
) -> Hold | None:
    """`hold()` from stored values: the Novu schedule, the quiet hours' local times and the zone names."""
    window = delivery_window(
        weekly_schedule(schedule), quiet_hours(quiet_start, quiet_end), effective_zone(zone_name, tenant_zone)
    )
    return hold(window, at)
