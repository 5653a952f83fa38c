"""The knowledge base in the database: incremental indexing, search with a confidence score."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, bindparam, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, func, select

from kb.articles import ARTICLES, Article
from kb.query import Concept, Synonyms
from kb.text import index_text, is_chinese, term_set
from storage.models import KbArticle, KbRating

logger = logging.getLogger(__name__)

SYNONYMS = Path(__file__).parent / "synonyms.yaml"
TITLE_HIT = 1.0
BODY_HIT = 0.6
# A word no article uses counts against a match as much as this share of the rarest word.
UNKNOWN_SHARE = 0.5
# An article in another language than the query's still counts, a little less.
LANGUAGE_PENALTY = 0.1
# What scoring reads of an article.
SCORED = ("id", "title", "category", "language", "audience", "title_terms", "terms")
# Built once: constructing the statement cost as much as running it.
_SCORED_ROWS = select_columns(*(col(getattr(KbArticle, name)) for name in SCORED)).where(
    col(KbArticle.id).in_(bindparam("ids", expanding=True))
)
# How often, at most, a search asks whether the index changed since its vocabulary was built.
RECHECK_SECONDS = 10.0
# Titles whose terms are kept between searches, for breaking ties.
TITLES_CACHED = 4096
# Up to this many query terms, scoring looks each up in an article's terms.
LOOKED_UP = 24


class KbSettings(BaseModel):
    """How confident search must be before it offers an article, and how many it weighs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Where the articles and the synonyms file are.
    articles: Path = ARTICLES
    synonyms: Path = SYNONYMS
    # Articles scoring below this (0 to 1: the share of the query's ideas an article covers,
    # title and tags counting more than the body) are not offered at all.
    min_score: float = Field(default=0.5, ge=0, le=1)
    # How many full-text matches each of a search's two lookups returns for scoring.
    candidates: int = Field(default=20, ge=1, le=200)
    # At most this many articles are offered during intake.
    offer: int = Field(default=3, ge=1, le=10)


@dataclass(frozen=True)
class Hit:
    """An article found for a query, with how well it covers the query (0 to 1)."""

    id: str
    title: str
    score: float
    category: str
    language: str


