"""What each scheduled sweep does with the tickets that are due; the scheduler calls these."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from desk.clock import Clock
from desk.notify import button
from desk.rules import Rules
from desk.sla import Checkpoint
from desk.tickets import TicketDesk, is_agent, summary
from desk.vocabulary import Action, Move, Status
from storage.bulk import TicketWrites
from storage.models import Ticket, TicketView
from storage.stores import SurveyStore

logger = logging.getLogger(__name__)

PINGED = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_VENDOR)

# The columns of its due tickets each sweep reads, as plain rows; what a message says of a
# ticket (`summary`) and whom it goes to come with every sweep. Closing moves a ticket, which
# touches most of its columns, so the closing sweep reads whole `Ticket` objects instead.
_TOLD = ("number", "title", "priority", "status", "group_name", "requester_id", "assignee_id")
_CLOCK = ("sla_fired", "first_response_at", "response_due_at", "resolution_due_at", "paused_at")
READS = {
    "sla_check_at": (*_TOLD, "sla_check_at", *_CLOCK),
    "ping_at": (*_TOLD, "ping_at"),
    "reminder_at": (*_TOLD, "reminder_at", "resolution"),
    "poll_at": (*_TOLD, "poll_at"),
}


@dataclass
class SweepResult:
    """How many due tickets a sweep looked at, and how many messages it queued."""

    due: int = 0
    acted: int = 0

    def __str__(self) -> str:
        return f"{self.due} due, {self.acted} acted on"


class Sweeper:
    """Acts on due tickets inside the caller's transaction, then moves each timer on."""

    def __init__(self, session: Session, rules: Rules, clock: Clock) -> None:
        self.session = session
        self.desk = TicketDesk(session, rules, clock)
        self.surveys = SurveyStore(session)
        self.levels = rules.levels
        self.teams = rules.teams
        self.clock = clock
        # A sweep changes nobody in the directory, so a batch reads each person, group and
        # address once; its messages are written together before the commit.
        self.roster = self.desk.notify.roster
        self.roster.keep_directory()
        # Timers moved on and history rows added, written together at the end of a sweep.
        self.writes = TicketWrites(session)

    def _due(self, column: str, now: datetime, limit: int) -> Sequence[TicketView]:
        """Lock the due tickets, as rows of the columns the sweep reads, and read everyone
        they may concern."""
        tickets = self.desk.store.list_due_rows(column, now, limit, READS[column])
        self._read_people(tickets)
        return tickets

    def _read_people(self, tickets: Sequence[TicketView]) -> None:
        """Read the requesters, assignees and groups of a batch, before changing anything.

        Reading first means no query of the batch waits behind a write; the batch's changes
        go out together at the end of the sweep, its messages at the commit.
        """
        self.roster.load(
            person_id
            for ticket in tickets
            for person_id in (ticket.requester_id, ticket.assignee_id)
        )
        groups = {ticket.group_name or self.teams.first_line for ticket in tickets}
        for group in sorted(groups):
            self.roster.members(group)

    def sla(self, limit: int) -> SweepResult:
        """Fire the warnings, breaches and management alerts that have come."""
        now = self.clock.now()
        tickets = self._due("sla_check_at", now, limit)
        self._read_alerted(tickets)
        result = SweepResult(due=len(tickets))
        for ticket in tickets:
            firing = self.levels.fire_due(ticket, now)
            for checkpoint in firing.due:
                self._fire(ticket, checkpoint)
                result.acted += 1
            self.writes.set(ticket, sla_fired=firing.sla_fired, sla_check_at=firing.sla_check_at)
        self.writes.write()
        return result

    def _read_alerted(self, tickets: Sequence[TicketView]) -> None:
        """Read the leads and managers a batch may alert, before any ticket changes."""
        if not tickets:
            return
        groups = {ticket.group_name or self.teams.first_line for ticket in tickets}
        leads = [email for group in sorted(groups) for email in self.teams.leads_of(group)]
        for email in [*self.levels.settings.management, *leads]:
            self.roster.by_email(email)

    def _fire(self, ticket: TicketView, checkpoint: Checkpoint) -> None:
        key = f"sla:{ticket.number}:{checkpoint.name}"
        holder = self.desk.names_of([ticket.assignee_id]).get(ticket.assignee_id or 0, "")
        context = {
            **summary(ticket),
            "target": checkpoint.target,
            "due": checkpoint.due.isoformat(),
            "holder": holder,
        }
        if checkpoint.kind == "warn":
            self.desk.tell_assignee(ticket, "notify/sla_warning", key, context)
            return
        if checkpoint.kind == "breach":
            note = f"{checkpoint.target} target missed"
            self.writes.add_event(
                self.desk.history_row(
                    ticket, None, Action.SLA, field=checkpoint.target, note=note, public=False
                )
            )
            self._tell_leads(ticket, key, context)
            return
        for email in self.levels.settings.management:
            person = self.roster.by_email(email)
            if person is not None:
                self.desk.notify.person(person, "notify/sla_management", key, context)

    def _tell_leads(self, ticket: TicketView, key: str, context: dict[str, object]) -> None:
        group = ticket.group_name or self.teams.first_line
        leads = [self.roster.by_email(email) for email in self.teams.leads_of(group)]
        ids = [lead.id for lead in leads if lead is not None]
        if not ids:
            ids = [p.id for p in self.roster.members(group) if is_agent(p)]
        self.desk.notify.people_by_id(ids, "notify/sla_breach", key, dict(context))

    def pings(self, limit: int) -> SweepResult:
        """Tell requesters how quiet tickets stand, and nudge whoever holds them."""
        now = self.clock.now()
        tickets = self._due("ping_at", now, limit)
        result = SweepResult(due=len(tickets))
        for ticket in tickets:
            if self._ping(ticket, now):
                result.acted += 1
        self.writes.write()
        return result

    def _ping(self, ticket: TicketView, now: datetime) -> bool:
        due = ticket.ping_at or now
        requester = self.roster.get(ticket.requester_id)
        if ticket.status not in PINGED or requester is None:
            self.writes.set(ticket, ping_at=None)
            return False
        moment = self.desk.timers.ping_moment(requester, ticket, now)
        if moment > now:
            self.writes.set(ticket, ping_at=moment)
            return False

        key = f"ping:{ticket.number}:{int(due.timestamp())}"
        holder = self.desk.names_of([ticket.assignee_id]).get(ticket.assignee_id or 0, "")
        context = {**summary(ticket), "holder": holder}
        self.desk.notify.person(requester, "notify/progress", key, context)
        self.desk.tell_assignee(ticket, "notify/nudge", key, context)
        self.writes.set(ticket, ping_at=self.desk.rules.followups.next_ping(ticket, now))
        return True

    def reminders(self, limit: int) -> SweepResult:
        """Remind requesters to confirm resolved tickets, and close those long unconfirmed."""
        now = self.clock.now()
        result = SweepResult()
        for ticket in self._due("reminder_at", now, limit):
            result.due += 1
            result.acted += self._remind(ticket)
        self.writes.write()

        closing = self.desk.store.list_due("close_at", now, limit)
        self._read_people(closing)
        result.due += len(closing)
        self.desk.timers.expect_closing(ticket.requester_id for ticket in closing)
        for ticket in closing:
            result.acted += self._auto_close(ticket)
        self.writes.write()
        return result

    def _remind(self, ticket: TicketView) -> int:
        due = ticket.reminder_at
        self.writes.set(ticket, reminder_at=None)
        if ticket.status != Status.RESOLVED or due is None:
            return 0
        key = f"remind:{ticket.number}:{int(due.timestamp())}"
        buttons = [
            button("fix", f"{ticket.number}:yes", "fix.yes"),
            button("fix", f"{ticket.number}:no", "fix.no"),
        ]
        context = {**summary(ticket), "resolution": ticket.resolution or ""}
        self.desk.tell_requester(ticket, "notify/confirm_reminder", key, context, buttons)
        return 1

    def _auto_close(self, ticket: Ticket) -> int:
        due = ticket.close_at
        ticket.close_at = None
        if ticket.status != Status.RESOLVED or due is None:
            return 0
        reason = "closed automatically, not confirmed"
        self.desk.move_in_bulk(ticket, Move.CLOSE, reason, self.writes)
        logger.info("Ticket closed automatically ticket=%s", ticket.number)
        key = f"autoclosed:{ticket.number}:{int(due.timestamp())}"
        self.desk.tell_requester(ticket, "notify/auto_closed", key, summary(ticket))
        return 1

    def polls(self, limit: int) -> SweepResult:
        """Ask requesters of sampled closed tickets how satisfied they were."""
        now = self.clock.now()
        tickets = self._due("poll_at", now, limit)
        polled = self.surveys.list_polled(ticket.id or 0 for ticket in tickets)
        asked: list[tuple[int, int]] = []
        for ticket in tickets:
            self.writes.set(ticket, poll_at=None)
            if ticket.status != Status.CLOSED or ticket.id in polled:
                continue
            polled.add(ticket.id or 0)
            asked.append((ticket.id or 0, ticket.requester_id))
            buttons = [button("poll", f"{ticket.number}:{n}", f"poll.{n}") for n in range(1, 6)]
            key = f"poll:{ticket.number}"
            self.desk.tell_requester(ticket, "notify/poll", key, summary(ticket), buttons)

        self.writes.write()
        self.surveys.add_asked(asked, now)
        return SweepResult(due=len(tickets), acted=len(asked))
