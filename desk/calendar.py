"""Business hours: when the desk is open, and how service-level clocks count only that time."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, TypeAlias, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The longest stretch of calendar days `add` and `next_open` will search before giving up, so
# a calendar whose every day is closed fails loudly instead of looping forever.
SCAN_DAYS = 3 * 366

MIDNIGHT = time(0)

# How many local days' working windows a calendar keeps computed; a sweep over thousands of
# tickets asks for the same few weeks again and again.
DAY_CACHE = 4096

Range: TypeAlias = tuple[time, time]
Window: TypeAlias = tuple[datetime, datetime]

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _default_hours() -> dict[str, tuple[Range, ...]]:
    return {day: ((time(9), time(17)),) for day in WEEKDAYS[:5]}


class CalendarSettings(BaseModel):
    """When the desk works, as config.yaml describes it.

    Each weekday (``mon`` .. ``sun``) maps to one range such as ``"09:00-17:00"`` or a list of
    them such as ``["08:00-12:00", "13:00-17:00"]``; a weekday left out is closed. Times are the
    local wall clock of ``time_zone``. An end of ``24:00`` (or ``00:00``) means the midnight that
    ends the day, so ``"00:00-24:00"`` is the whole day.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_zone: str = "UTC"
    hours: dict[str, tuple[Range, ...]] = Field(default_factory=_default_hours)
    always_open: bool = False
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    closed: tuple[date, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone such as Europe/Berlin") from None
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        week: dict[str, tuple[Range, ...]] = {}
        for key, ranges in value.items():
            day = _weekday(key)
            if day in week:
                raise ValueError(f"weekday '{key}' is given twice")
            week[day] = _checked(day, _ranges(day, ranges))
        return week

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().upper()

    @model_validator(mode="after")
    def _usable(self) -> CalendarSettings:
        if not self.always_open and not any(self.hours.values()):
            raise ValueError("a calendar needs working hours or always_open")
        _check_holidays(self.holidays_country, self.holidays_subdivision)
        return self


def _weekday(key: object) -> str:
    day = str(key).strip().lower()
    if day not in WEEKDAYS:
        raise ValueError(f"unknown weekday '{key}'; use {', '.join(WEEKDAYS)}")
    return day


def _ranges(day: str, value: object) -> list[Range]:
    """Read one weekday's entry: None, a range, or a list of ranges."""
    if value is None:
        return []
    if isinstance(value, str) or _is_pair(value):
        return [_range(day, value)]
    if isinstance(value, list | tuple):
        return [_range(day, item) for item in value]
    raise ValueError(f"{day}: {value!r} is not a range such as '09:00-17:00'")


def _is_pair(value: object) -> TypeGuard[Sequence[time]]:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(item, time) for item in value)
    )


def _range(day: str, value: object) -> Range:
    if isinstance(value, str):
        return _parse_range(day, value)
    if _is_pair(value):
        return value[0], value[1]
    # A bare pair of strings is refused on purpose: YAML 1.1 reads an unquoted 17:00 as the
    # number 1020, which would silently become a time of seconds since midnight.
    raise ValueError(f"{day}: {value!r} is not a range such as '09:00-17:00'")


def _parse_range(day: str, text: str) -> Range:
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"{day}: '{text}' is not a range such as '09:00-17:00'")

    hour, minute, end_hour, end_minute = (int(part) for part in match.groups())
    if (end_hour, end_minute) == (24, 0):
        end_hour = 0
    if hour > 23 or end_hour > 23 or minute > 59 or end_minute > 59:
        raise ValueError(f"{day}: '{text}' is not a time of day")
    return time(hour, minute), time(end_hour, end_minute)


def _checked(day: str, ranges: list[Range]) -> tuple[Range, ...]:
    """Sort a weekday's ranges, refusing reversed, empty or overlapping ones."""
    for start, end in ranges:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{day}: {_text((start, end))} must be local times, without offset")
        if _end_offset(end) <= _offset(start):
            raise ValueError(f"{day}: {_text((start, end))} ends before it starts")

    ordered = sorted(ranges, key=lambda item: _offset(item[0]))
    for before, after in pairwise(ordered):
        if _offset(after[0]) < _end_offset(before[1]):
            raise ValueError(f"{day}: {_text(before)} and {_text(after)} overlap")
    return tuple(ordered)


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _end_offset(end: time) -> timedelta:
    return timedelta(days=1) if end == MIDNIGHT else _offset(end)


def _text(span: Range) -> str:
    start, end = span
    closing = "24:00" if end == MIDNIGHT else f"{end:%H:%M}"
    return f"{start:%H:%M}-{closing}"


