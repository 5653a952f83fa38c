"""Turns what a person typed into concepts: each a set of ways an article may say it."""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kb.text import CHINESE_STOPWORDS, STOPWORDS, bigrams, is_chinese, segment, stem, tokens

# Grammar particles: a pair of characters holding one says nothing about a topic.
PARTICLES = frozenset("的了吗呢吧啊么着过")
# A stretch of Chinese the lexicon does not know counts for half an idea.
UNKNOWN_WEIGHT = 0.5
# Words whose reading a vocabulary remembers before it starts afresh.
CORRECTIONS_KEPT = 10_000


@dataclass(frozen=True)
class Alternative:
    """One way of saying a concept: the full-text phrase, and the terms it needs."""

    phrase: str
    terms: frozenset[str]


@dataclass(frozen=True)
class Concept:
    """One idea of the query, and every way an article may express it."""

    text: str
    alternatives: tuple[Alternative, ...]
    weight: float = 1.0


@lru_cache(maxsize=8192)
def alternative(entry: str) -> Alternative:
    """Describe a word or phrase the way the index stores it."""
    entry = entry.lower().strip()
    if is_chinese(entry):
        pairs = bigrams(entry)
        return Alternative(" ".join(pairs), frozenset(pairs))
    words = list(tokens(entry))
    terms = frozenset(stem(word) for word in words if word not in STOPWORDS) or frozenset(
        stem(word) for word in words
    )
    return Alternative(" ".join(words), terms)


class Synonyms:
    """Groups of words that stand for each other, across English and Chinese."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        self.groups = [tuple(dict.fromkeys(str(e).lower().strip() for e in g)) for g in groups]
        self._by_key: dict[str, int] = {}
        for index, group in enumerate(self.groups):
            for entry in group:
                self._by_key.setdefault(_key(entry), index)
        self.lexicon = {e for group in self.groups for e in group if is_chinese(e)}
        self.phrases = sorted(
            (e for group in self.groups for e in group if " " in e and not is_chinese(e)),
            key=len,
            reverse=True,
        )

    @classmethod
    def load(cls, path: Path) -> Synonyms:
        """Read kb/synonyms.yaml; a missing file means no synonyms."""
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(data.get("groups", []))

    def group_of(self, entry: str) -> tuple[str, ...]:
        index = self._by_key.get(_key(entry))
        return self.groups[index] if index is not None else (entry,)

    def concepts(
        self,
        text: str,
        vocabulary: Collection[str] = (),
        corrections: dict[str, str] | None = None,
    ) -> list[Concept]:
        """Split a query into concepts, widening each with its synonyms.

        Words that no article uses and that are one edit from a word that one does are read
        as that word, so "outlok" finds Outlook. `corrections`, kept by the caller for as long
        as `vocabulary` stays the same, remembers how each word was read.
        """
        lowered = text.lower()
        concepts: list[Concept] = []
        # A plain substring test first: most phrases are not in the text at all.
        for phrase in (phrase for phrase in self.phrases if phrase in lowered):
            if re.search(rf"\b{re.escape(phrase)}\b", lowered):
                concepts.append(self._concept(phrase))
                lowered = re.sub(rf"\b{re.escape(phrase)}\b", " ", lowered)
        for token in tokens(lowered):
            if is_chinese(token):
                concepts.extend(self._chinese(token))
            elif token not in STOPWORDS and len(token) > 1:
                concepts.append(self._concept(_corrected(token, vocabulary, corrections)))
        return _unique(concepts)

    def _concept(self, entry: str) -> Concept:
        group = self.group_of(entry)
        return Concept(entry, tuple(dict.fromkeys(alternative(e) for e in (entry, *group))))

    def _chinese(self, run: str) -> list[Concept]:
        concepts = []
        for piece, known in segment(run, self.lexicon):
            if known:
                concepts.append(self._concept(piece))
                continue
            pairs = [
                pair
                for pair in bigrams(piece)
                if len(pair) == 2 and pair not in CHINESE_STOPWORDS and not set(pair) & PARTICLES
            ]
            if pairs and piece not in CHINESE_STOPWORDS:
                alternatives = tuple(Alternative(p, frozenset({p})) for p in pairs)
                concepts.append(Concept(piece, alternatives, UNKNOWN_WEIGHT))
        return concepts


def _key(entry: str) -> str:
    entry = entry.lower().strip()
    if is_chinese(entry):
        return entry
    return " ".join(stem(word) for word in tokens(entry))


def _unique(concepts: list[Concept]) -> list[Concept]:
    seen: set[tuple[Alternative, ...]] = set()
    unique = []
    for concept in concepts:
        if concept.alternatives not in seen:
            seen.add(concept.alternatives)
            unique.append(concept)
    return unique


def _corrected(word: str, vocabulary: Collection[str], corrections: dict[str, str] | None) -> str:
    if corrections is None:
        return _correct(word, vocabulary)
    known = corrections.get(word)
    if known is None:
        if len(corrections) >= CORRECTIONS_KEPT:
            corrections.clear()
        known = corrections[word] = _correct(word, vocabulary)
    return known


def _correct(word: str, vocabulary: Collection[str]) -> str:
    """Return the word, or the known word one edit away when the word itself is unknown."""
    if not vocabulary or stem(word) in vocabulary or word.isdigit() or len(word) < 4:
        return word
    for candidate in _edits(word):
        if stem(candidate) in vocabulary:
            return candidate
    return word


def _edits(word: str) -> list[str]:
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return deletes + swaps + inserts + replaces
