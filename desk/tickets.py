"""Opening tickets, moving them through their lifecycle, and what requesters may see."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypedDict, Unpack

from sqlmodel import Session

from desk.clock import Clock
from desk.errors import AccessDenied, InvalidInput, TicketNotFound
from desk.lifecycle import target_of
from desk.notify import Notifier
from desk.rules import Rules
from desk.teams import Assignment, Teams
from desk.timers import Timers
from desk.vocabulary import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Action,
    Impact,
    Move,
    Priority,
    Role,
    Status,
    Urgency,
)
from kb.index import KnowledgeBase
from storage.bulk import TicketWrites
from storage.models import Person, Ticket, TicketEvent, TicketView
from storage.stores import PersonStore, SurveyStore, TicketStore

logger = logging.getLogger(__name__)

TITLE_LENGTH = 80
# How many articles the notices about a new ticket suggest to agents.
AGENT_ARTICLES = 3
# Sentences end with Western or full-width Chinese punctuation, or a line break.
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s*|\n")
_NUMBER = re.compile(r"^#?\s*(?:([A-Za-z][A-Za-z0-9]*?)\s*-?\s*)?(\d{1,9})$")


class Recorded(NamedTuple):
    """A history row as just written: its id, for the keys of the notices about it, and when."""

    id: int
    at: datetime


class HistoryDetails(TypedDict, total=False):
    """What a history row says besides its ticket, actor and action; all may be left out."""

    field: str | None
    before: Any
    after: Any
    note: str | None
    public: bool


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
    offered: tuple[str, ...] = ()
    # The articles for agents, as (id, title), when the intake already searched for them.
    articles: tuple[tuple[str, str], ...] | None = None


def make_title(symptom: str) -> str:
    """Return a one-line title: the symptom's first sentence, capitalised and shortened."""
    first = _SENTENCE_END.split(symptom.strip(), maxsplit=1)[0].strip()
    first = first or symptom.strip()
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1].rstrip() + "…"
    return first[:1].upper() + first[1:]


