"""Benchmark knowledge-base search latency on SQLite and PostgreSQL at realistic sizes.

Builds N synthetic articles from the real ones in kb/articles (seeded, so every run indexes
the same text), indexes them into a fresh throwaway database, then times searches for the
labelled queries of kb/eval/queries.jsonl through one long-lived session, as the bot does.

Usage (from the repository root):

    .venv/bin/python bench/kb_search.py
    .venv/bin/python bench/kb_search.py --articles 1000 10000 --backend sqlite
    .venv/bin/python bench/kb_search.py --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/kb_search.py --articles 10000 --backend sqlite --profile 200

stdout gets one JSON object per (backend, article count); stderr gets progress. The
PostgreSQL database (helpdesk_bench_<random>) is created on the server of --postgres-url
and always dropped, also on Ctrl-C; the SQLite file lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import print_machine  # noqa: E402
from bench.profiling import profiled  # noqa: E402
from bench.throwaway import POSTGRES_ADMIN_URL, database, require_loopback  # noqa: E402
from kb.articles import ARTICLES, Article, load  # noqa: E402
from kb.evaluate import read_queries  # noqa: E402
from kb.index import SYNONYMS, KnowledgeBase  # noqa: E402
from kb.query import Synonyms  # noqa: E402
from storage.database import unit_of_work  # noqa: E402

logger = logging.getLogger("bench.kb_search")

QUERIES = ROOT / "kb" / "eval" / "queries.jsonl"
SEED = 42
WARM_UP = 50
INDEX_LIMIT_SECONDS = 600
PROGRESS_EVERY = 1000
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

# Pieces of made-up product and site names, so synthetic articles differ in their words.
_NAME_HEADS = ("Nor", "Vel", "Quar", "Tri", "Zen", "Lum", "Kor", "Al", "Ber", "Cas", "Ori", "Sol")
_NAME_TAILS = ("vik", "ora", "tex", "lyn", "dex", "mont", "ium", "ara", "is", "ent", "ova")
_PRODUCT_KINDS = ("Connect", "Desk", "Cloud", "Suite", "Hub", "Sync", "Pro", "Go", "Mail")
_CITIES = ("Lisbon", "Osaka", "Leeds", "Dublin", "Austin", "Porto", "Krakow", "Nairobi", "Pune")
_SITE_KINDS = ("office", "warehouse", "branch", "plant", "studio", "lab", "headquarters")
_ZH_CITIES = ("上海", "深圳", "成都", "杭州", "北京", "苏州", "南京", "武汉")
_ZH_SITE_KINDS = ("办公室", "分公司", "仓库", "研发中心", "门店", "工厂")
_TITLES = ("{title} ({product})", "{title} at the {site}", "{product}: {title}", "{title}, {site}")
# Chinese titles use full-width punctuation, as the real Chinese articles do.
_ZH_TITLES = ("{title}（{product}）", "{site}：{title}", "{product}：{title}")  # noqa: RUF001
_INTRO = "This applies to {product} as used at the {site}."
_ZH_INTRO = "本文适用于{site}使用的 {product}。"


class IndexingTimeout(Exception):
    """Indexing took longer than the benchmark allows."""


@dataclass(frozen=True)
class RunResult:
    """One (backend, article count) measurement, as printed on stdout."""

    backend: str
    articles: int
    queries: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    index_seconds: float
    empty_results: int

    def to_json(self) -> str:
        fields = {"benchmark": "kb_search", **self.__dict__}
        return json.dumps(fields, ensure_ascii=False)


# --- synthetic articles -------------------------------------------------------------------


def synthesize(real: Sequence[Article], count: int) -> list[Article]:
    """Make `count` articles from the real ones; the same seed always gives the same text."""
    rng = random.Random(SEED)  # noqa: S311  (reproducible test data, not security)
    partners = _partners(real)
    return [_variant(real[index % len(real)], partners, rng, index + 1) for index in range(count)]


def _partners(real: Sequence[Article]) -> dict[tuple[str, str], list[Article]]:
    """Group articles by category and language: paragraphs only mix within a group."""
    groups: dict[tuple[str, str], list[Article]] = defaultdict(list)
    for article in real:
        groups[(article.category, article.language)].append(article)
    return groups


@dataclass(frozen=True)
class Setting:
    """Where a synthetic article applies: a made-up product and site, in its language."""

    product: str
    site: str
    zh: bool


def _variant(
    source: Article,
    partners: dict[tuple[str, str], list[Article]],
    rng: random.Random,
    number: int,
) -> Article:
    group = partners[(source.category, source.language)]
    partner = rng.choice([a for a in group if a.id != source.id] or group)
    zh = source.language == "zh"
    setting = Setting(_product_name(rng), _zh_site_name(rng) if zh else _site_name(rng), zh)
    article_id = f"synthetic-{number:05d}"
    return replace(
        source,
        id=article_id,
        title=_title(source.title, setting, rng)[:300],
        tags=_tags(source.tags, setting, rng),
        body=_body(source.body, partner.body, setting, rng),
        path=f"synthetic/{article_id}.md",
    )


def _product_name(rng: random.Random) -> str:
    name = rng.choice(_NAME_HEADS) + rng.choice(_NAME_TAILS)
    return f"{name} {rng.choice(_PRODUCT_KINDS)}" if rng.random() < 0.6 else name


def _site_name(rng: random.Random) -> str:
    site = f"{rng.choice(_CITIES)} {rng.choice(_SITE_KINDS)}"
    return f"{site}, building {rng.randint(1, 12)}" if rng.random() < 0.3 else site


def _zh_site_name(rng: random.Random) -> str:
    return rng.choice(_ZH_CITIES) + rng.choice(_ZH_SITE_KINDS)


def _title(title: str, setting: Setting, rng: random.Random) -> str:
    templates = _ZH_TITLES if setting.zh else _TITLES
    return rng.choice(templates).format(title=title, product=setting.product, site=setting.site)


def _tags(tags: Sequence[str], setting: Setting, rng: random.Random) -> tuple[str, ...]:
    keep = max(3, round(len(tags) * rng.uniform(0.7, 1.0)))
    chosen = rng.sample(list(tags), min(keep, len(tags)))
    city = setting.site.split(",", maxsplit=1)[0]
    return (*chosen, setting.product.lower(), city.lower())


def _body(body: str, other: str, setting: Setting, rng: random.Random) -> str:
    """The source's sections, maybe one loose paragraph less, with a sibling's mixed in.

    A paragraph is only dropped when it does not open a section, and borrowed paragraphs go
    at the end of a section, so every heading keeps its text.
    """
    paragraphs = body.split("\n\n")
    droppable = [
        i for i in range(1, len(paragraphs)) if not _heading(paragraphs[i - 1] + paragraphs[i])
    ]
    if droppable and rng.random() < 0.5:
        del paragraphs[rng.choice(droppable)]
    borrowed = [p for p in other.split("\n\n") if not _heading(p)]
    for paragraph in rng.sample(borrowed, min(len(borrowed), rng.randint(1, 2))):
        ends = [i for i in range(1, len(paragraphs)) if _heading(paragraphs[i])]
        paragraphs.insert(rng.choice([*ends, len(paragraphs)]), paragraph)
    template = _ZH_INTRO if setting.zh else _INTRO
    intro = template.format(product=setting.product, site=setting.site)
    return "\n\n".join([intro, *paragraphs])


def _heading(paragraph: str) -> bool:
    return paragraph.startswith("#")


# --- indexing and searching ---------------------------------------------------------------


def index(engine: Engine, articles: Sequence[Article], synonyms: Synonyms, limit: float) -> float:
    """Index the articles in one unit of work; return the seconds it took, commit included."""
    started = time.perf_counter()
    paced = _paced(articles, started + limit, started)
    with unit_of_work(engine, writing=True) as session:
        KnowledgeBase(session, synonyms).index(paced, NOW)
    return time.perf_counter() - started


def _paced(articles: Sequence[Article], deadline: float, started: float) -> Iterator[Article]:
    """Hand articles to the indexer, reporting progress and stopping at the deadline."""
    total = len(articles)
    for number, article in enumerate(articles):
        now = time.perf_counter()
        if now > deadline:
            raise IndexingTimeout(
                f"indexing passed the {deadline - started:.0f} s limit after {number} of "
                f"{total} articles; run with fewer --articles"
            )
        if number and number % PROGRESS_EVERY == 0:
            rate = number / (now - started)
            logger.info(
                "  indexed %d/%d (%.0f articles/s, about %.0f s left)",
                number,
                total,
                rate,
                (total - number) / rate,
            )
        yield article


def cycle(texts: Sequence[str], count: int, skip: int = 0) -> list[str]:
    """The query texts repeated in order until there are `count`, starting at `skip`."""
    return [texts[(skip + i) % len(texts)] for i in range(count)]


def search_once(session: Session, synonyms: Synonyms, query: str) -> tuple[int, bool]:
    """Time one search as the bot makes it; return nanoseconds and whether it found nothing."""
    started = time.perf_counter_ns()
    hits = KnowledgeBase(session, synonyms).search(query, limit=3, audience="agents")
    return time.perf_counter_ns() - started, not hits


def measure(session: Session, synonyms: Synonyms, texts: Sequence[str]) -> tuple[list[int], int]:
    """Time every search; return the durations in nanoseconds and how many found nothing."""
    durations: list[int] = []
    empty = 0
    step = max(1, len(texts) // 4)
    for number, query in enumerate(texts, 1):
        elapsed, nothing = search_once(session, synonyms, query)
        durations.append(elapsed)
        empty += nothing
        if number % step == 0 and number < len(texts):
            mean = sum(durations) / number / 1e9
            logger.info(
                "  searched %d/%d (mean %.1f ms, about %.0f s left)",
                number,
                len(texts),
                mean * 1000,
                mean * (len(texts) - number),
            )
    return durations, empty


def report_load() -> None:
    """Log the machine's load, which other processes add to every figure."""
    cores = os.cpu_count() or 1
    one, five, fifteen = os.getloadavg()
    logger.info("load average %.2f %.2f %.2f on %d cores", one, five, fifteen, cores)
    if one >= cores:
        logger.warning("the machine is busy: expect slower figures than on an idle machine")


