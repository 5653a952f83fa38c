"""Business hours: adding and measuring business time across nights, holidays and clock changes."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from pydantic import ValidationError

from desk.calendar import BusinessCalendar, CalendarSettings

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
SHANGHAI = "Asia/Shanghai"
SANTIAGO = "America/Santiago"  # springs forward at midnight, so that Sunday has no 00:00
LORD_HOWE = "Australia/Lord_Howe"  # moves its clocks by half an hour
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOUR = timedelta(hours=1)


def at(text: str, zone: str = "UTC") -> datetime:
    """Read ISO text as the wall-clock time of `zone` (the first showing of a repeated hour)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def calendar(**settings: Any) -> BusinessCalendar:
    return BusinessCalendar(CalendarSettings.model_validate(settings))


def sundays(hours: str, zone: str) -> BusinessCalendar:
    return calendar(time_zone=zone, hours={"sun": hours})


BAVARIA = calendar(time_zone=BERLIN, holidays_country="DE", holidays_subdivision="BY")
OFFICE = calendar(time_zone=BERLIN)
LUNCH = calendar(hours={day: ["08:00-12:00", "13:00-17:00"] for day in EVERY_DAY[:5]})
WEEK_ROUND = calendar(time_zone=BERLIN, hours={day: "09:00-17:00" for day in EVERY_DAY})
ALWAYS = calendar(time_zone=BERLIN, always_open=True)
NY_OFFICE = calendar(time_zone=NEW_YORK)
SH_OFFICE = calendar(time_zone=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-12-01T10:00", 2 * HOUR, "2026-12-01T12:00"),
        ("2026-12-01T10:00", 7 * HOUR, "2026-12-01T17:00"),
        ("2026-12-01T16:00", 2 * HOUR, "2026-12-02T10:00"),
        ("2026-12-01T07:00", HOUR, "2026-12-01T10:00"),
        ("2026-12-01T18:00", HOUR / 2, "2026-12-02T09:30"),
        ("2026-12-04T16:00", 2 * HOUR, "2026-12-07T10:00"),
        ("2026-12-04T17:00", timedelta(minutes=1), "2026-12-07T09:01"),
        ("2026-12-05T12:00", HOUR, "2026-12-07T10:00"),
        ("2026-12-06T23:59", timedelta(0), "2026-12-07T09:00"),
        ("2026-12-02T10:00", 40 * HOUR, "2026-12-09T10:00"),
        ("2026-12-07T09:00", 200 * HOUR, "2027-01-08T17:00"),
    ],
)
def test_add_counts_only_working_hours(start: str, duration: timedelta, expected: str) -> None:
    assert OFFICE.add(at(start, BERLIN), duration) == at(expected, BERLIN)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-01-05T16:00", 2 * HOUR, "2026-01-07T10:00"),
        ("2026-12-24T16:00", 2 * HOUR, "2026-12-28T10:00"),
        ("2026-12-23T16:00", 2 * HOUR, "2026-12-24T10:00"),
        ("2026-04-02T16:00", 2 * HOUR, "2026-04-07T10:00"),
        ("2025-12-31T16:00", 2 * HOUR, "2026-01-02T10:00"),
    ],
)
def test_add_skips_bavarian_holidays(start: str, duration: timedelta, expected: str) -> None:
    assert BAVARIA.add(at(start, BERLIN), duration) == at(expected, BERLIN)


@pytest.mark.parametrize(
    ("settings", "moment", "expected"),
    [
        ({"holidays_country": "DE", "holidays_subdivision": "BY"}, "2026-01-06T10:00", False),
        ({"holidays_country": "DE"}, "2026-01-06T10:00", True),
        ({"holidays_country": "DE", "holidays_subdivision": "BY"}, "2026-12-24T10:00", True),
        ({"holidays_country": "DE", "holidays_subdivision": "BY"}, "2026-12-25T10:00", False),
        ({"holidays_country": "DE", "holidays_subdivision": "BY"}, "2026-12-26T10:00", False),
        ({"closed": ["2026-12-28"]}, "2026-12-28T10:00", False),
        ({"closed": ["2026-12-28"]}, "2026-12-29T10:00", True),
        ({}, "2026-12-28T08:59", False),
        ({}, "2026-12-28T09:00", True),
        ({}, "2026-12-28T16:59", True),
        ({}, "2026-12-28T17:00", False),
        ({}, "2026-12-27T10:00", False),
    ],
)
def test_is_open(settings: dict[str, Any], moment: str, expected: bool) -> None:
    assert calendar(time_zone=BERLIN, **settings).is_open(at(moment, BERLIN)) == expected


