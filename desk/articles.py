"""Turning resolved tickets into knowledge-base articles: a draft, then a lead's publication."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlmodel import Session

from desk.errors import AccessDenied, InvalidInput
from desk.vocabulary import Role, Status
from desk.work import Workbench
from kb.articles import Article, render
from kb.triage import suggest
from storage.models import KbDraft, Person

logger = logging.getLogger(__name__)

_SLUG = re.compile(r"[^a-z0-9]+")


class Drafts:
    """Drafts from tickets, published by leads into kb/articles and the index."""

    def __init__(self, session: Session, bench: Workbench) -> None:
        self.session = session
        self.bench = bench
        self.desk = bench.desk

    def draft(self, person: Person, reference: str) -> KbDraft:
        """Write a draft article from a resolved or closed ticket: symptom, cause, steps."""
        ticket = self.bench.get(person, reference)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED) or not ticket.resolution:
            raise InvalidInput(f"{ticket.number} has no resolution yet; resolve it first.")
        slug = _SLUG.sub("-", ticket.title.lower()).strip("-")[:60] or "article"
        draft_id = f"{slug}-{ticket.number.lower()}"
        existing = self.session.get(KbDraft, draft_id)
        if existing is not None:
            return existing
        kb = self.desk.knowledge()
        category = ticket.category or suggest(ticket.symptom, self.desk.rules.triage, kb).category
        draft = KbDraft(
            id=draft_id,
            ticket_id=ticket.id or 0,
            author_id=person.id or 0,
            title=ticket.title,
            category=category or "application",
            tags=[tag for tag in (ticket.device.lower(), category) if tag],
            body=_body(ticket.symptom, ticket.tried, ticket.resolution),
            created_at=self.desk.clock.now(),
        )
        self.session.add(draft)
        self.session.flush()
        logger.info("Article drafted draft=%s ticket=%s", draft_id, ticket.number)
        return draft

    def publish(self, person: Person, draft_id: str, folder: Path) -> Article:
        """Write the draft into the articles folder and index it; leads and admins only."""
        if not {Role.LEAD, Role.ADMIN} & set(person.roles):
            raise AccessDenied("Only leads and admins publish articles.")
        draft = self.session.get(KbDraft, draft_id.strip())
        if draft is None:
            raise InvalidInput(f"There is no draft '{draft_id}'.")
        if draft.published_at is not None:
            raise InvalidInput(f"Draft '{draft.id}' is already published.")
        now = self.desk.clock.now()
        article = Article(
            id=draft.id,
            title=draft.title,
            category=draft.category,
            tags=tuple(draft.tags),
            language=draft.language,
            audience="employees",
            last_reviewed=now.date().isoformat(),
            body=draft.body,
            path=str(folder / f"{draft.id}.md"),
        )
        Path(article.path).write_text(render(article), encoding="utf-8")
        self.desk.knowledge().index([article], now, prune=False)
        draft.published_at = now
        draft.published_by = person.id
        logger.info("Article published article=%s", draft.id)
        return article


def _body(symptom: str, tried: str, resolution: str) -> str:
    tried_line = f"\nAlready tried without success: {tried}.\n" if tried else ""
    return (
        f"## What this looks like\n\n{symptom}\n{tried_line}\n"
        f"## Cause\n\nTo be described by the reviewing lead.\n\n"
        f"## What fixed it\n\n{resolution}\n\n"
        f"## When to contact IT\n\nIf this does not help, tell the helpdesk what you tried.\n"
    )