@dataclass
class IndexReport:
    """What an indexing run changed, and the files it could not read."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class KnowledgeBase:
    """Indexes articles into the database's own full-text search and searches them."""

    def __init__(
        self, session: Session, synonyms: Synonyms, settings: KbSettings | None = None
    ) -> None:
        self.session = session
        self.synonyms = synonyms
        self.settings = settings or KbSettings()
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def index(
        self, articles: Iterable[Article], now: datetime, *, prune: bool = True
    ) -> IndexReport:
        """Add new and changed articles; with prune, drop those whose files are gone."""
        report = IndexReport()
        current = {row.id: row.digest for row in self.session.exec(select(KbArticle)).all()}
        wanted = set()
        for article in articles:
            wanted.add(article.id)
            if current.get(article.id) == article.digest:
                report.unchanged += 1
                continue
            (report.updated if article.id in current else report.added).append(article.id)
            self._store(article, now)
        if prune:
            for article_id in sorted(set(current) - wanted):
                self._remove(article_id)
                report.removed.append(article_id)
        if report.added or report.updated or report.removed:
            self._tidy()
        _VOCABULARY.clear()
        return report

    def _tidy(self) -> None:
        """Leave the full-text index in the shape that later searches read fastest."""
        if self.sqlite:
            # Merging the index's segments into one makes every later search read less.
            for table in ("kb_fts", "kb_heading_fts"):
                self.session.execute(
                    text(f"INSERT INTO {table} ({table}) VALUES ('optimize')")  # noqa: S608
                )
            return
        # New entries wait in a GIN index's pending list, which every search scans in full
        # until they are merged; fresh statistics let the planner choose the index.
        self.session.execute(
            text(
                "SELECT gin_clean_pending_list('ix_kb_article_document'), "
                "gin_clean_pending_list('ix_kb_article_heading')"
            )
        )
        self.session.execute(text("ANALYZE kb_article"))

    def _store(self, article: Article, now: datetime) -> None:
        tags = " ".join(article.tags)
        row = self.session.get(KbArticle, article.id) or KbArticle(
            id=article.id,
            title=article.title,
            category=article.category,
            digest="",
            indexed_at=now,
        )
        row.title = article.title
        row.category = article.category
        row.tags = list(article.tags)
        row.language = article.language
        row.audience = article.audience
        row.last_reviewed = article.last_reviewed
        row.body = article.body
        row.path = article.path
        row.digest = article.digest
        row.title_terms = " ".join(sorted(term_set(f"{article.title} {tags}")))
        row.terms = " ".join(sorted(term_set(f"{article.title} {tags} {article.body}")))
        row.indexed_at = now
        self.session.add(row)
        self.session.flush()
        self._store_text(
            row, index_text(article.title), index_text(tags), index_text(article.body)
        )

    def _store_text(self, row: KbArticle, title: str, tags: str, body: str) -> None:
        values = {"id": row.id, "title": title, "tags": tags, "body": body}
        if self.sqlite:
            self._delete_text(row)
            # The session's own connection answers with the new row's number.
            result = self.session.connection().execute(
                text(
                    "INSERT INTO kb_fts (article_id, title, tags, body) "
                    "VALUES (:id, :title, :tags, :body)"
                ),
                values,
            )
            row.text_rowid = result.lastrowid
            self.session.execute(
                text(
                    "INSERT INTO kb_heading_fts (rowid, article_id, title, tags) "
                    "VALUES (:rowid, :id, :title, :tags)"
                ),
                {**values, "rowid": row.text_rowid},
            )
            return
        self.session.execute(
            text(
                "UPDATE kb_article SET document = "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :tags), 'B') || "
                "setweight(to_tsvector('english', :body), 'C'), "
                "heading = to_tsvector('english', :title) || to_tsvector('english', :tags) "
                "WHERE id = :id"
            ),
            values,
        )

    def _remove(self, article_id: str) -> None:
        row = self.session.get(KbArticle, article_id)
        if row is None:
            return
        if self.sqlite:
            self._delete_text(row)
        self.session.delete(row)

    def _delete_text(self, row: KbArticle) -> None:
        if row.text_rowid is None:
            return
        # The table names are this module's constants, never anyone's input.
        for table in ("kb_fts", "kb_heading_fts"):
            self.session.execute(
                text(f"DELETE FROM {table} WHERE rowid = :rowid"),  # noqa: S608
                {"rowid": row.text_rowid},
            )

    def count(self) -> int:
        return self.session.exec(select(func.count()).select_from(KbArticle)).one()

    def get(self, article_id: str) -> KbArticle | None:
        return self.session.get(KbArticle, article_id)

    def list_by_ids(self, article_ids: Sequence[str]) -> list[KbArticle]:
        """The articles of these ids that exist, in the order asked, in one query."""
        statement = select(KbArticle).where(col(KbArticle.id).in_(article_ids))
        found = {row.id: row for row in self.session.exec(statement).all()}
        return [found[article_id] for article_id in article_ids if article_id in found]

    def search(
        self,
        query: str,
        *,
        limit: int = 3,
        audience: str = "employees",
        min_score: float | None = None,
    ) -> list[Hit]:
        """Return the best articles for a query, best first; none when none is good enough."""
        vocabulary = self._vocabulary()
        concepts = self.synonyms.concepts(query, vocabulary.frequency, vocabulary.corrections)
        weights = vocabulary.weights(concepts)
        floor = self.settings.min_score if min_score is None else min_score
        ideas = vocabulary.ideas(concepts, weights)
        if not ideas or sum(idea.weight for idea in ideas) < floor * sum(weights):
            return []
        candidates = self._candidates(ideas, floor * sum(weights))
        chinese = is_chinese(query)
        asked = frozenset(t for c in concepts for a in c.alternatives for t in a.terms)
        order = {article_id: rank for rank, article_id in enumerate(candidates)}
        ranked = sorted(
            (
                (-hit.score, -_in_title(row.title, concepts, weights, asked), order[row.id], hit)
                for row in self._rows(candidates)
                if audience == "agents" or row.audience == "employees"
                if (hit := _hit(row, concepts, weights, chinese, asked)).score >= floor
            ),
            key=lambda entry: entry[:3],
        )
        return [entry[-1] for entry in ranked[:limit]]

    def _candidates(self, ideas: list[Idea], needed: float) -> list[str]:
        """Articles worth scoring, from up to three lookups that each stop at `candidates`.

        Only essential ideas are looked up: an idea is essential when, without it, the others
        cannot reach the score floor, so an article holding none of them is never offered.
        First come the articles whose title or tags hold every essential idea, as scoring
        favours them; then those holding every essential idea anywhere, then those holding
        any. The lookups do not rank their matches (scoring does): ranking in the index costs
        time in proportion to the matches, and common words match most of a large knowledge
        base.
        """
        limit = self.settings.candidates
        essential = _essential(ideas, needed)
        if not essential:
            return []
        found = self._headings(essential, limit)
        for every in (True, False):
            if len(found) >= limit:
                break
            found = list(dict.fromkeys([*found, *self._texts(essential, every, limit)]))
        return found

    def _headings(self, ideas: list[Idea], limit: int) -> list[str]:
        if self.sqlite:
            statement = text(
                "SELECT article_id FROM kb_heading_fts WHERE kb_heading_fts MATCH :match LIMIT :n"
            )
            parameters = {"match": _fts_query(ideas, every=True)}
        else:
            statement = text(
                "SELECT id FROM kb_article WHERE heading @@ to_tsquery('english', :query) LIMIT :n"
            )
            parameters = {"query": _ts_query(ideas, every=True)}
        return list(self.session.execute(statement, {**parameters, "n": limit}).scalars())

    def _texts(self, ideas: list[Idea], every: bool, limit: int) -> list[str]:
        if self.sqlite:
            statement = text("SELECT article_id FROM kb_fts WHERE kb_fts MATCH :match LIMIT :n")
            parameters = {"match": _fts_query(ideas, every=every)}
        else:
            statement = text(
                "SELECT id FROM kb_article WHERE document @@ to_tsquery('english', :query) "
                "LIMIT :n"
            )
            parameters = {"query": _ts_query(ideas, every=every)}
        return list(self.session.execute(statement, {**parameters, "n": limit}).scalars())

    def _rows(self, article_ids: list[str]) -> Sequence[Row[Any]]:
        """Load what scoring needs of each article; not the body, which can be long."""
        if not article_ids:
            return []
        return self.session.execute(_SCORED_ROWS, {"ids": article_ids}).all()

    def _vocabulary(self) -> Vocabulary:
        """The index's vocabulary, rebuilt when articles were indexed since it was built.

        Whether the index changed is asked of the database at most every few seconds, so
        another process's `kb index` reaches a running bot within that time.
        """
        url = str(self.session.get_bind().engine.url)
        cached = _VOCABULARY.get(url)
        now = time.monotonic()
        if cached is not None and now - cached.checked < RECHECK_SECONDS:
            return cached.vocabulary
        version = self._version()
        if cached is None or cached.version != version:
            cached = _Cached(self._build_vocabulary(), version, now)
        _VOCABULARY[url] = _Cached(cached.vocabulary, version, now)
        return cached.vocabulary

    def _version(self) -> tuple[int, str]:
        count, newest = self.session.exec(
            select(func.count(), func.max(KbArticle.indexed_at)).select_from(KbArticle)
        ).one()
        return int(count), str(newest)

    def _build_vocabulary(self) -> Vocabulary:
        lines = self.session.exec(select(KbArticle.terms)).all()
        return Vocabulary(Counter(t for line in lines for t in set(line.split())), len(lines))

    def rate(
        self,
        article_id: str,
        person_id: int,
        helped: bool,
        now: datetime,
        ticket_id: int | None = None,
    ) -> None:
        """Store an employee's verdict on an article."""
        self.session.add(
            KbRating(
                article_id=article_id,
                person_id=person_id,
                ticket_id=ticket_id,
                helped=helped,
                at=now,
            )
        )