def test_extra_closed_dates_push_the_deadline_further() -> None:
    closed = calendar(
        time_zone=BERLIN,
        holidays_country="DE",
        holidays_subdivision="BY",
        closed=[date(2026, 12, 28), "2026-12-29"],
    )

    assert closed.add(at("2026-12-24T16:00", BERLIN), 2 * HOUR) == at("2026-12-30T10:00", BERLIN)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-12-07T11:00", 2 * HOUR, "2026-12-07T14:00"),
        ("2026-12-07T11:00", HOUR, "2026-12-07T12:00"),
        ("2026-12-07T12:30", HOUR / 2, "2026-12-07T13:30"),
        ("2026-12-07T12:00", timedelta(0), "2026-12-07T13:00"),
        ("2026-12-07T16:00", 2 * HOUR, "2026-12-08T09:00"),
        ("2026-12-07T08:00", 8 * HOUR, "2026-12-07T17:00"),
    ],
)
def test_add_pauses_over_lunch(start: str, duration: timedelta, expected: str) -> None:
    assert LUNCH.add(at(start), duration) == at(expected)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-12-07T11:59", True),
        ("2026-12-07T12:00", False),
        ("2026-12-07T12:30", False),
        ("2026-12-07T13:00", True),
    ],
)
def test_lunch_break_is_closed(moment: str, expected: bool) -> None:
    assert LUNCH.is_open(at(moment)) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-12-05T12:00", 50 * HOUR, "2026-12-07T14:00"),
        ("2026-03-28T12:00", 24 * HOUR, "2026-03-29T13:00"),
        ("2026-10-24T12:00", 24 * HOUR, "2026-10-25T11:00"),
    ],
)
def test_always_open_adds_real_time(start: str, duration: timedelta, expected: str) -> None:
    assert ALWAYS.add(at(start, BERLIN), duration) == at(expected, BERLIN)


def test_always_open_ignores_hours_and_holidays() -> None:
    christmas_night = at("2026-12-25T03:00", BERLIN)
    business = calendar(time_zone=BERLIN, always_open=True, holidays_country="DE")

    assert business.is_open(christmas_night) is True
    assert business.next_open(christmas_night) == christmas_night
    assert business.elapsed(christmas_night, christmas_night + HOUR) == HOUR


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-12-04T16:00", "2026-12-07T10:00", 2 * HOUR),
        ("2026-12-07T10:00", "2026-12-04T16:00", timedelta(0)),
        ("2026-12-07T10:00", "2026-12-07T10:00", timedelta(0)),
        ("2026-12-05T08:00", "2026-12-06T20:00", timedelta(0)),
        ("2026-12-07T00:00", "2026-12-14T00:00", 40 * HOUR),
        ("2026-12-07T12:15", "2026-12-07T12:45", HOUR / 2),
        ("2026-12-24T00:00", "2027-01-01T00:00", 5 * 8 * HOUR),
    ],
)
def test_elapsed_in_bavaria(start: str, end: str, expected: timedelta) -> None:
    assert BAVARIA.elapsed(at(start, BERLIN), at(end, BERLIN)) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-12-07T10:00", "2026-12-07T10:00"),
        ("2026-12-07T17:00", "2026-12-08T09:00"),
        ("2026-12-04T18:00", "2026-12-07T09:00"),
        ("2026-12-24T18:00", "2026-12-28T09:00"),
    ],
)
def test_next_open(moment: str, expected: str) -> None:
    assert BAVARIA.next_open(at(moment, BERLIN)) == at(expected, BERLIN)


