"""The knowledge base in the database: incremental indexing, search with a confidence score."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
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


class KbSettings(BaseModel):
    """How confident search must be before it offers an article, and how many it weighs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Where the articles and the synonyms file are.
    articles: Path = ARTICLES
    synonyms: Path = SYNONYMS
    # Articles scoring below this (0 to 1: the share of the query's ideas an article covers,
    # title and tags counting more than the body) are not offered at all.
    min_score: float = Field(default=0.5, ge=0, le=1)
    # How many full-text matches are scored for each query.
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
        _VOCABULARY.clear()
        return report

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
            article.id, index_text(article.title), index_text(tags), index_text(article.body)
        )

    def _store_text(self, article_id: str, title: str, tags: str, body: str) -> None:
        values = {"id": article_id, "title": title, "tags": tags, "body": body}
        if self.sqlite:
            self.session.execute(
                text("DELETE FROM kb_fts WHERE article_id = :id"), {"id": article_id}
            )
            self.session.execute(
                text(
                    "INSERT INTO kb_fts (article_id, title, tags, body) "
                    "VALUES (:id, :title, :tags, :body)"
                ),
                values,
            )
            return
        self.session.execute(
            text(
                "UPDATE kb_article SET document = "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :tags), 'B') || "
                "setweight(to_tsvector('english', :body), 'C') WHERE id = :id"
            ),
            values,
        )

    def _remove(self, article_id: str) -> None:
        if self.sqlite:
            self.session.execute(
                text("DELETE FROM kb_fts WHERE article_id = :id"), {"id": article_id}
            )
        row = self.session.get(KbArticle, article_id)
        if row is not None:
            self.session.delete(row)

    def count(self) -> int:
        return self.session.exec(select(func.count()).select_from(KbArticle)).one()

    def get(self, article_id: str) -> KbArticle | None:
        return self.session.get(KbArticle, article_id)

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
        concepts = self.synonyms.concepts(query, vocabulary.frequency)
        if not concepts:
            return []
        candidates = self._candidates(concepts)
        if not candidates:
            return []
        rows = self.session.exec(select(KbArticle).where(col(KbArticle.id).in_(candidates))).all()
        chinese = is_chinese(query)
        weights = vocabulary.weights(concepts)
        hits = [
            _hit(row, concepts, weights, chinese)
            for row in rows
            if audience == "agents" or row.audience == "employees"
        ]
        order = {article_id: rank for rank, article_id in enumerate(candidates)}
        hits.sort(key=lambda hit: (-hit.score, order[hit.id]))
        floor = self.settings.min_score if min_score is None else min_score
        return [hit for hit in hits if hit.score >= floor][:limit]

    def _candidates(self, concepts: Sequence[Concept]) -> list[str]:
        phrases = list(
            dict.fromkeys(a.phrase for c in concepts for a in c.alternatives if a.phrase)
        )
        limit = self.settings.candidates
        if self.sqlite:
            match = " OR ".join(f'"{phrase}"' for phrase in phrases)
            statement = text(
                "SELECT article_id FROM kb_fts WHERE kb_fts MATCH :match "
                "ORDER BY bm25(kb_fts, 0.0, 4.0, 3.0, 1.0) LIMIT :limit"
            )
            return list(
                self.session.execute(statement, {"match": match, "limit": limit}).scalars()
            )
        tsquery = " | ".join("(" + " <-> ".join(phrase.split()) + ")" for phrase in phrases)
        statement = text(
            "SELECT id FROM kb_article, to_tsquery('english', :query) AS query "
            "WHERE document @@ query ORDER BY ts_rank_cd(document, query) DESC, id LIMIT :limit"
        )
        return list(self.session.execute(statement, {"query": tsquery, "limit": limit}).scalars())

    def _vocabulary(self) -> Vocabulary:
        key = (str(self.session.get_bind().engine.url), self.count())
        vocabulary = _VOCABULARY.get(key)
        if vocabulary is None:
            lines = self.session.exec(select(KbArticle.terms)).all()
            vocabulary = Vocabulary(
                Counter(t for line in lines for t in set(line.split())), len(lines)
            )
            _VOCABULARY.clear()
            _VOCABULARY[key] = vocabulary
        return vocabulary

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
        self.session.flush()


@dataclass(frozen=True)
class Vocabulary:
    """How many articles use each term: rare terms say more about a query than common ones."""

    frequency: Counter[str]
    articles: int

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


# Each index's vocabulary, for typo correction and weights; rebuilt when the index changes.
_VOCABULARY: dict[tuple[str, int], Vocabulary] = {}


def _hit(row: KbArticle, concepts: Sequence[Concept], weights: list[float], chinese: bool) -> Hit:
    title_terms = set(row.title_terms.split())
    terms = set(row.terms.split())
    total = sum(weights)
    covered = sum(
        weight * _coverage(concept, title_terms, terms)
        for concept, weight in zip(concepts, weights, strict=True)
    )
    score = covered / total if total else 0.0
    if chinese != (row.language == "zh"):
        score *= 1 - LANGUAGE_PENALTY
    return Hit(row.id, row.title, round(score, 3), row.category, row.language)


def _coverage(concept: Concept, title_terms: set[str], terms: set[str]) -> float:
    best = 0.0
    for alternative in concept.alternatives:
        if alternative.terms and alternative.terms <= title_terms:
            return TITLE_HIT
        if alternative.terms and alternative.terms <= terms:
            best = BODY_HIT
    return best
