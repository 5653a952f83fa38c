"""Self-service in the intake, suggestions to agents, and articles drafted from tickets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import Config
from bot.service import Helpdesk
from desk.clock import FixedClock
from desk.teams import Routing, RoutingRule
from desk.tickets import articles_for_agents
from kb.articles import ARTICLES, load
from kb.index import Hit, KbSettings, KnowledgeBase
from storage.database import unit_of_work
from storage.models import KbDraft, KbRating, OutboxMessage, Ticket
from tests.scenarios.transcript import chat

ALEX, MEI, SAM, PRIYA = (
    "alex@example.com",
    "mei@example.com",
    "sam@example.com",
    "priya@example.com",
)


@pytest.fixture
def desk(helpdesk: Helpdesk, config: Config, clock: FixedClock, tmp_path: Path) -> Helpdesk:
    """The demo helpdesk with the shipped articles indexed; publishing writes to a temp folder."""
    articles, _ = load(ARTICLES)
    with unit_of_work(helpdesk.engine) as session:
        KnowledgeBase(session, helpdesk.rules.synonyms).index(articles, clock.now())
    settings = KbSettings(articles=tmp_path)
    return Helpdesk(
        helpdesk.engine, config.model_copy(update={"kb": settings}), clock, helpdesk.renderer
    )


def _tickets(helpdesk: Helpdesk) -> list[Ticket]:
    with Session(helpdesk.engine) as session:
        return list(session.exec(select(Ticket)).all())


def _ratings(helpdesk: Helpdesk) -> list[tuple[str, bool, int | None]]:
    with Session(helpdesk.engine) as session:
        return [
            (r.article_id, r.helped, r.ticket_id) for r in session.exec(select(KbRating)).all()
        ]


def test_an_article_that_fixes_it_ends_the_conversation_without_a_ticket(desk: Helpdesk) -> None:
    transcript = chat(desk, ALEX, "my vpn keeps dropping since this morning, rebooted", "1")

    assert "These articles may solve it right away:\n  1. VPN keeps disconnecting\n" in transcript
    assert "  [1] Number 1 fixed it\n" in transcript
    assert transcript.endswith(
        'Glad "VPN keeps disconnecting" sorted it out! No ticket needed. '
        "Write to me any time something else comes up.\n\n"
    )
    assert _tickets(desk) == []
    assert _ratings(desk) == [("vpn-connection-drops", True, None)]


def test_otherwise_the_ticket_records_what_was_offered(desk: Helpdesk) -> None:
    transcript = chat(
        desk, ALEX, "my vpn keeps dropping since this morning, rebooted", "read 1", "none of these"
    )
    chat(desk, ALEX, "1", "3", "1")

    assert "## What you can try" in transcript
    [ticket] = _tickets(desk)
    assert ticket.offered_articles[0] == "vpn-connection-drops"
    assert ticket.category == "network"
    assert {helped for _, helped, _ in _ratings(desk)} == {False}


def test_chinese_speakers_are_offered_chinese_articles(desk: Helpdesk) -> None:
    # Full-width commas, as Chinese is typed.
    transcript = chat(desk, MEI, "vpn老是掉线\uff0c从昨天开始\uff0c已经重启过")

    assert "1. VPN 频繁断开" in transcript


def test_agents_see_suggested_articles_and_can_search(desk: Helpdesk) -> None:
    chat(desk, ALEX, "my vpn keeps dropping since this morning, rebooted", "none", "1", "3", "1")

    sam = chat(desk, SAM, "kb search collect vpn client logs", "kb search")

    assert "Articles that may help: VPN keeps disconnecting (vpn-connection-drops)" in sam
    assert "agent-vpn-log-collection  Collecting VPN client logs for an escalation" in sam
    assert sam.endswith(
        "Something is missing. Usage: kb search QUERY | kb draft HD-1 | kb publish DRAFT\n\n"
    )


def _queued_articles(helpdesk: Helpdesk) -> list[dict[str, str]]:
    with Session(helpdesk.engine) as session:
        statement = select(OutboxMessage).where(OutboxMessage.template == "notify/queued")
        payloads = [row.payload for row in session.exec(statement).all()]
    return [article for payload in payloads for article in payload["context"]["articles"]]


def _articles_for(helpdesk: Helpdesk, symptom: str) -> list[dict[str, str]]:
    rules = helpdesk.rules
    with Session(helpdesk.engine) as session:
        return articles_for_agents(KnowledgeBase(session, rules.synonyms, rules.kb), symptom)


def test_one_intake_searches_twice_and_agents_get_what_it_found(
    desk: Helpdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[tuple[str, str]] = []
    search = KnowledgeBase.search

    def counted(kb: KnowledgeBase, query: str, **options: object) -> list[Hit]:
        queries.append((query, str(options.get("audience"))))
        return search(kb, query, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(KnowledgeBase, "search", counted)
    chat(desk, ALEX, "my vpn keeps dropping since this morning, rebooted", "none", "1", "3", "1")
    monkeypatch.undo()

    symptom = "my vpn keeps dropping"
    assert queries == [(symptom, "employees"), (symptom, "agents")]
    expected = _articles_for(desk, symptom)
    assert expected != []
    assert _queued_articles(desk) == expected * 2


def test_an_edited_symptom_gets_articles_for_its_new_words(desk: Helpdesk) -> None:
    chat(
        desk,
        ALEX,
        "my vpn keeps dropping since this morning, rebooted",
        "none",
        "1",
        "3",
        "edit",
        "symptom",
        "outlook keeps asking for my password",
        "yes",
    )

    expected = _articles_for(desk, "outlook keeps asking for my password")
    assert expected != _articles_for(desk, "my vpn keeps dropping")
    assert _queued_articles(desk) == expected * 2


def test_a_resolved_ticket_becomes_an_article_a_lead_publishes(
    desk: Helpdesk, tmp_path: Path
) -> None:
    chat(
        desk,
        ALEX,
        "teams crashes when i share my screen since today, tried reinstalling",
        "none",
        "1",
        "2",
        "1",
    )
    too_early = chat(desk, SAM, "claim HD-1", "kb draft HD-1")
    sam = chat(
        desk,
        SAM,
        "resolve HD-1 Turned off hardware acceleration",
        "kb draft HD-1",
        "kb publish teams-crashes-when-i-share-my-screen-hd-1",
    )
    priya = chat(
        desk,
        PRIYA,
        "kb publish teams-crashes-when-i-share-my-screen-hd-1",
        "kb search teams crashes when sharing",
    )

    assert "HD-1 has no resolution yet; resolve it first." in too_early
    assert "Draft teams-crashes-when-i-share-my-screen-hd-1 (application)" in sam
    assert sam.endswith("Only leads and admins publish articles.\n\n")
    assert "Published teams-crashes-when-i-share-my-screen-hd-1" in priya
    assert (
        "teams-crashes-when-i-share-my-screen-hd-1  Teams crashes when i share my screen" in priya
    )
    written = (tmp_path / "teams-crashes-when-i-share-my-screen-hd-1.md").read_text(
        encoding="utf-8"
    )
    assert "Turned off hardware acceleration" in written
    with Session(desk.engine) as session:
        [draft] = session.exec(select(KbDraft)).all()
    assert draft.published_at is not None


def test_routing_uses_the_suggested_category(
    desk: Helpdesk, config: Config, clock: FixedClock
) -> None:
    rules = (RoutingRule(group="security", category="security"),)
    routed = Helpdesk(
        desk.engine,
        desk.config.model_copy(update={"routing": Routing(rules=rules)}),
        clock,
        desk.renderer,
    )

    chat(
        routed,
        ALEX,
        "i got a phishing email and clicked the link this morning, tried nothing",
        "none",
        "1",
        "3",
        "1",
    )

    [ticket] = _tickets(routed)
    assert (ticket.category, ticket.group_name) == ("security", "security")


def test_the_person_can_change_the_suggested_category(desk: Helpdesk) -> None:
    transcript = chat(
        desk,
        ALEX,
        "teams crashes when i share my screen since today, tried reinstalling",
        "none",
        "1",
        "2",
        "edit",
        "category",
        "hardware",
        "1",
    )

    assert "  Category: hardware\n" in transcript
    [ticket] = _tickets(desk)
    assert ticket.category == "hardware"


def test_routing_by_category_sends_tickets_to_the_specialists(
    desk: Helpdesk, clock: FixedClock
) -> None:
    routing = Routing(by_category=True)
    routed = Helpdesk(
        desk.engine, desk.config.model_copy(update={"routing": routing}), clock, desk.renderer
    )

    chat(routed, ALEX, "my vpn keeps dropping since this morning, rebooted", "none", "1", "3", "1")

    [ticket] = _tickets(routed)
    assert (ticket.category, ticket.group_name) == ("network", "network")