class TicketDesk:
    """The ticket operations a conversation may ask for, with their rules."""

    def __init__(self, session: Session, rules: Rules, clock: Clock) -> None:
        self.store = TicketStore(session)
        self.people = PersonStore(session)
        self.notify = Notifier(session, clock)
        self.timers = Timers(session, rules)
        self.rules = rules
        self.policy = rules.policy
        self.teams = rules.teams
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
            group_name=self.teams.route(draft.category, draft.symptom, requester.department),
            offered_articles=list(draft.offered),
            # Given, not defaulted: SQLModel inspects a default factory's signature each time it
            # calls one, which costs as much as building the rest of the row.
            sla_fired=[],
            created_at=now,
            updated_at=now,
        )
        # Timers need no id, so they go into the ticket's INSERT rather than an UPDATE after.
        self.timers.opened(ticket, now)
        self.store.add(ticket, self.policy.ticket_prefix)

        created = {
            "status": Status.NEW.value,
            "priority": priority.value,
            "title": ticket.title,
            "group": ticket.group_name,
        }
        event = self.record(ticket, requester, Action.CREATED, after=created)
        if draft.masked:
            self.record(ticket, requester, Action.MASKED, after={"kinds": list(draft.masked)})
        if priority is Priority.P1:
            self._tell_management(ticket, "notify/p1_opened", f"p1:{ticket.number}")
        logger.info("Ticket opened ticket=%s priority=%s", ticket.number, priority)
        if draft.articles is None:
            articles = self.suggested_articles(ticket)
        else:
            articles = [{"id": key, "title": title} for key, title in draft.articles]
        self._hand_out(ticket, event, articles)
        return ticket

    def _hand_out(self, ticket: Ticket, created: Recorded, articles: list[dict[str, str]]) -> None:
        """Assign a new ticket where its group assigns, else tell the group it is waiting."""
        group = ticket.group_name or self.teams.first_line
        agent = pick_agent(self.people, self.store, self.teams, group, self.clock.now())
        if agent is None:
            key = f"queued:{ticket.number}:{created.id}"
            context = {**summary(ticket), "articles": articles}
            for member in self.people.list_members(group):
                if is_agent(member):
                    self.notify.person(member, "notify/queued", key, context)
            return
        self.assign(ticket, agent, actor=None, articles=articles)

    def knowledge(self) -> KnowledgeBase:
        """The knowledge base, searched within this desk's transaction."""
        return KnowledgeBase(self.store.session, self.rules.synonyms, self.rules.kb)

    def suggested_articles(self, ticket: Ticket) -> list[dict[str, str]]:
        """Articles an agent may want for a ticket: the closest to its symptom, any audience."""
        return articles_for_agents(self.knowledge(), ticket.symptom)

    def assign(
        self,
        ticket: Ticket,
        agent: Person,
        actor: Person | None,
        articles: list[dict[str, str]] | None = None,
    ) -> Recorded:
        """Give a ticket to an agent, tell them and the requester, and record it."""
        before = ticket.assignee_id
        ticket.assignee_id = agent.id
        event = self.record(
            ticket, actor, Action.FIELD, field="assignee", before=before, after=agent.id
        )
        if ticket.status == Status.NEW:
            self.move(ticket, Move.TRIAGE, actor)
        context = {**summary(ticket), "agent": agent.name}
        key = f"assigned:{ticket.number}:{event.id}"
        if articles is None:
            articles = self.suggested_articles(ticket)
        self.notify.person(agent, "notify/assigned", key, {**context, "articles": articles})
        self.tell_requester(ticket, "notify/taken", key, context)
        logger.info("Ticket assigned ticket=%s agent=%s", ticket.number, agent.id)
        return event

    def tell_requester(
        self,
        ticket: TicketView,
        template: str,
        key: str,
        context: dict[str, Any],
        buttons: Iterable[dict[str, Any]] = (),
    ) -> None:
        requester = self.notify.roster.get(ticket.requester_id)
        if requester is not None:
            self.notify.person(requester, template, key, context, buttons)

    def _tell_management(self, ticket: Ticket, template: str, key: str) -> None:
        for email in self.rules.levels.settings.management:
            person = self.people.get_by_email(email)
            if person is not None:
                self.notify.person(person, template, key, summary(ticket))

    def tell_assignee(
        self, ticket: TicketView, template: str, key: str, context: dict[str, Any]
    ) -> None:
        """Queue a message for the ticket's assignee, or for its group when nobody has it."""
        if ticket.assignee_id is not None:
            self.notify.people_by_id([ticket.assignee_id], template, key, context)
            return
        group = ticket.group_name or self.teams.first_line
        members = [p.id for p in self.notify.roster.members(group) if is_agent(p)]
        self.notify.people_by_id(members, template, key, context)

    def list_waiting_on(self, person: Person) -> Sequence[Ticket]:
        """Return the person's tickets that wait for their answer."""
        return self.store.list_for_requester(_id(person), [Status.WAITING_ON_USER])

    def answer(
        self, person: Person, ticket: Ticket, text: str, masked: tuple[str, ...] = ()
    ) -> None:
        """Take a requester's answer to a ticket that waits on them, and resume work on it."""
        event = self.add_comment(person, ticket, text, masked)
        self.move(ticket, Move.RESUME, person)
        context = {**summary(ticket), "requester": person.name, "text": text}
        self.tell_assignee(
            ticket, "notify/answered", f"answered:{ticket.number}:{event.id}", context
        )

    def confirm_fixed(self, person: Person, ticket: Ticket) -> None:
        """Close a resolved ticket the requester says is fixed."""
        event = self.move(ticket, Move.CLOSE, person, "confirmed fixed by the requester")
        context = {**summary(ticket), "requester": person.name}
        self.tell_assignee(
            ticket, "notify/confirmed", f"confirmed:{ticket.number}:{event.id}", context
        )

    def still_broken(
        self, person: Person, ticket: Ticket, text: str, masked: tuple[str, ...] = ()
    ) -> None:
        """Reopen a resolved ticket to the same assignee, with the requester's words."""
        event = self.move(ticket, Move.REOPEN, person, "still broken, says the requester")
        if masked:
            self.record(ticket, person, Action.MASKED, after={"kinds": list(masked)})
        self.record(ticket, person, Action.COMMENT, note=text)
        context = {**summary(ticket), "requester": person.name, "text": text}
        self.tell_assignee(
            ticket, "notify/still_broken", f"reopened:{ticket.number}:{event.id}", context
        )

    def rate(
        self, person: Person, ticket: Ticket, rating: int, comment: str | None = None
    ) -> None:
        """Store the requester's answer to the satisfaction poll about their ticket."""
        survey = SurveyStore(self.store.session).get_for_ticket(_id(ticket))
        if survey is None or survey.person_id != person.id:
            raise InvalidInput(f"There is no poll about {ticket.number} for you to answer.")
        if not 1 <= rating <= 5:
            raise InvalidInput(f"'{rating}' is not a rating; choose 1 to 5.")
        survey.rating = rating
        survey.answered_at = self.clock.now()
        if comment is not None:
            survey.comment = comment
        logger.info("Poll answered ticket=%s rating=%d", ticket.number, rating)

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
    ) -> Recorded:
        """Add a requester's comment to their ticket's history."""
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidInput(f"{ticket.number} is {ticket.status}; it takes no more comments.")
        if masked:
            self.record(ticket, person, Action.MASKED, after={"kinds": list(masked)})
        event = self.record(ticket, person, Action.COMMENT, note=text)
        ticket.updated_at = event.at
        if ticket.status not in (Status.WAITING_ON_USER,):
            context = {**summary(ticket), "requester": person.name, "text": text}
            self.tell_assignee(
                ticket, "notify/commented", f"comment:{ticket.number}:{event.id}", context
            )
        logger.info("Comment added ticket=%s", ticket.number)
        return event

    def move(self, ticket: Ticket, move: Move, actor: Person | None, reason: str = "") -> Recorded:
        """Move a ticket to its next state and record it, or raise IllegalTransition."""
        details = self._change_status(ticket, move, reason)
        return self.record(ticket, actor, Action.STATUS, **details)

    def move_in_bulk(self, ticket: Ticket, move: Move, reason: str, writes: TicketWrites) -> None:
        """Move a ticket as `move` does, for a sweep: its history row joins the sweep's bulk
        writes instead of becoming an event object of its own."""
        details = self._change_status(ticket, move, reason)
        writes.add_event(self.history_row(ticket, None, Action.STATUS, **details))

    def _change_status(self, ticket: Ticket, move: Move, reason: str) -> HistoryDetails:
        before = Status(ticket.status)
        after = target_of(ticket.number, before, move)
        now = self.clock.now()
        ticket.status = after
        ticket.updated_at = now
        if after is Status.RESOLVED:
            ticket.resolved_at = now
        if after is Status.CLOSED:
            ticket.closed_at = now
        self.timers.moved(ticket, before, after, now)
        logger.info("Ticket moved ticket=%s move=%s status=%s", ticket.number, move, after)
        return {
            "field": "status",
            "before": before.value,
            "after": after.value,
            "note": reason or None,
        }

    def history(
        self, ticket: Ticket, *, public_only: bool, limit: int | None = None
    ) -> Sequence[TicketEvent]:
        """Return a ticket's history, oldest first."""
        return self.store.list_events(_id(ticket), public_only=public_only, limit=limit)

    def names_of(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        """Return the names of the given people, by id; unknown ids are left out."""
        people = self.notify.roster.many(person_ids)
        return {person.id: person.name for person in people if person.id is not None}

    def record(
        self,
        ticket: Ticket,
        actor: Person | None,
        action: Action,
        **details: Unpack[HistoryDetails],
    ) -> Recorded:
        """Add an event to the ticket's history, written at once so that it has its id."""
        row = self.history_row(ticket, actor, action, **details)
        return Recorded(self.store.add_event(row), row["at"])

    def history_row(
        self,
        ticket: TicketView,
        actor: Person | None,
        action: Action,
        **details: Unpack[HistoryDetails],
    ) -> dict[str, Any]:
        """Return the columns of a history row, for `record` or for a sweep's bulk writes."""
        return {
            "ticket_id": _id(ticket),
            "actor_id": actor.id if actor else None,
            "action": action,
            "field": None,
            "before": None,
            "after": None,
            "note": None,
            "public": True,
            **details,
            "at": self.clock.now(),
        }


def articles_for_agents(kb: KnowledgeBase, symptom: str) -> list[dict[str, str]]:
    """Articles an agent may want for a problem: the closest to its symptom, any audience."""
    hits = kb.search(symptom, limit=AGENT_ARTICLES, audience="agents")
    return [{"id": hit.id, "title": hit.title} for hit in hits]


def summary(ticket: TicketView) -> dict[str, Any]:
    """Return what a message about a ticket may show, as plain values fit for the outbox."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "priority": ticket.priority,
        "status": ticket.status,
        "group": ticket.group_name,
    }


def is_agent(person: Person) -> bool:
    """Tell whether a person belongs to the support team."""
    return bool({Role.AGENT, Role.LEAD, Role.ADMIN} & set(person.roles))


def pick_agent(
    people: PersonStore, tickets: TicketStore, teams: Teams, group: str, now: datetime
) -> Person | None:
    """Choose the on-duty agent a group's assignment rule gives a new ticket to, if any."""
    settings = teams.groups.get(group)
    if settings is None or settings.assignment is Assignment.NONE:
        return None
    candidates = [p for p in people.list_members(group) if is_agent(p) and p.on_duty]
    if not candidates:
        return None
    turns = {_id(p): _last_assigned(people, p, group) for p in candidates}
    if settings.assignment is Assignment.LEAST_LOADED:
        load = tickets.count_assigned(turns, ACTIVE_STATUSES)
        chosen = min(candidates, key=lambda p: (load[_id(p)], turns[_id(p)]))
    else:
        chosen = min(candidates, key=lambda p: turns[_id(p)])
    membership = people.get_membership(_id(chosen), group)
    if membership is not None:
        # Strictly later than every turn so far, so equal clock readings cannot tie.
        latest = max(turn for turn, _ in turns.values())
        membership.last_assigned_at = max(now, latest + timedelta(microseconds=1))
    return chosen


def _last_assigned(people: PersonStore, person: Person, group: str) -> tuple[datetime, int]:
    membership = people.get_membership(_id(person), group)
    never = datetime.min.replace(tzinfo=UTC)
    last = membership.last_assigned_at if membership and membership.last_assigned_at else never
    return (last, _id(person))


def _id(row: Person | TicketView) -> int:
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been saved yet")
    return row.id
