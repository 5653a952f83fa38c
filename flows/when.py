"""Turns the words a person used for "since when" into a moment in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from dateparser.conf import Settings
    from dateparser.date import DateDataParser

_LANGUAGES = ["en", "zh"]

# A clock a little ahead of the server's must not turn "just now" into nonsense.
_FUTURE_SLACK = timedelta(minutes=1)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

_EDGE_PUNCTUATION = " \t\n.,;:!?()\"'\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u3001"

_LEADING_CUE = re.compile(
    r"^(?:(?:ever since|since|from|started|starting|began|beginning|about|around|approx"
    r"(?:imately)?|roughly|early|late|at|on)\s+|~\s*|自从|自|从|大约|大概)"
)

_TRAILING_CUE = re.compile(r"(?:\s*(?:开始|以来|起)|\s+onwards?|\s+on)$")

_FILLER = re.compile(r"\s*\b(?:at|around|about|approx(?:imately)?|roughly|in the)\b\s*|-?\bish\b")

_FUTURE = re.compile(
    r"\b(?:tomorrow|next|in\s+(?:\d+|an?|a few|few|a couple|couple)\b)|明天|后天|下周|下个|下星期"
)

# Numbers dateparser does not read, written as the digits it does.
_VAGUE_COUNTS = (
    (re.compile(r"\b(?:a couple of|a couple|couple of)\b"), "2"),
    (re.compile(r"\b(?:a few|few|several)\b"), "3"),
    (re.compile(r"\b(?:half an hour|half hour)\b"), "30 minutes"),
    (re.compile(r"\ban hour and a half\b"), "90 minutes"),
)

_WEEKDAYS = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "weds": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}

_SHORT_WEEKDAY = re.compile(r"\b(?:mon|tues?|weds?|thu|thurs?|fri|sat|sun)\b")

# "The weekend" is read as its Saturday, the most recent one.
_WEEKEND = re.compile(r"^(?:over |during |on )?(?:the|this|last|this past) weekend$|^weekend$")

# Whole phrases dateparser misses, as phrases it reads.
_SYNONYMS = {"earlier today": "today", "yday": "yesterday", "lunch time": "lunchtime"}

_NOW_WORDS = frozenset({"now", "just now", "right now", "刚才", "刚刚", "现在"})

# Monday is 0, as in date.weekday().
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

_ZH_LAST_WEEKDAY = re.compile(r"上个?(?:周|星期|礼拜)([一二三四五六日天])")

_ZH_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

_ZH_NUMBER = re.compile(
    r"[零一二两三四五六七八九十]{1,3}(?=\s*个?\s*(?:秒|分钟|分|小时|钟头|天|日|周|星期|礼拜|月|年|点))"
)

_ZH_MEASURE_WORD = re.compile(r"(?<=[\d半])\s*个\s*(?=小时|钟头|星期|礼拜|月)")

_ZH_UNIT_SPELLINGS = ((re.compile(r"钟头"), "小时"), (re.compile(r"(?:以|之)前$"), "前"))

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

_ZH_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})[日号]")

# The hours that parts of the day stand for.
_PART_HOURS = {
    "morning": 9,
    "afternoon": 13,
    "evening": 18,
    "tonight": 18,
    "night": 20,
    "lunch": 12,
    "lunchtime": 12,
    "noon": 12,
    "midday": 12,
    "midnight": 0,
    "凌晨": 3,
    "早上": 9,
    "早晨": 9,
    "清晨": 9,
    "上午": 9,
    "中午": 12,
    "下午": 13,
    "傍晚": 18,
    "晚上": 18,
    "夜里": 20,
}

# A clock hour said with these parts of the day is after noon: 下午3点 is 15:00.
_ZH_AFTERNOON_PARTS = frozenset({"下午", "傍晚", "晚上", "夜里"})

_ZH_SHORT_DAYS = (
    ("今早", "今天早上"),
    ("今晚", "今天晚上"),
    ("昨晚", "昨天夜里"),
    ("昨夜", "昨天夜里"),
)

_EN_PART_OF_DAY = re.compile(
    r"^(?P<day>.*?)\s*\b(?P<part>morning|afternoon|evening|tonight|night|lunch(?:time)?|noon"
    r"|midday|midnight)$"
)

_ZH_PART_OF_DAY = re.compile(
    r"^(?P<day>.*?)\s*(?P<part>凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里)?"
    r"(?:(?P<hour>\d{1,2})点(?:(?P<half>半)|(?P<minute>\d{1,2})分?)?)?$"
)

_LONE_NUMBER = re.compile(r"^\d+$")

_CLOCK = re.compile(r"\d:\d\d|\d\s*(?:am|pm|a\.m|p\.m)\b|\bnow\b")

_DURATION = re.compile(
    r"\bago\b|前$|\d\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|months?"
    r"|years?)\b|\d\s*(?:秒|分钟|小时|天|周|星期|月|年)"
)

_SUB_DAY = re.compile(
    r"\b(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b|\d\s*(?:s|m|h)\b|秒|分钟|小时"
)

# The commonest answers, after normalising, are read without dateparser, which takes about a
# millisecond for any phrase; they give the very moments dateparser gives (a test compares).
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_DAYS_BACK = {"today": 0, "yesterday": 1, "the day before yesterday": 2, "last week": 7}

_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}

_AGO = re.compile(r"^(?P<count>\d{1,3}|an?) (?P<unit>second|minute|hour|day|week)s? ago$")

_DAY_AT = re.compile(r"^(?P<day>.+?)(?: (?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d))?$")


def parse_since(words: str, now: datetime, time_zone: str) -> datetime | None:
    """The aware UTC moment that `words` name, read in `time_zone` relative to `now`.

    A day without a time of day means the start of that day; parts of the day mean fixed hours
    (morning 09:00, afternoon 13:00, evening 18:00, night 20:00). A moment later today than
    `now` ("this morning" said at 07:00) is moved back to `now`; one on a later day is
    nonsense and gives None, as do words that name no time at all ("after the update").
    Raises ValueError when `now` is naive and ZoneInfoNotFoundError for an unknown zone.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be an aware datetime, not {now!r}")
    zone = ZoneInfo(time_zone)

    text = _normalise(words, now.astimezone(zone).date())
    if text is None:
        return None

    moment = _parse(text, now, zone)
    if moment is None:
        return None
    return _not_after(moment, now, zone)


