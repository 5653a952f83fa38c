"""Measures how findable a knowledge base is against a labelled set of queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from desk.errors import InvalidInput
from kb.index import KnowledgeBase
from kb.triage import TriageSettings, suggest


@dataclass(frozen=True)
class LabelledQuery:
    """A query as people type it, the articles that answer it, and its category."""

    id: str
    text: str
    articles: tuple[str, ...]
    category: str | None


@dataclass(frozen=True)
class Prediction:
    """What search and triage made of one query."""

    id: str
    articles: list[str]
    category: str | None


@dataclass(frozen=True)
class Figures:
    """Findability: hits and reciprocal rank over answerable queries, 'no answer' and triage."""

    queries: int
    answerable: int
    hit_at_1: float
    hit_at_3: float
    mrr: float
    unanswerable: int
    no_answer_precision: float
    no_answer_recall: float
    triage_accuracy: float


def read_queries(path: Path) -> list[LabelledQuery]:
    """Read a JSONL file of labelled queries, or raise InvalidInput naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InvalidInput(f"Cannot read {path}: {error.strerror}") from None
    queries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            queries.append(
                LabelledQuery(
                    str(item["id"]),
                    str(item["text"]),
                    tuple(item.get("articles") or ()),
                    item.get("category"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InvalidInput(f"{path}, line {number}: not a labelled query ({error})") from None
    return queries


def evaluate(
    queries: list[LabelledQuery], kb: KnowledgeBase, triage: TriageSettings
) -> tuple[Figures, list[Prediction]]:
    """Search and triage every query; return the figures and each prediction."""
    predictions = []
    for query in queries:
        hits = kb.search(query.text, limit=3, audience="agents")
        category = suggest(query.text, triage, kb).category
        predictions.append(Prediction(query.id, [hit.id for hit in hits], category))
    return _figures(queries, predictions), predictions


def _figures(queries: list[LabelledQuery], predictions: list[Prediction]) -> Figures:
    pairs = list(zip(queries, predictions, strict=True))
    answerable = [(q, p) for q, p in pairs if q.articles]
    unanswerable = [(q, p) for q, p in pairs if not q.articles]
    said_none = [(q, p) for q, p in pairs if not p.articles]
    labelled = [(q, p) for q, p in pairs if q.category]
    return Figures(
        queries=len(pairs),
        answerable=len(answerable),
        hit_at_1=_share(
            answerable, lambda q, p: p.articles[:1] != [] and p.articles[0] in q.articles
        ),
        hit_at_3=_share(answerable, lambda q, p: bool(set(p.articles[:3]) & set(q.articles))),
        mrr=_mean([_reciprocal_rank(q, p) for q, p in answerable]),
        unanswerable=len(unanswerable),
        no_answer_precision=_share(said_none, lambda q, p: not q.articles),
        no_answer_recall=_share(unanswerable, lambda q, p: not p.articles),
        triage_accuracy=_share(labelled, lambda q, p: p.category == q.category),
    )


def _share(
    pairs: list[tuple[LabelledQuery, Prediction]],
    test: Callable[[LabelledQuery, Prediction], bool],
) -> float:
    if not pairs:
        return 0.0
    return round(sum(1 for q, p in pairs if test(q, p)) / len(pairs), 3)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


def _reciprocal_rank(query: LabelledQuery, prediction: Prediction) -> float:
    for rank, article in enumerate(prediction.articles, 1):
        if article in query.articles:
            return 1 / rank
    return 0.0


def write_predictions(path: Path, predictions: list[Prediction]) -> None:
    lines = [json.dumps(asdict(p), ensure_ascii=False) for p in predictions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