def _check_holidays(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise ValueError(f"holidays_subdivision '{subdivision}' needs a holidays_country")
        return

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        if subdivision is None:
            raise ValueError(f"holidays_country '{country}' is not known") from None
        raise ValueError(
            f"holidays_subdivision '{subdivision}' is not known for {country}"
        ) from None


class BusinessCalendar:
    """Counts time only while the desk is open.

    Every datetime given must be aware; every datetime returned is in UTC. Each working range
    is taken as local wall-clock time on its day and turned into a UTC window, so a 09:00-17:00
    day lasts 8 hours on either side of a daylight-saving change. A range boundary the wall clock
    shows twice (the hour repeated in autumn) means its first showing; a boundary the clock
    skips (the hour lost in spring) means the instant of the jump. Put together: a boundary is
    the first instant at which the wall clock reads that time or later. A night range across a
    change therefore lasts the real time that passed: an hour longer in autumn, shorter in spring.
    """

    def __init__(self, settings: CalendarSettings, name: str = "default") -> None:
        self.settings = settings
        self.name = name
        self._zone = ZoneInfo(settings.time_zone)
        self._closed = frozenset(settings.closed)
        self._holidays: dict[int, frozenset[date]] = {}
        self._days: dict[date, tuple[Window, ...]] = {}

    def is_open(self, moment: datetime) -> bool:
        moment = _utc(moment, "moment")
        if self.settings.always_open:
            return True

        # The next local day is checked too: where clocks go back across midnight, the repeated
        # hour shows yesterday's date while the next day's first range has already begun.
        today = moment.astimezone(self._zone).date()
        days = (today, today + timedelta(days=1))
        return any(start <= moment < end for day in days for start, end in self._day(day))

    def next_open(self, moment: datetime) -> datetime:
        """Return the moment itself when open, else the next opening."""
        moment = _utc(moment, "moment")
        if self.settings.always_open:
            return moment

        for start, _ in self._windows(moment, SCAN_DAYS):
            return start
        raise ValueError(
            f"calendar '{self.name}' does not open within {SCAN_DAYS} days of {moment}"
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return when `duration` of business time has passed after `start`.

        Counting begins at the next opening when `start` is outside hours, so adding nothing to
        a closed moment gives the next opening. A result that falls exactly on a closing time is
        that closing time, not the next opening.
        """
        start = _utc(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"cannot add a negative business duration ({_as_hours(duration)})")
        if self.settings.always_open:
            return start + duration

        remaining = duration
        for opening, closing in self._windows(start, SCAN_DAYS):
            if remaining <= closing - opening:
                return opening + remaining
            remaining -= closing - opening
        raise ValueError(
            f"calendar '{self.name}': {_as_hours(duration)} of business time after {start} "
            f"does not fit in {SCAN_DAYS} days"
        )

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """Return the latest moment from which `duration` of business time remains until `end`.

        The inverse of `add`, walking back from `end`: when the count back ends exactly on an
        opening time, that opening is the answer, not the closing before it.
        """
        end = _utc(end, "end")
        if duration < timedelta(0):
            raise ValueError(
                f"cannot subtract a negative business duration ({_as_hours(duration)})"
            )
        if self.settings.always_open or duration == timedelta(0):
            return end - duration

        remaining = duration
        for opening, closing in self._windows_before(end, SCAN_DAYS):
            if remaining <= closing - opening:
                return closing - remaining
            remaining -= closing - opening
        raise ValueError(
            f"calendar '{self.name}': {_as_hours(duration)} of business time before {end} "
            f"does not fit in {SCAN_DAYS} days"
        )

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time between two moments; zero when `end` is not after `start`."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return timedelta(0)
        if self.settings.always_open:
            return end - start

        # One local day beyond the end's, for the same midnight reason as in `is_open`.
        local_days = (end.astimezone(self._zone).date() - start.astimezone(self._zone).date()).days
        windows = self._windows(start, max(local_days + 1, 0))
        spans = (min(closing, end) - opening for opening, closing in windows if opening < end)
        return sum(spans, timedelta(0))

    def describe(self) -> str:
        """Summarise the calendar in one line, as `helpdesk sla explain` shows it."""
        if self.settings.always_open:
            return "around the clock"

        parts = [self.settings.time_zone, *_week_text(self.settings.hours)]
        return ", ".join([*parts, *self._closures_text()])

    def _closures_text(self) -> list[str]:
        country, subdivision = self.settings.holidays_country, self.settings.holidays_subdivision
        texts = []
        if country is not None:
            texts.append(
                f"holidays {country}-{subdivision}" if subdivision else f"holidays {country}"
            )
        if self._closed:
            count = len(self._closed)
            texts.append(f"{count} extra closed date{'' if count == 1 else 's'}")
        return texts

    def _windows(self, moment: datetime, days: int) -> Iterator[Window]:
        """Yield the UTC working windows still open at or after `moment`, in order.

        The search covers the local day of `moment` and `days` more; the first window is cut to
        begin at `moment`. Earlier days need no look: their windows close by the first instant
        of this local day, which is not after `moment`.
        """
        first = moment.astimezone(self._zone).date()
        for shift in range(days + 1):
            for opening, closing in self._day(first + timedelta(days=shift)):
                if closing > moment:
                    yield max(opening, moment), closing

    def _windows_before(self, moment: datetime, days: int) -> Iterator[Window]:
        """Yield the UTC working windows that opened before `moment`, latest first.

        The search covers the local day after that of `moment` (for the midnight reason given
        in `is_open`), the day of `moment` and `days` more before it; the first window is cut
        to end at `moment`.
        """
        last = moment.astimezone(self._zone).date() + timedelta(days=1)
        for shift in range(days + 2):
            for opening, closing in reversed(self._day(last - timedelta(days=shift))):
                if opening < moment:
                    yield opening, min(closing, moment)

    def _day(self, day: date) -> tuple[Window, ...]:
        """Return one local day's working windows in UTC; none on a holiday or closed date."""
        windows = self._days.get(day)
        if windows is None:
            if len(self._days) >= DAY_CACHE:
                self._days.clear()
            windows = self._days[day] = self._compute_day(day)
        return windows

    def _compute_day(self, day: date) -> tuple[Window, ...]:
        if day in self._closed or day in self._holidays_in(day.year):
            return ()

        ranges = self.settings.hours.get(WEEKDAYS[day.weekday()], ())
        windows = [self._window(day, span) for span in ranges]
        return tuple((opening, closing) for opening, closing in windows if opening < closing)

    def _window(self, day: date, span: Range) -> Window:
        start, end = span
        end_day = day + timedelta(days=1) if end == MIDNIGHT else day
        opening = _wall_to_utc(datetime.combine(day, start), self._zone)
        return opening, _wall_to_utc(datetime.combine(end_day, end), self._zone)

    def _holidays_in(self, year: int) -> frozenset[date]:
        country = self.settings.holidays_country
        if country is None:
            return frozenset()

        if year not in self._holidays:
            found = holidays.country_holidays(
                country, subdiv=self.settings.holidays_subdivision, years=year
            )
            self._holidays[year] = frozenset(found.keys())
        return self._holidays[year]


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} {moment.isoformat()} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC)


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the first instant at which the clocks of `zone` read `wall` or later."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if _utc_offset(first) >= _utc_offset(second):
        # Equal offsets: an ordinary time. A larger first offset: a repeated time, where fold=0
        # is its first showing.
        return first.astimezone(UTC)

    # The wall time was skipped. Per PEP 495 the later offset places it before the jump and
    # the earlier offset after it, so the jump lies between the two readings.
    return _jump(second.astimezone(UTC), first.astimezone(UTC), zone)


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """Find the instant between `before` and `after` (UTC) at which `zone` moved its clocks."""
    new_offset = _utc_offset(after.astimezone(zone))
    while after - before > timedelta(microseconds=1):
        middle = before + (after - before) / 2
        if _utc_offset(middle.astimezone(zone)) == new_offset:
            after = middle
        else:
            before = middle
    return after


def _as_hours(duration: timedelta) -> str:
    # Business time is quoted in hours, because "41 days, 16:00:00" would suggest calendar days.
    return f"{duration.total_seconds() / 3600:g} h"


def _utc_offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset")
    return offset


def _week_text(hours: dict[str, tuple[Range, ...]]) -> list[str]:
    """Describe the week as runs of adjacent weekdays with equal hours: 'Mon-Fri 09:00-17:00'."""
    runs: list[tuple[list[str], tuple[Range, ...]]] = []
    for day in WEEKDAYS:
        ranges = hours.get(day, ())
        if runs and runs[-1][1] == ranges:
            runs[-1][0].append(day)
        else:
            runs.append(([day], ranges))

    return [
        f"{_days_text(days)} {' and '.join(_text(span) for span in ranges)}"
        for days, ranges in runs
        if ranges
    ]


def _days_text(days: list[str]) -> str:
    if len(days) == 1:
        return days[0].title()
    return f"{days[0].title()}-{days[-1].title()}"