@dataclass(frozen=True)
class Vocabulary:
    """How many articles use each term: rare terms say more about a query than common ones."""

    frequency: Counter[str]
    articles: int
    # Typed words already read as a known word, or as themselves; kept while the index is.
    corrections: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def weights(self, concepts: Sequence[Concept]) -> list[float]:
        """Weigh each concept by its rarest known term; words no article uses weigh against."""
        unknown = UNKNOWN_SHARE * math.log(1 + self.articles)
        weights = []
        for concept in concepts:
            known = [
                math.log(1 + self.articles / self.frequency[term])
                for alternative in concept.alternatives
                for term in alternative.terms
                if term in self.frequency
            ]
            weights.append(concept.weight * (max(known) if known else unknown))
        return weights

    def ideas(self, concepts: Sequence[Concept], weights: list[float]) -> list[Idea]:
        """The concepts some article can match, heaviest first, with only their known phrases."""
        ideas = []
        for concept, weight in zip(concepts, weights, strict=True):
            phrases = tuple(
                dict.fromkeys(
                    alternative.phrase
                    for alternative in concept.alternatives
                    if alternative.phrase and alternative.terms <= self.frequency.keys()
                )
            )
            if phrases:
                ideas.append(Idea(phrases, weight))
        return sorted(ideas, key=lambda idea: -idea.weight)


