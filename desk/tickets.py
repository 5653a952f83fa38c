"""Opening tickets, moving them through their lifecycle, and what requesters may see."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from desk.clock import Clock
from desk.errors import AccessDenied, InvalidInput, TicketNotFound
from desk.lifecycle import target_of
from desk.policy import DeskPolicy
from desk.vocabulary import OPEN_STATUSES, Action, Impact, Move, Status, Urgency
from storage.models import Person, Ticket, TicketEvent
from storage.stores import PersonStore, TicketStore

logger = logging.getLogger(__name__)

TITLE_LENGTH = 80
# Sentences end with Western or full-width Chinese punctuation, or a line break.
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s*|\n")
_NUMBER = re.compile(r"^#?\s*(?:([A-Za-z][A-Za-z0-9]*?)\s*-?\s*)?(\d{1,9})$")


@dataclass(frozen=True)
class TicketDraft:
    """Everything the intake collected, ready to become a ticket."""

    symptom: str
    impact: Impact
    urgency: Urgency
    since_text: str = ""
    since_at: datetime | None = None
    device: str = ""
    tried: str = ""
    category: str | None = None
    masked: tuple[str, ...] = ()


def make_title(symptom: str) -> str:
    """Return a one-line title: the symptom's first sentence, capitalised and shortened."""
    first = _SENTENCE_END.split(symptom.strip(), maxsplit=1)[0].strip()
    first = first or symptom.strip()
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1].rstrip() + "…"
    return first[:1].upper() + first[1:]


class TicketDesk:
    """The ticket operations a conversation may ask for, with their rules."""

    def __init__(self, session: Session, policy: DeskPolicy, clock: Clock) -> None:
        self.store = TicketStore(session)
        self.people = PersonStore(session)
        self.policy = policy
        self.clock = clock

    def open_ticket(self, requester: Person, draft: TicketDraft) -> Ticket:
        """Create a ticket from a draft and record its creation in the history."""
        now = self.clock.now()
        priority = self.policy.priority_for(draft.impact, draft.urgency)
        ticket = Ticket(
            requester_id=_id(requester),
            title=make_title(draft.symptom),
            symptom=draft.symptom,
            since_text=draft.since_text,
            since_at=draft.since_at,
            device=draft.device,
            tried=draft.tried,
            category=draft.category,
            impact=draft.impact,
            urgency=draft.urgency,
            priority=priority,
            status=Status.NEW,
            created_at=now,
            updated_at=now,
        )
        self.store.add(ticket, self.policy.ticket_prefix)

        created = {"status": Status.NEW.value, "priority": priority.value, "title": ticket.title}
        self._record(ticket, requester, Action.CREATED, after=created)
        if draft.masked:
            self._record(ticket, requester, Action.MASKED, after={"kinds": list(draft.masked)})
        logger.info("Ticket opened ticket=%s priority=%s", ticket.number, priority)
        return ticket

    def list_open(self, person: Person) -> Sequence[Ticket]:
        """Return the person's own tickets that are not closed or cancelled, newest first."""
        return self.store.list_for_requester(_id(person), OPEN_STATUSES)

    def get_own(self, person: Person, reference: str) -> Ticket:
        """Return one of the person's own tickets by its number, in any spelling.

        Raises:
            InvalidInput: the reference is not a ticket number.
            TicketNotFound: no ticket has that number.
            AccessDenied: the ticket belongs to someone else.
        """
        number = self.normalise_number(reference)
        ticket = self.store.get_by_number(number)
        if ticket is None:
            raise TicketNotFound(f"There is no ticket {number}.")
        if ticket.requester_id != person.id:
            raise AccessDenied(f"{number} is not one of your tickets, so I can't show it.")
        return ticket

    def normalise_number(self, reference: str) -> str:
        """Turn 'hd12', '#12', 'HD 12' or '12' into 'HD-12'."""
        match = _NUMBER.match(reference.strip())
        prefix = self.policy.ticket_prefix
        if match is None or (match.group(1) and match.group(1).upper() != prefix):
            raise InvalidInput(f"'{reference}' is not a ticket number like {prefix}-12.")
        return f"{prefix}-{int(match.group(2))}"

    def add_comment(
        self, person: Person, ticket: Ticket, text: str, masked: tuple[str, ...] = ()
    ) -> TicketEvent:
        """Add a requester's comment to their ticket's history."""
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidInput(f"{ticket.number} is {ticket.status}; it takes no more comments.")
        if masked:
            self._record(ticket, person, Action.MASKED, after={"kinds": list(masked)})
        event = self._record(ticket, person, Action.COMMENT, note=text)
        ticket.updated_at = event.at
        logger.info("Comment added ticket=%s", ticket.number)
        return event

    def move(self, ticket: Ticket, move: Move, actor: Person | None, reason: str = "") -> Ticket:
        """Move a ticket to its next state, or raise IllegalTransition."""
        before = Status(ticket.status)
        after = target_of(ticket.number, before, move)
        now = self.clock.now()
        ticket.status = after
        ticket.updated_at = now
        if after is Status.RESOLVED:
            ticket.resolved_at = now
        if after is Status.CLOSED:
            ticket.closed_at = now
        self._record(
            ticket,
            actor,
            Action.STATUS,
            field="status",
            before=before.value,
            after=after.value,
            note=reason or None,
        )
        logger.info("Ticket moved ticket=%s move=%s status=%s", ticket.number, move, after)
        return ticket

    def history(
        self, ticket: Ticket, *, public_only: bool, limit: int | None = None
    ) -> Sequence[TicketEvent]:
        """Return a ticket's history, oldest first."""
        return self.store.list_events(_id(ticket), public_only=public_only, limit=limit)

    def names_of(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        """Return the names of the given people, by id; unknown ids are left out."""
        wanted = {person_id for person_id in person_ids if person_id is not None}
        return {person.id: person.name for person in self.people.list_by_ids(wanted) if person.id}

    def _record(
        self,
        ticket: Ticket,
        actor: Person | None,
        action: Action,
        *,
        field: str | None = None,
        before: Any = None,
        after: Any = None,
        note: str | None = None,
        public: bool = True,
    ) -> TicketEvent:
        event = TicketEvent(
            ticket_id=_id(ticket),
            actor_id=actor.id if actor else None,
            action=action,
            field=field,
            before=before,
            after=after,
            note=note,
            public=public,
            at=self.clock.now(),
        )
        return self.store.add_event(event)


def _id(row: Person | Ticket) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been saved yet")
    return row.id