def _normalise(words: str, today: date) -> str | None:
    """The words rewritten into what dateparser reads, or None when they cannot be a past time."""
    text = _strip_cues(" ".join(words.translate(_APOSTROPHES).lower().split()))
    if not text or _FUTURE.search(text):
        return None
    if text in _NOW_WORDS:
        return "now"

    text = _parts_of_day(_chinese_words(_english_words(text, today), today))
    return _lone_number(text)


def _strip_cues(text: str) -> str:
    """The words without "since", "from", "开始" and the like around them."""
    previous = None
    while previous != text:
        previous = text
        text = text.strip(_EDGE_PUNCTUATION)
        text = _TRAILING_CUE.sub("", _LEADING_CUE.sub("", text))
    return text


def _english_words(text: str, today: date) -> str:
    """Vague counts as digits, short weekday names in full, the weekend as its Saturday."""
    text = _SYNONYMS.get(text, text)
    if text == "this week":
        return (today - timedelta(days=today.weekday())).isoformat()

    for pattern, replacement in _VAGUE_COUNTS:
        text = pattern.sub(replacement, text)
    text = _SHORT_WEEKDAY.sub(lambda match: _WEEKDAYS[match.group()], text)

    if _WEEKEND.match(text):
        return "saturday"
    return " ".join(_FILLER.sub(" ", text).split())


def _chinese_words(text: str, today: date) -> str:
    """Chinese numbers, measure words, last week's weekdays and month-day dates made readable."""
    text = _ZH_LAST_WEEKDAY.sub(lambda match: _last_week(today, match.group(1)), text)
    text = _ZH_NUMBER.sub(lambda match: str(_chinese_number(match.group())), text)
    text = _ZH_MEASURE_WORD.sub("", text)
    for pattern, replacement in _ZH_UNIT_SPELLINGS:
        text = pattern.sub(replacement, text)

    return _ZH_MONTH_DAY.sub(lambda m: f"{_MONTHS[int(m.group(1)) - 1]} {m.group(2)}", text)


def _last_week(today: date, weekday: str) -> str:
    """The date of a weekday in the week before this one, as 上周五 means, in ISO form."""
    days_back = today.weekday() + 7 - _ZH_WEEKDAYS[weekday]
    return (today - timedelta(days=days_back)).isoformat()


def _chinese_number(digits: str) -> int:
    """The value of a Chinese number from 0 to 99, such as 两, 十 or 二十三."""
    tens, ten, ones = digits.partition("十")
    if not ten:
        return int("".join(str(_ZH_DIGITS[digit]) for digit in digits))
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)


def _parts_of_day(text: str) -> str:
    """Parts of the day and Chinese clock times as a day followed by an H:MM clock."""
    for short, long in _ZH_SHORT_DAYS:
        text = text.replace(short, long)

    english = _EN_PART_OF_DAY.match(text)
    if english:
        return _english_part_of_day(english.group("day"), english.group("part"))

    chinese = _ZH_PART_OF_DAY.match(text)
    if chinese and (chinese.group("part") or chinese.group("hour")):
        return _chinese_clock(chinese)
    return text