@dataclass(frozen=True)
class Idea:
    """A concept of the query as the full-text index is asked for it: any of its phrases."""

    phrases: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class _Cached:
    vocabulary: Vocabulary
    version: tuple[int, str]
    checked: float


# Each database's vocabulary, for typo correction and weights, by database URL.
_VOCABULARY: dict[str, _Cached] = {}


def _fts_query(ideas: list[Idea], *, every: bool) -> str:
    """An FTS5 query: each idea any of its phrases, and every idea or any of them."""
    groups = ("(" + " OR ".join(f'"{phrase}"' for phrase in idea.phrases) + ")" for idea in ideas)
    return (" AND " if every else " OR ").join(groups)


def _ts_query(ideas: list[Idea], *, every: bool) -> str:
    """The same question as a PostgreSQL tsquery, words of a phrase next to each other."""
    groups = (
        "(" + " | ".join("(" + " <-> ".join(phrase.split()) + ")" for phrase in idea.phrases) + ")"
        for idea in ideas
    )
    return (" & " if every else " | ").join(groups)


def _essential(ideas: list[Idea], needed: float) -> list[Idea]:
    """The heaviest ideas without which an article cannot cover the weight it needs."""
    rest = sum(idea.weight for idea in ideas)
    essential = []
    for idea in ideas:
        if rest < needed:
            break
        essential.append(idea)
        rest -= idea.weight
    return essential


def _hit(
    row: Row[Any],
    concepts: Sequence[Concept],
    weights: list[float],
    chinese: bool,
    asked: frozenset[str],
) -> Hit:
    title_terms = _held(asked, row.title_terms)
    terms = _held(asked, row.terms)
    total = sum(weights)
    covered = sum(
        weight * _coverage(concept, title_terms, terms)
        for concept, weight in zip(concepts, weights, strict=True)
    )
    score = covered / total if total else 0.0
    if chinese != (row.language == "zh"):
        score *= 1 - LANGUAGE_PENALTY
    return Hit(row.id, row.title, round(score, 3), row.category, row.language)


def _in_title(
    title: str, concepts: Sequence[Concept], weights: list[float], asked: frozenset[str]
) -> float:
    """How much of the query the title itself says; of equal scores, the clearer title wins.

    Scoring reads the title and tags together, so an article that only lists a word among
    its tags would otherwise tie with one whose title is about exactly that.
    """
    words = asked.intersection(_title_terms(title))
    return sum(
        weight
        for concept, weight in zip(concepts, weights, strict=True)
        if any(a.terms and a.terms <= words for a in concept.alternatives)
    )


def _held(asked: frozenset[str], joined: str) -> frozenset[str]:
    """The asked terms that a row's space-joined terms hold.

    Only the query's terms matter: looking a few up in the joined text is three times cheaper
    than splitting an article's hundreds of terms, while for a long query splitting wins.
    """
    if len(asked) > LOOKED_UP:
        return asked.intersection(joined.split())
    padded = f" {joined} "
    return frozenset(term for term in asked if f" {term} " in padded)


@lru_cache(maxsize=TITLES_CACHED)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(term_set(title))


def _coverage(concept: Concept, title_terms: frozenset[str], terms: frozenset[str]) -> float:
    best = 0.0
    for alternative in concept.alternatives:
        if alternative.terms and alternative.terms <= title_terms:
            return TITLE_HIT
        if alternative.terms and alternative.terms <= terms:
            best = BODY_HIT
    return best