@pytest.mark.parametrize(
    "result",
    [
        BAVARIA.add(at("2026-12-04T16:00", BERLIN), HOUR),
        BAVARIA.next_open(at("2026-12-05T16:00", BERLIN)),
        BAVARIA.next_open(at("2026-12-07T16:00", BERLIN)),
        ALWAYS.add(at("2026-12-04T16:00", BERLIN), HOUR),
        ALWAYS.next_open(at("2026-12-04T16:00", BERLIN)),
    ],
)
def test_results_are_in_utc(result: datetime) -> None:
    assert result.tzinfo == UTC


@pytest.mark.parametrize(
    ("business", "start", "duration", "expected"),
    [
        (OFFICE, at("2026-03-27T16:00", BERLIN), 2 * HOUR, at("2026-03-30T08:00")),
        (OFFICE, at("2026-10-23T16:00", BERLIN), 2 * HOUR, at("2026-10-26T09:00")),
        (WEEK_ROUND, at("2026-03-28T16:00", BERLIN), 2 * HOUR, at("2026-03-29T08:00")),
        (WEEK_ROUND, at("2026-03-29T09:00", BERLIN), 8 * HOUR, at("2026-03-29T15:00")),
        (WEEK_ROUND, at("2026-10-24T16:00", BERLIN), 2 * HOUR, at("2026-10-25T09:00")),
        (WEEK_ROUND, at("2026-10-25T09:00", BERLIN), 8 * HOUR, at("2026-10-25T16:00")),
        (OFFICE, at("2026-03-26T10:00", BERLIN), 16 * HOUR, at("2026-03-30T08:00")),
        (NY_OFFICE, at("2026-03-06T16:00", NEW_YORK), 2 * HOUR, at("2026-03-09T14:00")),
        (NY_OFFICE, at("2026-10-30T16:00", NEW_YORK), 2 * HOUR, at("2026-11-02T15:00")),
        (SH_OFFICE, at("2026-03-27T16:00", SHANGHAI), 2 * HOUR, at("2026-03-30T02:00")),
        (SH_OFFICE, at("2026-10-23T16:00", SHANGHAI), 2 * HOUR, at("2026-10-26T02:00")),
    ],
)
def test_add_across_daylight_saving_changes(
    business: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert business.add(start, duration) == expected


@pytest.mark.parametrize(
    ("business", "day", "zone", "expected"),
    [
        (WEEK_ROUND, "2026-03-29", BERLIN, 8 * HOUR),
        (WEEK_ROUND, "2026-10-25", BERLIN, 8 * HOUR),
        (OFFICE, "2026-03-30", BERLIN, 8 * HOUR),
        (OFFICE, "2026-10-26", BERLIN, 8 * HOUR),
        (sundays("00:00-24:00", BERLIN), "2026-03-29", BERLIN, 23 * HOUR),
        (sundays("00:00-24:00", BERLIN), "2026-10-25", BERLIN, 25 * HOUR),
        (sundays("00:00-24:00", NEW_YORK), "2026-03-08", NEW_YORK, 23 * HOUR),
        (sundays("00:00-24:00", NEW_YORK), "2026-11-01", NEW_YORK, 25 * HOUR),
        (sundays("00:00-24:00", SHANGHAI), "2026-03-29", SHANGHAI, 24 * HOUR),
        (sundays("00:00-24:00", SANTIAGO), "2026-09-06", SANTIAGO, 23 * HOUR),
        (sundays("00:00-24:00", LORD_HOWE), "2026-10-04", LORD_HOWE, 23.5 * HOUR),
        (sundays("01:00-04:00", BERLIN), "2026-03-29", BERLIN, 2 * HOUR),
        (sundays("01:00-04:00", BERLIN), "2026-10-25", BERLIN, 4 * HOUR),
        (sundays("01:00-02:30", BERLIN), "2026-03-29", BERLIN, HOUR),
        (sundays("02:30-05:00", BERLIN), "2026-03-29", BERLIN, 2 * HOUR),
        (sundays("02:15-02:45", BERLIN), "2026-03-29", BERLIN, timedelta(0)),
        (sundays("02:00-02:30", BERLIN), "2026-10-25", BERLIN, HOUR / 2),
        (sundays("02:30-04:00", BERLIN), "2026-10-25", BERLIN, 2.5 * HOUR),
        (sundays("01:30-03:00", NEW_YORK), "2026-03-08", NEW_YORK, HOUR / 2),
        (sundays("00:30-01:30", NEW_YORK), "2026-11-01", NEW_YORK, HOUR),
    ],
)
def test_a_day_lasts_the_real_time_its_wall_clock_range_covers(
    business: BusinessCalendar, day: str, zone: str, expected: timedelta
) -> None:
    start = at(f"{day}T00:00", zone)
    end = at(f"{date.fromisoformat(day) + timedelta(days=1)}T00:00", zone)

    assert business.elapsed(start, end) == expected


@pytest.mark.parametrize(
    ("hours", "moment", "expected"),
    [
        ("02:30-05:00", at("2026-03-29T00:00", BERLIN), at("2026-03-29T01:00")),
        ("02:15-02:45", at("2026-03-29T00:00", BERLIN), at("2026-04-05T00:15")),
        ("02:30-04:00", at("2026-10-25T00:00", BERLIN), at("2026-10-25T00:30")),
    ],
)
def test_next_open_on_a_night_of_changing_clocks(
    hours: str, moment: datetime, expected: datetime
) -> None:
    assert sundays(hours, BERLIN).next_open(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at("2026-10-25T02:15", BERLIN), True),
        (at("2026-10-25T02:15", BERLIN).replace(fold=1), False),
        (at("2026-10-25T02:45", BERLIN), False),
    ],
)
def test_a_repeated_hour_is_open_only_the_first_time(moment: datetime, expected: bool) -> None:
    assert sundays("02:00-02:30", BERLIN).is_open(moment) == expected