def percentile(sorted_values: Sequence[int], share: float) -> int:
    """Nearest-rank percentile of sorted values (share 0.5 is the median)."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def profile(session: Session, synonyms: Synonyms, texts: Sequence[str]) -> None:
    """Profile the searches; write their call tree to stderr."""
    with profiled(f"{len(texts)} searches"):
        for query in texts:
            KnowledgeBase(session, synonyms).search(query, limit=3, audience="agents")


# --- one run and the whole job ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What the command line asked for."""

    backends: tuple[str, ...]
    counts: tuple[int, ...]
    queries: int
    postgres_url: str
    index_limit: float
    profile: int


def run(
    job: Job, backend: str, articles: Sequence[Article], synonyms: Synonyms, texts: list[str]
) -> RunResult:
    """Index the articles into a fresh database of the backend and time the searches."""
    label = f"{backend}, {len(articles)} articles"
    report_load()
    with database(backend, job.postgres_url) as engine:
        logger.info("%s: indexing", label)
        index_seconds = index(engine, articles, synonyms, job.index_limit)
        logger.info("%s: indexed in %.1f s", label, index_seconds)
        with Session(engine) as session:
            logger.info("%s: warming up with %d searches", label, WARM_UP)
            for query in cycle(texts, WARM_UP, skip=len(texts) // 2):
                search_once(session, synonyms, query)
            logger.info("%s: timing %d searches", label, job.queries)
            durations, empty = measure(session, synonyms, cycle(texts, job.queries))
            report_load()
            if job.profile:
                profile(session, synonyms, cycle(texts, job.profile))
    ordered = sorted(durations)
    return RunResult(
        backend=backend,
        articles=len(articles),
        queries=len(ordered),
        p50_ms=round(percentile(ordered, 0.50) / 1e6, 3),
        p99_ms=round(percentile(ordered, 0.99) / 1e6, 3),
        max_ms=round(ordered[-1] / 1e6, 3),
        index_seconds=round(index_seconds, 1),
        empty_results=empty,
    )


def run_all(job: Job) -> None:
    """Run every (backend, article count) pair, writing each result as soon as it is known."""
    real, problems = load(ARTICLES)
    for problem in problems:
        logger.warning("skipping article: %s", problem)
    synonyms = Synonyms.load(SYNONYMS)
    texts = [query.text for query in read_queries(QUERIES)]
    logger.info("%d real articles, %d query texts", len(real), len(texts))
    for backend in job.backends:
        for count in job.counts:
            logger.info("%s, %d articles: building synthetic articles", backend, count)
            result = run(job, backend, synthesize(real, count), synonyms, texts)
            sys.stdout.write(result.to_json() + "\n")
            sys.stdout.flush()


def parse_args(argv: Sequence[str] | None) -> Job:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--queries", type=int, default=2000, help="timed searches per run")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument(
        "--index-limit", type=float, default=INDEX_LIMIT_SECONDS, help="seconds (600)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N more searches"
    )
    args = parser.parse_args(argv)
    if min(args.articles) < 1 or args.queries < 1:
        parser.error("--articles and --queries must be positive")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Job(
        backends=backends,
        counts=tuple(args.articles),
        queries=args.queries,
        postgres_url=args.postgres_url,
        index_limit=args.index_limit,
        profile=args.profile,
    )


def _terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into an exception, so the throwaway database is still dropped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s kb_search: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("storage").setLevel(logging.WARNING)
    job = parse_args(argv)
    if "postgresql" in job.backends:
        require_loopback(job.postgres_url)
    signal.signal(signal.SIGTERM, _terminate)
    print_machine()
    try:
        run_all(job)
    except IndexingTimeout as error:
        logger.error("stopped: %s", error)
        return 2
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
