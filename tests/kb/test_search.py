"""The knowledge base on every backend: indexing, search, Chinese, typos, thresholds, triage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb import query
from kb.articles import ARTICLES, Article, load, parse, render
from kb.evaluate import evaluate, read_queries
from kb.index import LOOKED_UP, RECHECK_SECONDS, Idea, KbSettings, KnowledgeBase, _essential, _held
from kb.query import Synonyms
from kb.text import bigrams, index_text, segment
from kb.triage import TriageSettings, suggest
from storage.database import unit_of_work

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
SYNONYMS = Synonyms.load(Path(__file__).parent.parent.parent / "kb" / "synonyms.yaml")
QUERIES = Path(__file__).parent.parent.parent / "kb" / "eval" / "queries.jsonl"


@pytest.fixture
def indexed(engine: Engine) -> Engine:
    articles, problems = load(ARTICLES)
    assert problems == []
    with unit_of_work(engine) as session:
        KnowledgeBase(session, SYNONYMS).index(articles, NOW)
    return engine


def _search(engine: Engine, query: str, **options: object) -> list[str]:
    with Session(engine) as session:
        hits = KnowledgeBase(session, SYNONYMS).search(query, **options)  # type: ignore[arg-type]
    return [hit.id for hit in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("my vpn keeps dropping", "vpn-connection-drops"),
        ("outlok not syncing my mail", "outlook-not-syncing"),
        ("pasword expired", "password-expired"),
        ("vpn老是掉线", "zh-vpn-connection-drops"),
        ("在家怎么打印", "zh-printing-at-home"),
        ("no sound in zoom", "meeting-no-audio"),
        ("i clicked a link in a weird email", "report-phishing"),
    ],
)
def test_people_find_the_article_that_answers_them(
    indexed: Engine, query: str, expected: str
) -> None:
    assert _search(indexed, query)[0] == expected


@pytest.mark.parametrize("query", ["i need a new chair", "can you reset the coffee machine", ""])
def test_nothing_good_enough_means_an_empty_list(indexed: Engine, query: str) -> None:
    assert _search(indexed, query) == []


def test_employees_never_see_agents_articles(indexed: Engine) -> None:
    query = "how do i collect the vpn client logs for an escalation"

    assert "agent-vpn-log-collection" not in _search(indexed, query, limit=10)
    assert _search(indexed, query, audience="agents")[0] == "agent-vpn-log-collection"


def test_reindexing_is_incremental(engine: Engine, tmp_path: Path) -> None:
    articles, _ = load(ARTICLES)
    with unit_of_work(engine) as session:
        first = KnowledgeBase(session, SYNONYMS).index(articles, NOW)
    changed = Article(**{**articles[0].__dict__, "body": articles[0].body + "\nOne more step."})
    with unit_of_work(engine) as session:
        second = KnowledgeBase(session, SYNONYMS).index([changed, *articles[1:-1]], NOW)

    assert (len(first.added), first.unchanged) == (len(articles), 0)
    assert (second.added, second.updated) == ([], [articles[0].id])
    assert second.unchanged == len(articles) - 2
    assert second.removed == [articles[-1].id]
    assert _search(engine, articles[-1].title, limit=10).count(articles[-1].id) == 0


def test_a_changed_article_replaces_its_old_text(engine: Engine) -> None:
    articles, _ = load(ARTICLES)
    first = articles[0]
    with unit_of_work(engine) as session:
        KnowledgeBase(session, SYNONYMS).index(articles, NOW)
    for title in ("Quokka bridge pairing", "Wombat tunnel pairing"):
        changed = Article(**{**first.__dict__, "title": title})
        with unit_of_work(engine) as session:
            KnowledgeBase(session, SYNONYMS).index([changed, *articles[1:]], NOW)

    assert _search(engine, "wombat tunnel", limit=10) == [first.id]
    assert _search(engine, "quokka bridge", limit=10) == []


def test_a_large_index_still_finds_the_article_with_every_rare_word(engine: Engine) -> None:
    articles, _ = load(ARTICLES)
    # Indexed first, so that a lookup stopping at a few matches in index order meets them
    # before the one article that holds every word of the query.
    decoys = [
        Article(
            f"decoy-{n}",
            f"VPN roster {n}",
            "network",
            (),
            "en",
            "employees",
            "2026-12-01",
            "Which VPN gateway serves which region.",
            "",
        )
        for n in range(40)
    ]
    settings = KbSettings(candidates=5)
    with unit_of_work(engine) as session:
        KnowledgeBase(session, SYNONYMS, settings).index([*decoys, *articles], NOW)

    with Session(engine) as session:
        found = KnowledgeBase(session, SYNONYMS, settings).search("my vpn keeps dropping")

    assert found[0].id == "vpn-connection-drops"


def test_an_essential_idea_is_one_the_others_cannot_do_without() -> None:
    ideas = [Idea(("vpn",), 3.0), Idea(("drop",), 2.0), Idea(("home",), 1.0)]

    assert _essential(ideas, needed=3.0) == ideas[:2]
    assert _essential(ideas, needed=0.5) == ideas
    assert _essential(ideas, needed=7.0) == []


def test_a_row_holds_the_same_terms_for_short_and_long_queries() -> None:
    joined = "account expir lock password reset vpn"
    short = frozenset({"password", "vpn", "print", "pass"})
    long = short | {f"term{n}" for n in range(LOOKED_UP)}

    assert _held(short, joined) == frozenset({"password", "vpn"})
    assert _held(long, joined) == frozenset({"password", "vpn"})


def test_a_typo_is_read_from_memory_the_second_time(monkeypatch: pytest.MonkeyPatch) -> None:
    vocabulary = {"outlook", "sync", "mail"}
    corrections: dict[str, str] = {}
    first = SYNONYMS.concepts("outlok sync", vocabulary, corrections)

    def no_second_reading(word: str, known: object) -> str:
        raise AssertionError(f"'{word}' was read again")

    monkeypatch.setattr(query, "_correct", no_second_reading)
    again = SYNONYMS.concepts("outlok sync", vocabulary, corrections)

    assert corrections == {"outlok": "outlook", "sync": "sync"}
    assert [concept.text for concept in again] == [concept.text for concept in first]
    assert first[0].text == "outlook"


def test_remembered_readings_start_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query, "CORRECTIONS_KEPT", 2)
    corrections: dict[str, str] = {}

    SYNONYMS.concepts("printer scanner", {"printer"}, corrections)
    SYNONYMS.concepts("monitor", {"printer"}, corrections)

    assert corrections == {"monitor": "monitor"}


def test_a_running_process_sees_another_process_index_within_seconds(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles, _ = load(ARTICLES)
    with unit_of_work(engine) as session:
        KnowledgeBase(session, SYNONYMS).index(articles[1:], NOW)
    clock = [1000.0]
    monkeypatch.setattr("kb.index.time.monotonic", lambda: clock[0])
    assert _search(engine, articles[0].title) != [articles[0].id]
    with unit_of_work(engine) as session:
        added = Article(**{**articles[0].__dict__})
        KnowledgeBase(session, SYNONYMS).index([added], NOW + timedelta(minutes=1), prune=False)
    monkeypatch.setattr("kb.index._VOCABULARY", {})
    with Session(engine) as session:
        KnowledgeBase(session, SYNONYMS)._vocabulary()
    clock[0] += RECHECK_SECONDS + 1

    assert _search(engine, articles[0].title)[0] == articles[0].id


def test_the_labelled_set_is_findable(indexed: Engine) -> None:
    with Session(indexed) as session:
        figures, predictions = evaluate(
            read_queries(QUERIES), KnowledgeBase(session, SYNONYMS), TriageSettings()
        )

    assert len(predictions) == figures.queries == 126
    assert figures.hit_at_1 >= 0.85
    assert figures.hit_at_3 >= 0.88
    assert figures.no_answer_recall >= 0.6
    assert figures.triage_accuracy >= 0.7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my vpn keeps dropping", "network"),
        ("outlook wont sync my mail", "application"),
        ("locked out after too many password attempts", "access"),
        ("打印机连不上", "hardware"),
    ],
)
def test_triage_suggests_a_category(indexed: Engine, text: str, expected: str) -> None:
    with Session(indexed) as session:
        suggestion = suggest(text, TriageSettings(), KnowledgeBase(session, SYNONYMS))

    assert suggestion.category == expected
    assert 0 < suggestion.confidence <= 1


def test_triage_is_unsure_of_nonsense(indexed: Engine) -> None:
    with Session(indexed) as session:
        suggestion = suggest(
            "lorem ipsum dolor", TriageSettings(), KnowledgeBase(session, SYNONYMS)
        )

    assert (suggestion.category, suggestion.confidence) == (None, 0.0)


def test_chinese_is_split_into_known_words_and_bigrams() -> None:
    assert bigrams("打印机") == ["打印", "印机"]
    assert index_text("VPN 老是掉线") == "vpn 老是 是掉 掉线"
    assert segment("密码过期了登不上", ["密码", "过期", "登不上"]) == [
        ("密码", True),
        ("过期", True),
        ("了", False),
        ("登不上", True),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter", "no front matter"),
        ("---\nid: x\n---\nbody", "front matter lacks title, category, language, audience"),
        (
            "---\nid: x\ntitle: X\ncategory: plumbing\nlanguage: en\naudience: employees\n---\n",
            "category 'plumbing'",
        ),
        ("---\nid: [unclosed\n---\n", "not valid YAML"),
    ],
)
def test_bad_articles_are_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse(Path("broken.md"), text)


def test_an_article_survives_being_written_back() -> None:
    article = load(ARTICLES)[0][0]

    assert parse(Path(article.path), render(article)) == article


def test_settings_reject_a_score_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        KbSettings(min_score=3)