SYMMETRY_CALENDARS = [
    OFFICE,
    BAVARIA,
    LUNCH,
    WEEK_ROUND,
    ALWAYS,
    NY_OFFICE,
    calendar(time_zone=SHANGHAI, hours={"mon": "08:00-12:00", "sat": "22:00-24:00"}),
    calendar(
        time_zone=BERLIN, hours={"sat": "20:00-24:00", "sun": ["00:00-02:30", "02:45-06:00"]}
    ),
    calendar(time_zone=NEW_YORK, hours={"sun": ["00:30-01:30", "01:45-02:15", "23:00-24:00"]}),
]
SYMMETRY_DURATIONS = [timedelta(minutes=minutes) for minutes in (0, 1, 59, 60, 479, 480, 781)]
SYMMETRY_DURATIONS += [40 * HOUR]


@pytest.mark.parametrize("business", SYMMETRY_CALENDARS)
@pytest.mark.parametrize("first", [at("2026-03-04T00:00"), at("2026-10-15T00:00")])
def test_elapsed_undoes_add(business: BusinessCalendar, first: datetime) -> None:
    # Starts every 7 h 13 min for 27 days, across the American and European changes of clocks.
    starts = [first + index * timedelta(hours=7, minutes=13) for index in range(90)]

    for start in starts:
        for duration in SYMMETRY_DURATIONS:
            end = business.add(start, duration)
            assert business.elapsed(start, end) == duration, (start, duration, end)
        assert business.add(start, timedelta(0)) == business.next_open(start), start


@pytest.mark.parametrize("business", SYMMETRY_CALENDARS)
@pytest.mark.parametrize("duration", [200 * HOUR, 300 * HOUR])
def test_elapsed_undoes_long_adds(business: BusinessCalendar, duration: timedelta) -> None:
    starts = [at("2026-02-01T00:00") + index * timedelta(days=9, hours=5) for index in range(8)]

    for start in starts:
        assert business.elapsed(start, business.add(start, duration)) == duration, start


@pytest.mark.parametrize("business", SYMMETRY_CALENDARS)
def test_the_minute_before_a_deadline_is_business_time(business: BusinessCalendar) -> None:
    starts = [
        at("2026-03-20T00:00") + index * timedelta(hours=5, minutes=11) for index in range(60)
    ]

    for start in starts:
        end = business.add(start, 90 * timedelta(minutes=1))
        assert business.is_open(end - timedelta(minutes=1)) is True, (start, end)


