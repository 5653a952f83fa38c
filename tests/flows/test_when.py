"""parse_since: the words for "since when" as a moment in UTC, read in the person's time zone."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.when import _parser_at, _read_common, parse_since

# A Thursday: 16:00 in Berlin, 23:00 in Shanghai, 10:00 in New York.
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"
SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("this morning", utc(12, 3, 8)),
        ("since this morning", utc(12, 3, 8)),
        ("early this morning", utc(12, 3, 8)),
        ("yesterday", utc(12, 1, 23)),
        ("yday", utc(12, 1, 23)),
        ("2 hours ago", utc(12, 3, 13)),
        ("an hour ago", utc(12, 3, 14)),
        ("half an hour ago", utc(12, 3, 14, 30)),
        ("a few hours ago", utc(12, 3, 12)),
        ("10 minutes ago", utc(12, 3, 14, 50)),
        ("since 2 hours", utc(12, 3, 13)),
        ("monday", utc(11, 29, 23)),
        ("Since Monday", utc(11, 29, 23)),
        ("on monday", utc(11, 29, 23)),
        ("last wed", utc(12, 1, 23)),
        ("Monday morning", utc(11, 30, 8)),
        ("last night", utc(12, 2, 19)),
        ("late last night", utc(12, 2, 19)),
        ("yesterday night", utc(12, 2, 19)),
        ("yesterday morning", utc(12, 2, 8)),
        ("yesterday afternoon", utc(12, 2, 12)),
        ("yesterday at noon", utc(12, 2, 11)),
        ("friday afternoon", utc(11, 27, 12)),
        ("this afternoon", utc(12, 3, 12)),
        ("lunch time", utc(12, 3, 11)),
        ("9am", utc(12, 3, 8)),
        ("from 9am", utc(12, 3, 8)),
        ("9 a.m.", utc(12, 3, 8)),
        ("around 10am", utc(12, 3, 9)),
        ("3pm-ish", utc(12, 3, 14)),
        ("since 9", utc(12, 3, 8)),
        ("9am CET", utc(12, 3, 8)),
        ("2026-12-01", utc(11, 30, 23)),
        ("dec 1", utc(11, 30, 23)),
        ("1st of december", utc(11, 30, 23)),
        ("2 days ago", utc(12, 1, 15)),
        ("a couple of days ago", utc(12, 1, 15)),
        ("3 days ago", utc(11, 30, 15)),
        ("1 week ago", utc(11, 26, 15)),
        ("over the weekend", utc(11, 27, 23)),
        ("this week", utc(11, 29, 23)),
        ("earlier today", utc(12, 2, 23)),
        ("the day before yesterday", utc(11, 30, 23)),
        ("just now", NOW),
    ],
)
def test_english_words_in_berlin(words: str, expected: datetime) -> None:
    actual = parse_since(words, NOW, BERLIN)

    assert actual == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("昨天", utc(12, 1, 16)),
        ("从昨天开始", utc(12, 1, 16)),
        ("昨天开始", utc(12, 1, 16)),
        ("今天早上", utc(12, 3, 1)),
        ("今早", utc(12, 3, 1)),
        ("上午", utc(12, 3, 1)),
        ("下午", utc(12, 3, 5)),
        ("今晚", utc(12, 3, 10)),
        ("昨晚", utc(12, 2, 12)),
        ("前天晚上", utc(12, 1, 10)),
        ("昨天下午3点", utc(12, 2, 7)),
        ("今天下午两点", utc(12, 3, 6)),
        ("中午1点", utc(12, 3, 5)),
        ("两天前", utc(12, 1, 15)),
        ("3天前", utc(11, 30, 15)),
        ("十天前", utc(11, 23, 15)),
        ("三个小时前", utc(12, 3, 12)),
        ("半小时前", utc(12, 3, 14, 30)),
        ("周一", utc(11, 29, 16)),
        ("星期一早上", utc(11, 30, 1)),
        ("上周五", utc(11, 26, 16)),
        ("自从上周一以来", utc(11, 22, 16)),
        ("12月1日", utc(11, 30, 16)),
        ("刚才", NOW),
        ("this morning", utc(12, 3, 1)),
    ],
)
def test_chinese_and_english_words_in_shanghai(words: str, expected: datetime) -> None:
    actual = parse_since(words, NOW, SHANGHAI)

    assert actual == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("this morning", utc(12, 3, 14)),
        ("yesterday", utc(12, 2, 5)),
        ("last night", utc(12, 3, 1)),
        ("11am", utc(12, 2, 16)),
        ("8:30am", utc(12, 3, 13, 30)),
    ],
)
def test_english_words_in_new_york(words: str, expected: datetime) -> None:
    actual = parse_since(words, NOW, NEW_YORK)

    assert actual == expected


@pytest.mark.parametrize(
    ("words", "now", "time_zone", "expected"),
    [
        # Berlin moves from 02:00 CET to 03:00 CEST on 29 March 2026; it is now 03:30 CEST.
        ("2 hours ago", utc(3, 29, 1, 30), BERLIN, utc(3, 28, 23, 30)),
        ("90 minutes ago", utc(3, 29, 1, 30), BERLIN, utc(3, 29)),
        ("yesterday", utc(3, 29, 1, 30), BERLIN, utc(3, 27, 23)),
        ("last night", utc(3, 29, 1, 30), BERLIN, utc(3, 28, 19)),
        ("1am", utc(3, 29, 1, 30), BERLIN, utc(3, 29)),
        # New York moves from 02:00 EDT back to 01:00 EST on 1 November 2026.
        ("2 hours ago", utc(11, 1, 7, 30), NEW_YORK, utc(11, 1, 5, 30)),
        ("this morning", utc(11, 1, 17), NEW_YORK, utc(11, 1, 14)),
        ("yesterday morning", utc(11, 1, 17), NEW_YORK, utc(10, 31, 13)),
        ("yesterday", utc(11, 1, 17), NEW_YORK, utc(10, 31, 4)),
    ],
)
def test_a_daylight_saving_change_in_between(
    words: str, now: datetime, time_zone: str, expected: datetime
) -> None:
    actual = parse_since(words, now, time_zone)

    assert actual == expected


@pytest.mark.parametrize(
    ("words", "time_zone"),
    [
        ("tonight", BERLIN),
        ("this evening", BERLIN),
        ("this afternoon", NEW_YORK),
    ],
)
def test_a_part_of_today_still_ahead_is_now(words: str, time_zone: str) -> None:
    actual = parse_since(words, NOW, time_zone)

    assert actual == NOW


def test_this_morning_said_before_nine_is_now() -> None:
    early = utc(12, 3, 6)  # 07:00 in Berlin

    actual = parse_since("this morning", early, BERLIN)

    assert actual == early


def test_a_clock_time_still_ahead_today_means_yesterday() -> None:
    early = utc(12, 3, 6)  # 07:00 in Berlin

    actual = parse_since("9am", early, BERLIN)

    assert actual == utc(12, 2, 8)


@pytest.mark.parametrize(
    "words",
    [
        "",
        "   ",
        "after the update",
        "the update",
        "forever",
        "ages",
        "the other day",
        "i came back from holiday",
        "not sure",
        "tomorrow",
        "next monday",
        "in 2 hours",
        "明天",
        "2026",
        "30",
    ],
)
def test_words_that_are_not_a_past_time(words: str) -> None:
    actual = parse_since(words, NOW, BERLIN)

    assert actual is None


def test_the_result_is_in_utc() -> None:
    actual = parse_since("yesterday", NOW, SHANGHAI)

    assert actual is not None
    assert actual.tzinfo == UTC


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_since("yesterday", datetime(2026, 12, 3, 15, 0), BERLIN)


def test_importing_the_module_leaves_dateparser_unloaded() -> None:
    code = "import sys, flows.when; print('dateparser' in sys.modules)"
    root = Path(__file__).resolve().parents[2]

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


# Each weekday of two weeks, at midnight, in the small hours and late, with and without
# microseconds: the clock that every common answer is read against.
BASES = [
    datetime(2026, 11, 30, hour, minute, 0, micro) + timedelta(days=day)
    for day in range(14)
    for hour, minute, micro in ((0, 0, 0), (3, 7, 123456), (16, 0, 999), (23, 59, 0))
]


@pytest.mark.parametrize(
    "words",
    [
        "today",
        "yesterday",
        "the day before yesterday",
        "last week",
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        "last monday",
        "last thursday",
        "today 9:00",
        "today 23:00",
        "today 0:00",
        "yesterday 20:00",
        "yesterday 09:05",
        "friday 13:00",
        "last sunday 12:00",
        "the day before yesterday 9:00",
        "last week 9:00",
        "2 days ago",
        "1 day ago",
        "a day ago",
        "an hour ago",
        "2 hours ago",
        "1 hours ago",
        "30 minutes ago",
        "90 minutes ago",
        "a minute ago",
        "10 seconds ago",
        "0 days ago",
        "1 week ago",
        "3 weeks ago",
        "100 weeks ago",
        "999 days ago",
    ],
)
def test_common_answers_are_read_as_dateparser_reads_them(words: str) -> None:
    actual = [_read_common(words, base) for base in BASES]

    expected = [_parser_at(base).get_date_data(words).date_obj for base in BASES]
    assert actual == expected


@pytest.mark.parametrize(
    "words",
    ["2 months ago", "today 25:00", "monday 9am", "last month", "dec 1", "1000 days ago"],
)
def test_other_answers_are_left_to_dateparser(words: str) -> None:
    actual = _read_common(words, NOW.replace(tzinfo=None))

    assert actual is None
