"""Reads the details of an IT problem out of what a person typed, in English or Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.vocabulary import Impact, Urgency
from flows.phrasebook import (
    ANSWER_IMPACT_PHRASES,
    ANSWER_TRIED,
    ANSWER_URGENCY_PHRASES,
    CJK,
    CJK_RUN,
    DEVICE_PATTERNS,
    ENGLISH_WORD,
    FILLER_WORDS,
    GENERIC_WORDS,
    LEADING_NOISE,
    MESSAGE_IMPACT_PHRASES,
    MESSAGE_URGENCY_PHRASES,
    NOT_DEVICES,
    NOTHING_TRIED,
    PLAIN,
    REPEATED_PUNCTUATION,
    SINCE_CLUES,
    SINCE_TAIL,
    SPACE_BEFORE_PUNCTUATION,
    TRAILING_NOISE,
    TRIED_CLUES,
    TRIED_TAIL,
    ZH_FILLER,
    ZH_GENERIC,
    Clue,
    Level,
)


@dataclass(frozen=True)
class Details:
    """What one message said about a problem; None wherever it said nothing.

    `since` keeps the person's words without "since" or "从…开始" ("this morning", "昨天"),
    except that a duration becomes a point ("for 2 days" -> "2 days ago"). `device` is the
    canonical display name of the device or application ("VPN", "printer", "Outlook").
    `symptom` is None when what is left of the message is a greeting or too vague to act on.
    """

    symptom: str | None = None
    since: str | None = None
    device: str | None = None
    tried: str | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None


@dataclass(frozen=True)
class _Found:
    """A clause found in the text: where it stands and the words it contributes."""

    start: int
    end: int
    words: str


def extract_details(text: str) -> Details:
    """Every detail of a problem that a first message gives, so the intake need not ask again."""
    plain = _plain(text)
    since = _first_clue(plain, SINCE_CLUES, SINCE_TAIL)
    tried = _first_clue(_blank(plain, since), TRIED_CLUES, TRIED_TAIL)
    statement = _tidy(_cut(plain, [clause for clause in (since, tried) if clause]))
    named = _device_match(statement)

    return Details(
        symptom=None if _is_vague(statement, named) else statement,
        since=since.words if since else None,
        # The device in the problem statement is the one at fault, not the one they restarted.
        device=named[0] if named else _device(plain),
        tried=tried.words if tried else None,
        impact=_first_phrase(plain, MESSAGE_IMPACT_PHRASES),
        urgency=_first_phrase(plain, MESSAGE_URGENCY_PHRASES),
    )


def parse_impact(answer: str) -> Impact | None:
    """Who is affected, read from a free-text answer; None when the answer does not say.

    Digits are not read here: numbered buttons are answered before text reaches this.
    """
    return _first_phrase(_plain(answer), ANSWER_IMPACT_PHRASES)


def parse_urgency(answer: str) -> Urgency | None:
    """How badly work is stopped, read from a free-text answer; None when it does not say."""
    return _first_phrase(_plain(answer), ANSWER_URGENCY_PHRASES)


def parse_tried(answer: str) -> str | None:
    """What the person already tried, from their answer; "nothing yet" when they tried nothing.

    None only for a blank answer: anything else is kept, trimmed to the actions when possible.
    """
    text = _plain(answer).strip()
    if not text:
        return None

    tried = _first_clue(text, TRIED_CLUES, TRIED_TAIL)
    if tried is not None:
        return tried.words
    if NOTHING_TRIED.match(text):
        return "nothing yet"

    match = ANSWER_TRIED.match(text)
    return _tidy(match.group("words") if match else text) or None


def _plain(text: str) -> str:
    """The text with straight apostrophes and plain spaces, character for character."""
    return text.translate(PLAIN)


def _first_phrase(text: str, phrases: tuple[tuple[re.Pattern[str], Level], ...]) -> Level | None:
    """The level of the phrase that starts first, the longest one where several start together.

    Negations win this way without special rules: "not urgent" starts before "urgent" does.
    """
    best: tuple[re.Match[str], Level] | None = None
    for pattern, level in phrases:
        match = pattern.search(text)
        if match and (best is None or _earlier(match, best[0])):
            best = (match, level)
    return best[1] if best else None


def _first_clue(text: str, clues: tuple[Clue, ...], tail: re.Pattern[str]) -> _Found | None:
    """The clause that starts first; at the same start, the clue listed first wins."""
    best: tuple[re.Match[str], Clue] | None = None
    for clue in clues:
        match = clue.pattern.search(text)
        if match and (best is None or match.start() < best[0].start()):
            best = (match, clue)
    if best is None:
        return None

    match, clue = best
    words = tail.sub("", match.group("words").strip()).strip()
    return _Found(match.start(), match.end(), clue.template.format(words))


def _blank(text: str, clause: _Found | None) -> str:
    """The text with a found clause replaced by a clause break of the same length."""
    if clause is None:
        return text
    width = clause.end - clause.start
    return text[: clause.start] + ";" + " " * (width - 1) + text[clause.end :]


def _device(text: str) -> str | None:
    """The canonical name of the device or application named first in the text."""
    found = _device_match(text)
    return found[0] if found else None


def _device_match(text: str) -> tuple[str, re.Match[str]] | None:
    """The first device named, with where it was named; the longest name at the same start."""
    text = NOT_DEVICES.sub(lambda match: " " * len(match.group()), text)
    best: tuple[str, re.Match[str]] | None = None
    for name, pattern in DEVICE_PATTERNS:
        match = pattern.search(text)
        if match and (best is None or _earlier(match, best[1])):
            best = (name, match)
    return best


def _earlier(match: re.Match[str], other: re.Match[str]) -> bool:
    """Whether `match` starts before `other`, or starts with it and is longer."""
    return (match.start(), -match.end()) < (other.start(), -other.end())


def _cut(text: str, clauses: list[_Found]) -> str:
    """The text with the clauses taken out, joined with a space where words would touch."""
    kept, position = "", 0
    for clause in sorted(clauses, key=lambda found: found.start):
        kept = _join(kept, text[position : clause.start])
        position = clause.end
    return _join(kept, text[position:])


def _join(left: str, right: str) -> str:
    """Two pieces of text together, with a space between them unless either side is Chinese."""
    if not left or not right or CJK.match(left[-1]) or CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def _tidy(text: str) -> str:
    """The text with loose punctuation, greetings and dangling connectives trimmed."""
    text = " ".join(text.split())
    text = SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = REPEATED_PUNCTUATION.sub(r"\1", text)

    previous = None
    while previous != text:
        previous = text
        text = TRAILING_NOISE.sub("", LEADING_NOISE.sub("", text)).strip()
    return text


def _is_vague(symptom: str, device: tuple[str, re.Match[str]] | None) -> bool:
    """Whether a symptom says too little to act on, given the device it names (if any).

    Beside a device, one more meaningful word is enough ("Outlook won't open"). Without one,
    it takes two meaningful words of which one says more than that something is wrong:
    "password expired" and "can't log in" pass; "hi", "I have a problem", "it doesn't work" do
    not.
    """
    if device is not None:
        start, end = device[1].span()
        symptom = symptom[:start] + " " + symptom[end:]

    specific, generic = _count_words(symptom)
    if device is not None:
        return specific + generic == 0
    return specific == 0 or specific + generic < 2


def _count_words(text: str) -> tuple[int, int]:
    """How many specific and how many generic words the text has, skipping filler words."""
    english = [word.lower() for word in ENGLISH_WORD.findall(text)]
    specific = sum(word not in FILLER_WORDS and word not in GENERIC_WORDS for word in english)
    generic = sum(word in GENERIC_WORDS for word in english)

    for run in CJK_RUN.findall(text):
        zh_specific, zh_generic = _count_chinese(run)
        specific, generic = specific + zh_specific, generic + zh_generic
    return specific, generic


def _count_chinese(run: str) -> tuple[int, int]:
    """Specific and generic words in a run of Chinese, counting two characters as a word."""
    generic = len(ZH_GENERIC.findall(run))
    rest = ZH_FILLER.sub(" ", ZH_GENERIC.sub(" ", run))
    specific = sum((len(piece) + 1) // 2 for piece in rest.split())
    return specific, generic