def _english_part_of_day(day: str, part: str) -> str:
    """Reads "last night" as "yesterday 20:00" and "friday morning" as "friday 9:00"."""
    if day in {"", "this", "today"}:
        day = "today"
    elif day == "last" and part in {"night", "evening"}:
        day = "yesterday"
    return f"{day} {_PART_HOURS[part]}:00"


def _chinese_clock(match: re.Match[str]) -> str:
    """Reads "昨天下午3点" as "昨天 15:00", "今天早上" as "今天 9:00" and "9点" as "9:00"."""
    day = match.group("day").strip()
    part = match.group("part")
    if match.group("hour") is None:
        return f"{day or '今天'} {_PART_HOURS[part]}:00"

    hour = int(match.group("hour"))
    if hour < 12 and (part in _ZH_AFTERNOON_PARTS or (part == "中午" and hour < 6)):
        hour += 12
    minute = 30 if match.group("half") else int(match.group("minute") or 0)
    return f"{day} {hour}:{minute:02d}".strip()


def _lone_number(text: str) -> str | None:
    """A lone number read as an hour of the day ("since 9"), or None when it cannot be one."""
    if not _LONE_NUMBER.match(text):
        return text
    hour = int(text)
    return f"{hour}:00" if hour < 24 else None


def _parse(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """What dateparser makes of the normalised words, as an aware UTC datetime."""
    # Hours and minutes ago are counted on the UTC clock, so that a daylight-saving change in
    # between does not shift them; days and parts of the day follow the person's wall clock.
    base_zone = UTC if _SUB_DAY.search(text) else zone
    base = now.astimezone(base_zone).replace(tzinfo=None)

    parsed = _read_common(text, base)
    if parsed is None:
        parsed = _parser_at(base).get_date_data(text).date_obj
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)

    if not _CLOCK.search(text) and not _DURATION.search(text):
        parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
    return parsed.replace(tzinfo=base_zone).astimezone(UTC)


def _read_common(text: str, base: datetime) -> datetime | None:
    """The naive moment dateparser reads in a common answer, or None for other words.

    Common answers are "N units ago", and a day (today, yesterday, a weekday, last week)
    with or without an H:MM clock.
    """
    ago = _AGO.match(text)
    if ago is not None:
        count = 1 if ago["count"] in ("a", "an") else int(ago["count"])
        return base - count * _UNITS[ago["unit"]]

    match = _DAY_AT.match(text)
    if match is None:
        return None
    day = _day(match["day"], base)
    if day is None or match["hour"] is None:
        return day
    return day.replace(
        hour=int(match["hour"]), minute=int(match["minute"]), second=0, microsecond=0
    )


def _day(words: str, base: datetime) -> datetime | None:
    """The day that words name, at base's time of day, or at midnight for a weekday."""
    if words in _DAYS_BACK:
        return base - timedelta(days=_DAYS_BACK[words])
    weekday = words.removeprefix("last ")
    if weekday not in _FULL_WEEKDAYS:
        return None
    # A weekday is the last one before today: said on a Thursday, "thursday" is a week ago.
    days_back = (base.weekday() - _FULL_WEEKDAYS.index(weekday)) % 7 or 7
    midnight = base.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days_back)


def _not_after(moment: datetime, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The moment, moved back to `now` when it is later today, or None when on a later day."""
    if moment <= now + _FUTURE_SLACK:
        return min(moment, now.astimezone(UTC))
    if moment.astimezone(zone).date() == now.astimezone(zone).date():
        return now.astimezone(UTC)
    return None


@cache
def _settings() -> Settings:
    """dateparser's settings for looking back in time, made on first use."""
    # dateparser loads its language data when imported, which takes a noticeable fraction of
    # a second, so importing this module does not import it.
    from dateparser.conf import settings  # noqa: PLC0415

    return settings.replace(PREFER_DATES_FROM="past")


def _parser_at(base: datetime) -> DateDataParser:
    """A parser for English and Chinese that reads relative words against `base`."""
    # dateparser fixes RELATIVE_BASE when a parser is made, so each call makes a parser. That
    # takes about 20 microseconds: the slow part, the language data, is loaded once per process
    # and shared by every parser, and naming the languages spares detecting them.
    from dateparser.date import DateDataParser  # noqa: PLC0415

    return DateDataParser(languages=_LANGUAGES, settings=_settings().replace(RELATIVE_BASE=base))
