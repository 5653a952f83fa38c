"""Credentials pasted into chat, found and replaced before a message is stored or forwarded."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

# The kinds name what was found and never carry a secret; S105 mistakes the names for secrets.
PASSWORD = "password"  # noqa: S105
API_KEY = "api_key"
TOKEN = "token"  # noqa: S105
PRIVATE_KEY = "private_key"
CARD_NUMBER = "card_number"

_REPLACEMENTS = {
    PASSWORD: "[masked password]",
    API_KEY: "[masked API key]",
    TOKEN: "[masked token]",
    PRIVATE_KEY: "[masked private key]",
    CARD_NUMBER: "[masked card number]",
}


@dataclass(frozen=True)
class Masked:
    """A message with its credentials replaced, and which kinds of credential were in it.

    ``kinds`` holds kind names such as ``"password"``, sorted and without repeats, never the
    secrets themselves, so it may be logged or counted; it is empty when nothing was masked.
    """

    text: str
    kinds: tuple[str, ...]


def mask_credentials(text: str) -> Masked:
    """Return ``text`` with every credential found in it replaced by a ``[masked ...]`` label.

    Kinds, from the most certain to the least: ``private_key`` is a whole PEM block (to the end
    of the text when its END line is missing); ``api_key`` is a long-lived key that an account
    or an application holds (AWS, OpenAI, Google, Stripe, ``api_key=``, ``secret=``,
    ``client_secret``); ``token`` is something a service issued to stand for a session, a bot
    or a person (GitHub, Slack, JWTs, ``Bearer``, ``token=``); ``password`` is a value given
    after a word such as "password", "PIN" or "密码", or inside a URL or a Basic authorization
    header; ``card_number`` is 13 to 19 digits grouped like a card and passing the Luhn check.
    Only the secret is replaced; the words around it stay.
    """
    spans = _find_spans(text)
    if not spans:
        return Masked(text=text, kinds=())

    kinds = tuple(sorted({span.kind for span in spans}))
    return Masked(text=_replace(text, spans), kinds=kinds)


class _Span(NamedTuple):
    start: int
    end: int
    kind: str


def _find_spans(text: str) -> list[_Span]:
    """Return non-overlapping spans, the more certain finder winning where two overlap."""
    lowered = _lower_in_place(text)
    accepted: list[_Span] = []
    for finder in _FINDERS:
        for span in finder(text, lowered):
            _add_unless_overlapping(accepted, span)

    return accepted


def _add_unless_overlapping(accepted: list[_Span], span: _Span) -> None:
    """Insert ``span`` into ``accepted``, kept sorted and disjoint, unless it overlaps a span.

    Being disjoint, the spans before and after the insertion point are the only candidates.
    """
    index = bisect.bisect_left(accepted, span)
    overlaps_before = index > 0 and accepted[index - 1].end > span.start
    overlaps_after = index < len(accepted) and accepted[index].start < span.end
    if not (overlaps_before or overlaps_after):
        accepted.insert(index, span)


def _lower_in_place(text: str) -> str:
    """Lower-case ``text`` keeping every character at its index, so positions carry over."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # "İ" is the one character whose lower case is two characters long.
        lowered = text.replace("\u0130", "I").lower()

    return lowered


def _anchor_positions(anchors: Iterable[str], lowered: str) -> list[int]:
    """Return where any of ``anchors`` occurs in ``lowered``, in order.

    Patterns are tried only at these places: ``str.find`` skims a long message many times
    faster than a regular expression that has to be tried at every position.
    """
    found: set[int] = set()
    for anchor in anchors:
        index = lowered.find(anchor)
        while index != -1:
            found.add(index)
            index = lowered.find(anchor, index + 1)

    return sorted(found)


def _replace(text: str, spans: list[_Span]) -> str:
    pieces: list[str] = []
    position = 0
    for span in spans:
        pieces += [text[position : span.start], _REPLACEMENTS[span.kind]]
        position = span.end

    pieces.append(text[position:])
    return "".join(pieces)