NAIVE = datetime(2026, 12, 7, 10, 0)
AWARE = at("2026-12-07T10:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda: OFFICE.is_open(NAIVE),
        lambda: OFFICE.next_open(NAIVE),
        lambda: OFFICE.add(NAIVE, HOUR),
        lambda: OFFICE.elapsed(NAIVE, AWARE),
        lambda: OFFICE.elapsed(AWARE, NAIVE),
        lambda: ALWAYS.add(NAIVE, HOUR),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="2026-12-07T10:00:00 has no time zone"):
        call()


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("negative business duration (-1 h)")):
        OFFICE.add(AWARE, -HOUR)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"time_zone": "Europe/Berlinn"}, "'Europe/Berlinn' is not a time zone"),
        ({"time_zone": "../etc/passwd"}, "'../etc/passwd' is not a time zone"),
        ({"hours": {"mon": "17:00-09:00"}}, "mon: 17:00-09:00 ends before it starts"),
        ({"hours": {"mon": "09:00-09:00"}}, "mon: 09:00-09:00 ends before it starts"),
        (
            {"hours": {"tue": ["08:00-12:00", "11:30-17:00"]}},
            "tue: 08:00-12:00 and 11:30-17:00 overlap",
        ),
        (
            {"hours": {"wed": ["13:00-17:00", "08:00-13:30"]}},
            "08:00-13:30 and 13:00-17:00 overlap",
        ),
        ({"hours": {"tues": "09:00-17:00"}}, "unknown weekday 'tues'"),
        ({"hours": {"mon": "9-17"}}, "mon: '9-17' is not a range"),
        ({"hours": {"mon": "09:00-25:00"}}, "mon: '09:00-25:00' is not a time of day"),
        ({"hours": {"mon": ["09:00", "17:00"]}}, "mon: '09:00' is not a range"),
        ({"hours": {"mon": 540}}, "mon: 540 is not a range"),
        ({"hours": {"Mon": "09:00-17:00", "mon": "10:00-11:00"}}, "weekday 'mon' is given twice"),
        ({"hours": {}}, "a calendar needs working hours or always_open"),
        ({"hours": {"mon": [], "sat": None}}, "a calendar needs working hours or always_open"),
        ({"holidays_country": "XX"}, "holidays_country 'XX' is not known"),
        (
            {"holidays_country": "DE", "holidays_subdivision": "ZZ"},
            "holidays_subdivision 'ZZ' is not known for DE",
        ),
        ({"holidays_subdivision": "BY"}, "holidays_subdivision 'BY' needs a holidays_country"),
        ({"timezone": "Europe/Berlin"}, "timezone\n  Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused_by_name(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        CalendarSettings.model_validate(settings)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("09:00-17:00", ((time(9), time(17)),)),
        (" 9:00 - 17:30 ", ((time(9), time(17, 30)),)),
        (["13:00-17:00", "08:00-12:00"], ((time(8), time(12)), (time(13), time(17)))),
        (["08:00-12:00", "12:00-17:00"], ((time(8), time(12)), (time(12), time(17)))),
        ((time(9), time(17)), ((time(9), time(17)),)),
        ([(time(13), time(17)), (time(8), time(12))], ((time(8), time(12)), (time(13), time(17)))),
        ("22:00-24:00", ((time(22), time(0)),)),
        ("00:00-00:00", ((time(0), time(0)),)),
    ],
)
def test_hours_are_read_from_yaml_shapes(hours: object, expected: tuple[object, ...]) -> None:
    settings = CalendarSettings.model_validate({"hours": {"Fri": hours, "sat": None}})

    assert settings.hours == {"fri": expected, "sat": ()}


def test_always_open_needs_no_hours() -> None:
    settings = CalendarSettings.model_validate({"hours": {}, "always_open": True})

    assert BusinessCalendar(settings).add(AWARE, HOUR) == AWARE + HOUR


