"""Keeps a ticket's timers right as it changes: due times, pauses, pings, reminders, polls."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, func, select

from desk.rules import Rules
from desk.vocabulary import Priority, Status
from storage.models import Person, Survey, Ticket, TicketEvent, TicketView

_ENDED = (Status.CLOSED, Status.CANCELLED)


class Timers:
    """Sets the due-time columns the sweeps look at; sends nothing itself."""

    def __init__(self, session: Session, rules: Rules) -> None:
        self.session = session
        self.levels = rules.levels
        self.followups = rules.followups
        # When each requester was last polled, read ahead for a batch of closings.
        self._last_polled: dict[int, datetime | None] = {}

    def opened(self, ticket: Ticket, now: datetime) -> None:
        """Start the service-level clock and the first progress ping of a new ticket."""
        self.levels.start(ticket)
        self.public_update(ticket, now)

    def public_update(self, ticket: Ticket, now: datetime) -> None:
        """The requester heard something: the next progress ping counts from now."""
        ticket.last_public_at = now
        if ticket.status not in (Status.RESOLVED, *_ENDED):
            ticket.ping_at = self.followups.next_ping(ticket, now)

    def responded(self, ticket: Ticket, now: datetime) -> None:
        """Record the first response, which stops the response clock."""
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        self.levels.schedule(ticket)

    def reprioritised(self, ticket: Ticket) -> None:
        """Recompute due times for the new priority, still crediting every past pause."""
        waiting_since = ticket.paused_at
        ticket.paused_at = None
        self.levels.start(ticket)
        for started, ended in self._pauses(ticket):
            self.levels.pause(ticket, started)
            self.levels.resume(ticket, ended)
        if waiting_since is not None:
            self.levels.pause(ticket, waiting_since)

    def _pauses(self, ticket: Ticket) -> list[tuple[datetime, datetime]]:
        """The finished waits on the requester, from the ticket's history."""
        statement = (
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "status")
            .order_by(col(TicketEvent.id))
        )
        pauses, started = [], None
        for event in self.session.exec(statement).all():
            if event.after == Status.WAITING_ON_USER and started is None:
                started = event.at
            elif event.before == Status.WAITING_ON_USER and started is not None:
                pauses.append((started, event.at))
                started = None
        return pauses

    def moved(self, ticket: Ticket, before: Status, after: Status, now: datetime) -> None:
        """Pause, resume or stop clocks and set follow-up timers for the new state."""
        if self.levels.pauses_for(after):
            self.levels.pause(ticket, now)
        elif ticket.paused_at is not None:
            self.levels.resume(ticket, now)
        else:
            self.levels.schedule(ticket)

        if after is Status.RESOLVED:
            ticket.reminder_at = self.followups.reminder_at(now)
            ticket.close_at = self.followups.close_at(now)
            ticket.ping_at = None
        elif after in _ENDED:
            ticket.reminder_at = ticket.close_at = ticket.ping_at = None
            if after is Status.CLOSED:
                ticket.poll_at = now if self._should_poll(ticket, now) else None
        elif before in (Status.RESOLVED, *_ENDED):
            ticket.reminder_at = ticket.close_at = None
        self.public_update(ticket, now)

    def expect_closing(self, requester_ids: Iterable[int]) -> None:
        """Read when these requesters were last polled, in one query, for closings to come.

        Only the polls sweep asks anyone, so what is read stays true for a sweep's batch.
        """
        wanted = set(requester_ids) - self._last_polled.keys()
        if not wanted:
            return
        statement = (
            select(Survey.person_id, func.max(col(Survey.asked_at)))
            .where(col(Survey.person_id).in_(wanted))
            .group_by(col(Survey.person_id))
        )
        self._last_polled.update(dict.fromkeys(wanted))
        self._last_polled.update(self.session.exec(statement).all())

    def _should_poll(self, ticket: Ticket, now: datetime) -> bool:
        if ticket.requester_id in self._last_polled:
            last_asked = self._last_polled[ticket.requester_id]
        else:
            statement = select(func.max(col(Survey.asked_at))).where(
                Survey.person_id == ticket.requester_id
            )
            last_asked = self.session.exec(statement).one()
        return self.followups.should_poll(ticket, last_asked, now)

    def ping_moment(self, requester: Person, ticket: TicketView, at: datetime) -> datetime:
        """Move a requester's ping into their working hours, except for P1."""
        if ticket.priority == Priority.P1:
            return at
        return self.followups.ping_window(requester, ticket, at)