# Private keys ---------------------------------------------------------------------------------

# A pasted key is often cut off by a message limit, so a missing END line masks to the end.
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r".*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)


def _private_key_spans(text: str, lowered: str) -> Iterator[_Span]:
    covered = 0
    for index in _anchor_positions(("-----begin ",), lowered):
        # A BEGIN line inside a block already found, cut off or not, needs no second look.
        if index >= covered and (match := _PRIVATE_KEY_BLOCK.match(text, index)):
            covered = match.end()
            yield _Span(match.start(), match.end(), PRIVATE_KEY)


# Keys and tokens of a known shape -------------------------------------------------------------


class _Shape(NamedTuple):
    """A credential specific enough to mask on sight.

    The pattern is tried where one of the lower-case ``anchors`` occurs. When it has a group
    named "secret", only that group is masked and the words around it stay.
    """

    anchors: tuple[str, ...]
    pattern: re.Pattern[str]
    kind: str


_SHAPES = (
    _Shape(
        ("akia", "asia"),
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        API_KEY,
    ),
    _Shape(
        ("aws_secret_access_key",),
        re.compile(
            r"(?i:aws_secret_access_key)[\"']?\s*[:=]?\s*[\"']?"
            r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        API_KEY,
    ),
    _Shape(
        ("sk-",),
        re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
        API_KEY,
    ),
    _Shape(
        ("aiza",),
        re.compile(r"(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
        API_KEY,
    ),
    _Shape(
        ("sk_", "rk_", "pk_"),
        re.compile(r"(?<![A-Za-z0-9])[prs]k_(?:live|test)_[A-Za-z0-9]{10,}"),
        API_KEY,
    ),
    _Shape(
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"(?<![A-Za-z0-9])(?:gh[oprsu]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        TOKEN,
    ),
    _Shape(
        ("xox", "xapp-"),
        re.compile(r"(?<![A-Za-z0-9])(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,}"),
        TOKEN,
    ),
    _Shape(
        ("eyj",),
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
        TOKEN,
    ),
    # A bearer token carries a digit somewhere, which keeps "the bearer instrument" as it is.
    _Shape(
        ("bearer",),
        re.compile(
            r"(?<![A-Za-z0-9])(?i:bearer)\s+"
            r"(?P<secret>(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{8,}=*)"
        ),
        TOKEN,
    ),
    # Basic authorization is base64 of "user:password", so it is as good as the password.
    _Shape(
        ("authorization",),
        re.compile(
            r"(?i:authorization)\s*[:=]\s*[\"']?(?i:basic)\s+"
            r"(?P<secret>[A-Za-z0-9+/]{4,}={0,2})"
        ),
        PASSWORD,
    ),
    # In "scheme://user:password@host" the user name stays; it helps whoever reads the ticket.
    _Shape(("://",), re.compile(r"://[^\s:/@]*:(?P<secret>[^\s/@]+)@"), PASSWORD),
)


def _shape_spans(text: str, lowered: str) -> Iterator[_Span]:
    for shape in _SHAPES:
        group = "secret" if "secret" in shape.pattern.groupindex else 0
        for index in _anchor_positions(shape.anchors, lowered):
            if match := shape.pattern.match(text, index):
                yield _Span(match.start(group), match.end(group), shape.kind)


# Values given after a word ---------------------------------------------------------------------

# How a value is introduced decides how much evidence it needs: "password: x" is plainly an
# assignment, "password is x" is a sentence that may go on with prose, and "password x" is
# usually prose unless x looks random.
_SYMBOLIC, _VERBAL, _BARE = "symbolic", "verbal", "bare"

# Words that follow "password is" or "token:" in sentences about credentials rather than in
# sentences giving one. Words shorter than the shortest accepted value need not be listed.
_ORDINARY_WORD_LIST = """
    about after again already also always another anymore anything apparently because before
    being blank blocked broken can't cannot case changed change compromised correct could
    current currently default definitely didn't different disabled doesn't don't empty
    everything expire expired expires expiring failed false field fine forgotten from good
    hasn't have help here hint hints history incorrect invalid isn't it's just leaked like
    link locked long manager mine missing needed none nothing null okay only page
    passed please policy previous private probably prompt protected really rejected required
    reset right rules same saved screen secret sent should short since soon still stolen
    stored strong sure temporary than thanks that their there these this those today tomorrow
    true unknown updated valid vault very wasn't weak what when where which will with won't
    working would wrong your yours
"""
_ORDINARY_WORDS = frozenset(_ORDINARY_WORD_LIST.split())

# What an earlier pass left behind ("[masked" or, between quotes, a whole label) is no secret,
# so masking a masked text again changes nothing.
_LABEL_WORDS = frozenset({"masked", *(label.strip("[]") for label in _REPLACEMENTS.values())})

# Plain lowercase words shaped like prose: "re-enter", "doesn't", "rejected", "expiring".
_PROSE_WORD = re.compile(r"[a-z]+(?:['\u2019-][a-z]+)+|[a-z]+(?:ed|ing|ly)")

# Chat text mixes scripts, so a value stops at CJK characters and full-width punctuation.
# A quoted value may hold spaces, since a passphrase is still one secret.
_VALUE = (
    r"\"[^\"\n]{1,64}\"|'[^'\n]{1,64}'|`[^`\n]{1,64}`"
    r"|\u201c[^\u201d\n]{1,64}\u201d|\u2018[^\u2019\n]{1,64}\u2019"
    r"|[^\s\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+"
)
_QUOTE_PAIRS = {
    '"': '"',
    "'": "'",
    "`": "`",
    "\N{LEFT DOUBLE QUOTATION MARK}": "\N{RIGHT DOUBLE QUOTATION MARK}",
    "\N{LEFT SINGLE QUOTATION MARK}": "\N{RIGHT SINGLE QUOTATION MARK}",
}
_EDGE_PUNCTUATION = ".,;:!?()[]{}<>\"'`\u201c\u201d\u2018\u2019"

_CONNECTOR = (
    r"(?:(?:has\s+been|was|is)\s+)?(?:set|changed|reset|updated)\s+to"
    r"|will\s+be|should\s+be|it['\u2019]?s|it\s+is|is|was"
)

_PASSWORD_WORDS = re.compile(
    r"(?<![A-Za-z0-9])(?P<keyword>pass(?:word|wd|code|phrase)?s?|pwd|pw|pin)(?![A-Za-z0-9])"
    r"(?:\s+(?:code|number))?"
    # "the password for jdoe is x": the qualifier is taken only before an explicit separator.
    r"(?:\s+(?:for|to|of|on)\s+(?:(?:the|my|our|your)\s+)?[\w.@-]+"
    r"(?=\s*[:=]|\s+(?:is|was)\b))?"
    r"(?P<separator>\s*[:=]\s*(?:it['\u2019]?s\s+|it\s+is\s+)?"
    r"|\s+(?:" + _CONNECTOR + r")\b(?:\s+(?:now|still|currently|temporarily))?\s*[:=]?\s*"
    r"|\s+)"
    r"(?P<value>" + _VALUE + r")",
    re.IGNORECASE,
)
_PASSWORD_WORDS_CHINESE = re.compile(
    r"(?P<keyword>密码|密碼|口令|PIN码)"
    r"(?P<separator>\s*(?:[是为為:\uff1a=\uff1d]\s*)*)"
    r"(?P<value>" + _VALUE + r")",
    re.IGNORECASE,
)

_PASSWORD_PATTERNS = (
    (("pass", "pw", "pin"), _PASSWORD_WORDS),
    (("密码", "密碼", "口令", "pin码"), _PASSWORD_WORDS_CHINESE),
)

# "pass", "pw", "pwd" and "pin" are also everyday words ("pass the test", the pwd command).
_WEAK_KEYWORDS = frozenset({"pass", "pw", "pwd", "pin"})

# (weak keyword, separator style) -> (shortest value, whether it must contain a non-letter)
_PASSWORD_RULES = {
    (False, _SYMBOLIC): (3, False),
    (False, _VERBAL): (4, False),
    (False, _BARE): (4, True),
    (True, _SYMBOLIC): (4, False),
    (True, _VERBAL): (4, True),
}

_KEY_ANCHORS = ("api", "secret", "token")
_KEY_NAMES = re.compile(
    r"(?<![A-Za-z0-9])(?P<name>api[ _-]?(?:key|token)|apikey"
    r"|secret(?:[ _-]?access)?(?:[ _-]?key)?|token)(?![A-Za-z0-9])"
    r"(?P<separator>[\"']?\s*(?::=|=>|[:=])\s*|\s+(?:is|was)\b\s*:?\s*|\s+)"
    r"[\"'`]?(?P<value>[^\s\"'`,;<>(){}\[\]]+)",
    re.IGNORECASE,
)


def _separator_style(separator: str) -> str:
    if any(mark in separator for mark in ":=\N{FULLWIDTH COLON}\N{FULLWIDTH EQUALS SIGN}是为為"):
        return _SYMBOLIC

    return _VERBAL if separator.strip() else _BARE


def _password_spans(text: str, lowered: str) -> Iterator[_Span]:
    for anchors, pattern in _PASSWORD_PATTERNS:
        for index in _anchor_positions(anchors, lowered):
            match = pattern.match(text, index)
            if match and (span := _password_value(match)):
                yield span


def _password_value(match: re.Match[str]) -> _Span | None:
    value = match["value"]
    quoted = len(value) > 2 and _QUOTE_PAIRS.get(value[0]) == value[-1]
    start, end = _value_bounds(match, quoted=quoted)
    secret = match.string[start:end]
    if _is_password(match["keyword"], match["separator"], secret, quoted=quoted):
        return _Span(start, end, PASSWORD)

    return None


def _value_bounds(match: re.Match[str], *, quoted: bool) -> tuple[int, int]:
    """Return the part of the value to mask.

    Quotes stay in the text as they were. A comma or semicolon after an unquoted value belongs
    to the sentence; other punctuation may well be part of the password and is masked with it.
    """
    start, end = match.span("value")
    if quoted:
        return start + 1, end - 1

    value = match["value"]
    return start, end - (len(value) - len(value.rstrip(",;")))


def _is_password(keyword: str, separator: str, value: str, *, quoted: bool) -> bool:
    # Quotes show the writer meant a value, as plainly as a colon does.
    style = _SYMBOLIC if quoted else _separator_style(separator)
    weak = not quoted and keyword.lower() in _WEAK_KEYWORDS
    core = value.strip(_EDGE_PUNCTUATION)
    if _reads_as_prose(core, style):
        return False

    if weak and style == _BARE:
        # "PIN 4821" is the one bare form common enough to trust.
        return keyword.lower() == "pin" and core.isdigit() and 4 <= len(core) <= 8

    shortest, needs_non_letter = _PASSWORD_RULES[(weak, style)]
    return len(core) >= shortest and (not needs_non_letter or not core.isalpha())


def _reads_as_prose(core: str, style: str) -> bool:
    if core.lower() in _ORDINARY_WORDS or core in _LABEL_WORDS or "://" in core:
        return True

    # After "password:" even a plain word is a value; elsewhere it is usually the sentence.
    return style != _SYMBOLIC and _PROSE_WORD.fullmatch(core) is not None


def _key_spans(text: str, lowered: str) -> Iterator[_Span]:
    for index in _anchor_positions(_KEY_ANCHORS, lowered):
        match = _KEY_NAMES.match(text, index)
        if match and _is_key(match["value"], _separator_style(match["separator"])):
            kind = TOKEN if "token" in match["name"].lower() else API_KEY
            yield _Span(*match.span("value"), kind)


def _is_key(value: str, style: str) -> bool:
    """Tell a key from a word or a placeholder such as ``YOUR_API_KEY``: keys carry digits."""
    if value.lower() in _ORDINARY_WORDS or "://" in value:
        return False

    has_digit = any(char.isdigit() for char in value)
    if style == _SYMBOLIC:
        return len(value) >= 6 and (has_digit or len(value) >= 16)

    return len(value) >= 12 and has_digit and any(char.isalpha() for char in value)


# Card numbers ---------------------------------------------------------------------------------

# Runs of digit groups joined by single spaces or dashes, holding at least 13 digits and not
# glued to ASCII words, to a leading "+" (a phone number) or to dots (versions, addresses,
# decimals). The first character is a digit so the search skips quickly to digits; the
# look-behind after it checks what came before that digit, and the look-ahead drops short
# numbers before they cost a match. Possessive quantifiers keep a run from shrinking to fit.
_DIGIT_RUN = re.compile(
    r"[0-9](?<![A-Za-z0-9_+.][0-9])(?=(?:[ -]?[0-9]){12})"
    r"[0-9]*+(?:[ -][0-9]++)*+(?![A-Za-z0-9_])(?!\.[0-9])"
)
_DIGIT_GROUP = re.compile(r"[0-9]+")
_CARD_SEPARATOR = re.compile(r"[ -]")

# Cards are written 4-4-4-4 (and shorter or longer in fours), 4-6-5 (Amex) or 4-6-4 (Diners);
# phone numbers and references group their digits otherwise.
_OTHER_CARD_GROUPINGS = frozenset({(4, 6, 5), (4, 6, 4)})


def _card_spans(text: str, _lowered: str) -> Iterator[_Span]:
    for run in _DIGIT_RUN.finditer(text):
        yield from _cards_in_run(text, run)


def _cards_in_run(text: str, run: re.Match[str]) -> Iterator[_Span]:
    """Yield the card numbers among a run's groups; a run may also hold an expiry or a CVV."""
    groups = [group.span() for group in _DIGIT_GROUP.finditer(text, run.start(), run.end())]
    first = 0
    while first < len(groups):
        last = _card_end(text, groups, first)
        if last is None:
            first += 1
            continue

        yield _Span(groups[first][0], groups[last][1], CARD_NUMBER)
        first = last + 1


def _card_end(text: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """Return the last group of the shortest card number starting at group ``first``, if any."""
    start = groups[first][0]

    # Every grouping of a card opens with four digits, and no card has more than five groups.
    widest = first + 5 if groups[first][1] - start == 4 else first + 1
    digit_count = 0
    for last in range(first, min(widest, len(groups))):
        digit_count += groups[last][1] - groups[last][0]
        if digit_count > 19:
            return None

        if digit_count >= 13 and _is_card_number(text[start : groups[last][1]]):
            return last

    return None


def _is_card_number(candidate: str) -> bool:
    # No issuer number starts with 0, and one digit repeated is a placeholder, not a card.
    groups = _CARD_SEPARATOR.split(candidate)
    digits = "".join(groups)
    return (
        13 <= len(digits) <= 19
        and digits[0] != "0"
        and len(set(digits)) > 1
        and len(set(candidate) - set(digits)) <= 1
        and _grouped_like_card(tuple(len(group) for group in groups))
        and _passes_luhn(digits)
    )


def _grouped_like_card(lengths: tuple[int, ...]) -> bool:
    if len(lengths) == 1 or lengths in _OTHER_CARD_GROUPINGS:
        return True

    return all(length == 4 for length in lengths[:-1]) and lengths[-1] <= 4


def _passes_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value

    return total % 10 == 0


# From the most certain finder to the least, so a specific shape wins over a guess.
_FINDERS: tuple[Callable[[str, str], Iterator[_Span]], ...] = (
    _private_key_spans,
    _shape_spans,
    _key_spans,
    _password_spans,
    _card_spans,
)