def test_settings_are_frozen() -> None:
    settings = CalendarSettings()

    with pytest.raises(ValidationError, match="frozen"):
        settings.time_zone = "Europe/Berlin"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "UTC, Mon-Fri 09:00-17:00"),
        (
            {
                "time_zone": BERLIN,
                "holidays_country": "de",
                "holidays_subdivision": "BY",
                "closed": ["2026-12-30", "2026-12-31"],
            },
            "Europe/Berlin, Mon-Fri 09:00-17:00, holidays DE-BY, 2 extra closed dates",
        ),
        (
            {"time_zone": NEW_YORK, "holidays_country": "US", "closed": ["2026-12-31"]},
            "America/New_York, Mon-Fri 09:00-17:00, holidays US, 1 extra closed date",
        ),
        (
            {
                "hours": {
                    "mon": ["08:00-12:00", "13:00-17:00"],
                    "tue": ["08:00-12:00", "13:00-17:00"],
                    "wed": "08:00-12:00",
                    "fri": "08:00-12:00",
                    "sat": "00:00-24:00",
                    "sun": "00:00-24:00",
                }
            },
            "UTC, Mon-Tue 08:00-12:00 and 13:00-17:00, Wed 08:00-12:00, Fri 08:00-12:00, "
            "Sat-Sun 00:00-24:00",
        ),
        ({"always_open": True, "time_zone": BERLIN}, "around the clock"),
    ],
)
def test_describe(settings: dict[str, Any], expected: str) -> None:
    assert calendar(**settings).describe() == expected


def test_holidays_are_built_once_per_year_when_first_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    business = BusinessCalendar(BAVARIA.settings)
    years: list[object] = []
    build = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        years.append(kwargs["years"])
        return build(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)

    business.elapsed(at("2026-01-01T00:00", BERLIN), at("2026-12-31T00:00", BERLIN))
    business.is_open(at("2026-06-01T10:00", BERLIN))
    business.next_open(at("2027-01-01T10:00", BERLIN))

    assert years == [2026, 2027]


def test_a_calendar_that_never_opens_fails_instead_of_looping() -> None:
    mondays = [date(2026, 12, 7) + timedelta(weeks=week) for week in range(4 * 53)]
    business = calendar(hours={"mon": "09:00-17:00"}, closed=mondays)

    with pytest.raises(ValueError, match="calendar 'default' does not open within"):
        business.next_open(AWARE)


def test_a_duration_beyond_the_search_limit_fails() -> None:
    business = BusinessCalendar(CalendarSettings(), name="support")

    with pytest.raises(
        ValueError, match="calendar 'support': 10000 h of business time after 2026-12-07 10:00:00"
    ):
        business.add(AWARE, 10_000 * HOUR)


