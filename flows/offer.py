"""Self-service during intake: offer the closest articles before a ticket is opened."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from desk.tickets import AGENT_ARTICLES, articles_for_agents
from flows.conversation import Outcome, State, Turn, say
from flows.messages import Button, Reply
from kb.index import Hit, KnowledgeBase
from kb.triage import suggest

OFFER = "offer"
NONE = "none"
EXCERPT = 180
# Where the intake keeps the articles for agents, found with the triage, for the new ticket.
AGENT_ARTICLES_KEY = "agent_articles"
AGENTS = "agents"
# Triage weighs the five closest articles scoring 0.25 or more; one search that wide answers
# it and the agents' suggestions both.
TRIAGE_HITS = 5
TRIAGE_FLOOR = 0.25
_READ = re.compile(r"^(?:read|open|show|看|查看)\s*(\d)$")
_NONE_WORDS = frozenset(
    {"no", "nope", "ticket", "open a ticket", "没有", "都不是", "没用", "不行"}
)
_HEADING = re.compile(r"^#+\s.*$", re.MULTILINE)


def maybe_offer(state: State, turn: Turn) -> Outcome | None:
    """Once the symptom is known, offer articles good enough to try, and pre-select a category."""
    symptom = state.data.get("symptom")
    if not symptom or "offered" in state.data:
        return None
    kb = turn.desk.knowledge()
    limit = turn.desk.rules.kb.offer
    hits = kb.search(symptom, limit=limit * 2, audience="employees")
    # People read their own language first; other languages only when nothing else fits.
    own = [hit for hit in hits if hit.language == turn.person.language]
    hits = (own or hits)[:limit]
    state.data["offered"] = [hit.id for hit in hits]
    _triage(state, turn, kb, symptom)
    if not hits:
        return None
    state.step = OFFER
    return Outcome(state, [offer_reply(state, turn)])


def _triage(state: State, turn: Turn, kb: KnowledgeBase, symptom: str) -> None:
    """Pre-select a category, and keep the articles for agents for when the ticket opens."""
    floor = min(TRIAGE_FLOOR, kb.settings.min_score)
    found = RememberedSearch(kb, symptom, limit=max(TRIAGE_HITS, AGENT_ARTICLES), floor=floor)
    state.data.setdefault("category", suggest(symptom, turn.desk.rules.triage, found).category)
    articles = articles_for_agents(found, symptom)
    state.data[AGENT_ARTICLES_KEY] = [[article["id"], article["title"]] for article in articles]


class RememberedSearch(KnowledgeBase):
    """The knowledge base, answering searches for agents from one search made up front.

    A search for the same words with no larger limit and no lower floor is answered with the
    first of those hits that score enough, as search ranks best first. The knowledge base
    scores a capped number of candidates, so in a very large one the answer may differ a little
    from that of a search of its own; other searches are made.
    """

    def __init__(self, kb: KnowledgeBase, query: str, *, limit: int, floor: float) -> None:
        super().__init__(kb.session, kb.synonyms, kb.settings)
        self.query = query
        self.limit = limit
        self.floor = floor
        self.hits = kb.search(query, limit=limit, audience=AGENTS, min_score=floor)

    def search(
        self,
        query: str,
        *,
        limit: int = 3,
        audience: str = "employees",
        min_score: float | None = None,
    ) -> list[Hit]:
        """Return the best articles for a query, best first; none when none is good enough."""
        floor = self.settings.min_score if min_score is None else min_score
        narrower = limit <= self.limit and floor >= self.floor
        if not narrower or (query, audience) != (self.query, AGENTS):
            return super().search(query, limit=limit, audience=audience, min_score=min_score)
        return [hit for hit in self.hits if hit.score >= floor][:limit]


def offer_reply(state: State, turn: Turn) -> Reply:
    kb = turn.desk.knowledge()
    articles = []
    for row in kb.list_by_ids(state.data["offered"]):
        excerpt = _excerpt(row.body, EXCERPT // 2 if row.language == "zh" else EXCERPT)
        articles.append({"id": row.id, "title": row.title, "excerpt": excerpt})
    buttons = (
        *(
            Button(OFFER, article["id"], "kb.fixed", {"n": index})
            for index, article in enumerate(articles, 1)
        ),
        Button(OFFER, NONE, "kb.none"),
    )
    return Reply(template="kb/offer", context={"articles": articles}, buttons=buttons)


def step(state: State, turn: Turn, carry_on: Callable[[State, Turn], Outcome]) -> Outcome:
    """Take "this fixed it", "none of these" or "read 2"; carry on with the intake otherwise."""
    offered: list[str] = state.data["offered"]
    choices = [*offered, NONE]
    message = turn.message
    choice = message.value if message.action == OFFER else message.text.strip().lower()
    if choice and choice.isdigit() and 1 <= int(choice) <= len(choices):
        choice = choices[int(choice) - 1]
    read = _READ.match(message.text.strip().lower()) if not message.action else None
    if read and 1 <= int(read.group(1)) <= len(offered):
        return Outcome(
            state, [_article(turn, offered[int(read.group(1)) - 1]), offer_reply(state, turn)]
        )
    if choice in offered:
        return _fixed(turn, choice)
    if choice == NONE or (choice or "") in _NONE_WORDS or (choice or "").startswith("none"):
        _rate_all(turn, offered, helped=False)
        return carry_on(state, turn)
    return Outcome(state, [say("intake/choose"), offer_reply(state, turn)])


def _fixed(turn: Turn, article_id: str) -> Outcome:
    """Record a self-service resolution: the article helped and no ticket was needed."""
    kb = turn.desk.knowledge()
    kb.rate(article_id, turn.person.id or 0, True, turn.now)
    row = kb.get(article_id)
    return Outcome(None, [say("kb/glad", title=row.title if row else article_id)])


def _rate_all(turn: Turn, article_ids: list[str], *, helped: bool) -> None:
    kb = turn.desk.knowledge()
    for article_id in article_ids:
        kb.rate(article_id, turn.person.id or 0, helped, turn.now)


def _article(turn: Turn, article_id: str) -> Reply:
    row = turn.desk.knowledge().get(article_id)
    context: dict[str, Any] = {
        "title": row.title if row else article_id,
        "body": row.body if row else "",
    }
    return say("kb/article", **context)


def _excerpt(body: str, length: int) -> str:
    text = " ".join(_HEADING.sub("", body).split())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut) + "…"
