"""How search reads text: English words stemmed, Chinese split into known words and bigrams."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_STEMMER = snowballstemmer.stemmer("english")

# Words that carry no topic; they never make an article look relevant.
_STOPWORDS = """
a about after again all also already am an and any anymore anyone are as at be been before
being but by can cannot cant can't could did didnt didn't do does doesnt doesn't doing don dont
don't every for from get gets getting got had has have having he hello help her here hey hi how
i i'm if im in into is isnt isn't issue issues it it's its ive i've just keep keeps me morning
my myself need needs no not now of on once only or our out over please problem problems so some
somebody someone something still stuff than thank thanks that the their them then there these
they thing things this those to today too tried try trying up us very was we were what when
where which while who why will with wont won't work working would yes yesterday you your
"""
STOPWORDS = frozenset(_STOPWORDS.split())
_CHINESE_STOPWORDS = """
的 了 吗 呢 吧 啊 我 你 他 她 我的 我们 怎么 怎么办 为什么 老是 一直 总是 还是 没有 不能 不了 可以
一下 请问 帮忙 帮我 谢谢 今天 昨天 现在 问题 这个 那个 什么 如何 是
"""
CHINESE_STOPWORDS = frozenset(_CHINESE_STOPWORDS.split())


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the English stem of a lower-case word ("dropping" -> "drop")."""
    return str(_STEMMER.stemWord(word))


def bigrams(run: str) -> list[str]:
    """Split a run of Chinese characters into overlapping pairs; one character stays itself."""
    if len(run) < 2:
        return [run]
    return [run[index : index + 2] for index in range(len(run) - 1)]


def tokens(text: str) -> Iterator[str]:
    """Yield lower-case words and Chinese runs, in order."""
    yield from _TOKEN.findall(text.lower())


def index_text(text: str) -> str:
    """Rewrite text for a full-text index: Chinese runs become space-separated bigrams."""
    return _TOKEN.sub(lambda match: _index_token(match.group(0)), text.lower())


def _index_token(token: str) -> str:
    return " ".join(bigrams(token)) if is_chinese(token) else token


def term_set(text: str) -> set[str]:
    """Every term an article offers to a query: English stems and Chinese bigrams."""
    terms: set[str] = set()
    for token in tokens(text):
        if is_chinese(token):
            terms.update(bigrams(token))
        elif token not in STOPWORDS:
            terms.add(stem(token))
    return terms


def segment(run: str, lexicon: Iterable[str]) -> list[tuple[str, bool]]:
    """Split a Chinese run greedily into known words; unknown stretches are kept together.

    Returns (piece, known) pairs, so a caller can treat a known word as one idea and an
    unknown stretch as a looser one.
    """
    words = set(lexicon)
    longest = max((len(word) for word in words), default=1)
    pieces: list[tuple[str, bool]] = []
    unknown = ""
    index = 0
    while index < len(run):
        match = next(
            (
                run[index : index + size]
                for size in range(min(longest, len(run) - index), 1, -1)
                if run[index : index + size] in words
            ),
            None,
        )
        if match is None:
            unknown += run[index]
            index += 1
            continue
        if unknown:
            pieces.append((unknown, False))
            unknown = ""
        pieces.append((match, True))
        index += len(match)
    if unknown:
        pieces.append((unknown, False))
    return pieces