@pytest.mark.parametrize(
    ("business", "end", "duration", "expected"),
    [
        (OFFICE, at("2026-12-01T12:00", BERLIN), 2 * HOUR, at("2026-12-01T10:00", BERLIN)),
        (OFFICE, at("2026-12-02T10:00", BERLIN), 2 * HOUR, at("2026-12-01T16:00", BERLIN)),
        (OFFICE, at("2026-12-02T20:00", BERLIN), HOUR, at("2026-12-02T16:00", BERLIN)),
        (OFFICE, at("2026-12-07T10:00", BERLIN), 2 * HOUR, at("2026-12-04T16:00", BERLIN)),
        (OFFICE, at("2026-12-06T12:00", BERLIN), HOUR, at("2026-12-04T16:00", BERLIN)),
        # Counting back exactly a working day ends on its opening, not the closing before.
        (OFFICE, at("2026-12-02T17:00", BERLIN), 8 * HOUR, at("2026-12-02T09:00", BERLIN)),
        (OFFICE, at("2026-12-09T10:00", BERLIN), 40 * HOUR, at("2026-12-02T10:00", BERLIN)),
        (BAVARIA, at("2026-12-28T10:00", BERLIN), 2 * HOUR, at("2026-12-24T16:00", BERLIN)),
        (BAVARIA, at("2026-04-07T10:00", BERLIN), 2 * HOUR, at("2026-04-02T16:00", BERLIN)),
        (LUNCH, at("2026-12-01T14:00"), 2 * HOUR, at("2026-12-01T11:00")),
        (OFFICE, at("2026-03-30T08:00"), 2 * HOUR, at("2026-03-27T16:00", BERLIN)),
        (OFFICE, at("2026-10-26T09:00"), 2 * HOUR, at("2026-10-23T16:00", BERLIN)),
        (WEEK_ROUND, at("2026-03-29T15:00"), 8 * HOUR, at("2026-03-29T09:00", BERLIN)),
        (WEEK_ROUND, at("2026-10-25T16:00"), 8 * HOUR, at("2026-10-25T09:00", BERLIN)),
        (NY_OFFICE, at("2026-03-09T14:00"), 2 * HOUR, at("2026-03-06T16:00", NEW_YORK)),
        (ALWAYS, at("2026-12-07T10:00"), 50 * HOUR, at("2026-12-05T08:00")),
        (OFFICE, at("2026-12-06T12:00", BERLIN), timedelta(0), at("2026-12-06T12:00", BERLIN)),
    ],
)
def test_subtract_counts_back_only_working_hours(
    business: BusinessCalendar, end: datetime, duration: timedelta, expected: datetime
) -> None:
    result = business.subtract(end, duration)

    assert result == expected
    assert result.tzinfo == UTC


@pytest.mark.parametrize("business", SYMMETRY_CALENDARS)
@pytest.mark.parametrize("first", [at("2026-03-04T00:00"), at("2026-10-15T00:00")])
def test_subtract_undoes_add(business: BusinessCalendar, first: datetime) -> None:
    # As in test_elapsed_undoes_add: starts across the American and European clock changes.
    starts = [first + index * timedelta(hours=7, minutes=13) for index in range(90)]

    for start in starts:
        for duration in SYMMETRY_DURATIONS[1:]:
            end = business.add(start, duration)
            back = business.subtract(end, duration)
            assert back == business.next_open(start), (start, duration, end)
            assert business.elapsed(back, end) == duration, (start, duration, end)


def _bisected_before(business: BusinessCalendar, due: datetime, left: timedelta) -> datetime:
    """How service levels found a warning's moment before `subtract`: bisecting `elapsed`."""
    low, high = due - left, due
    while business.elapsed(low, due) < left:
        low -= (high - low) * 2
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if business.elapsed(middle, due) >= left:
            low = middle
        else:
            high = middle
    return low.replace(microsecond=0)


@pytest.mark.parametrize("business", [*SYMMETRY_CALENDARS, BAVARIA, SH_OFFICE])
def test_subtract_agrees_with_bisecting_elapsed(business: BusinessCalendar) -> None:
    rng = random.Random(20261202)
    first = at("2026-01-01T00:00")

    for _ in range(300):
        due = first + timedelta(
            seconds=rng.randrange(365 * 86400), microseconds=rng.randrange(10**6)
        )
        left = timedelta(seconds=rng.randrange(1, 60 * 3600), microseconds=rng.randrange(10**6))
        exact = business.subtract(due, left)
        bisected = _bisected_before(business, due, left)

        # Bisection stops within a second below the exact moment, then drops the fraction.
        assert exact.replace(microsecond=0) - bisected in (timedelta(0), timedelta(seconds=1))
        assert business.elapsed(exact, due) == left, (due, left)


def test_subtract_refuses_negative_durations_and_naive_times() -> None:
    with pytest.raises(ValueError, match=re.escape("negative business duration (-1 h)")):
        OFFICE.subtract(AWARE, -HOUR)
    with pytest.raises(ValueError, match="has no time zone"):
        OFFICE.subtract(NAIVE, HOUR)


def test_subtract_beyond_the_search_limit_fails() -> None:
    business = BusinessCalendar(CalendarSettings(), name="support")

    with pytest.raises(
        ValueError,
        match="calendar 'support': 10000 h of business time before 2026-12-07 10:00:00",
    ):
        business.subtract(AWARE, 10_000 * HOUR)
