"""What agents do to tickets (claim, assign, escalate, reply, wait, resolve) and who may do it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from desk.clock import Clock
from desk.errors import AccessDenied, Conflict, InvalidInput, TicketNotFound
from desk.notify import button
from desk.rules import Rules
from desk.teams import did_you_mean
from desk.tickets import TicketDesk, is_agent, summary
from desk.vocabulary import ACTIVE_STATUSES, Action, Move, Priority, Role, Status
from storage.models import Person, Ticket, TicketEvent

logger = logging.getLogger(__name__)

QUEUE_STATUSES = (Status.NEW, Status.TRIAGED)


@dataclass(frozen=True)
class TicketView:
    """A ticket with its whole history and the names of everyone in it, for `show`."""

    ticket: Ticket
    events: Sequence[TicketEvent]
    names: dict[int, str]


class Workbench:
    """Agent operations; each checks who is asking, records history and queues messages."""

    def __init__(self, session: Session, rules: Rules, clock: Clock) -> None:
        self.desk = TicketDesk(session, rules, clock)
        self.tickets = self.desk.store
        self.people = self.desk.people
        self.notify = self.desk.notify
        self.timers = self.desk.timers
        self.teams = rules.teams
        self.first_response = rules.levels.settings.first_response
        self.clock = clock

    # Who may do what.

    def require_agent(self, person: Person) -> None:
        """Refuse anyone outside the support team."""
        if not is_agent(person):
            raise AccessDenied(
                "That is a support-team command, and you are not on the support team. "
                "Ask your IT administrator if you should be."
            )

    def may_work_on(self, person: Person, group: str | None) -> bool:
        """Tell whether a person may act on a group's tickets: member, lead or admin."""
        if Role.ADMIN in person.roles:
            return True
        group = group or self.teams.first_line
        if person.email in self.teams.leads_of(group):
            return True
        return group in self.people.list_groups(person.id or 0)

    def get(self, person: Person, reference: str) -> Ticket:
        """Return a ticket an agent may act on, or say exactly why not."""
        self.require_agent(person)
        number = self.desk.normalise_number(reference)
        ticket = self.tickets.get_by_number(number)
        if ticket is None:
            raise TicketNotFound(
                f"There is no ticket {number}.{self._close_numbers(person, number)}"
            )
        if not self.may_work_on(person, ticket.group_name):
            raise AccessDenied(
                f"{number} is in the {ticket.group_name} queue; only that group's members, "
                "its leads and admins can work on it."
            )
        return ticket

    def _close_numbers(self, person: Person, number: str) -> str:
        groups = self.people.list_groups(person.id or 0)
        numbers = [t.number for t in self.tickets.list_queue(groups, QUEUE_STATUSES)]
        numbers += [t.number for t in self.tickets.list_assigned(person.id or 0, ACTIVE_STATUSES)]
        return did_you_mean(number, numbers)

    # Looking.

    def queue(
        self, person: Person, group: str | None = None
    ) -> tuple[list[str], Sequence[Ticket]]:
        """Return the groups looked at and their unassigned tickets, most urgent first."""
        self.require_agent(person)
        if group:
            name = self.teams.group_name(group)
            if not self.may_work_on(person, name):
                raise AccessDenied(f"You are not a member, a lead or an admin of '{name}'.")
            groups = [name]
        else:
            groups = self._groups_of(person)
        return groups, self.tickets.list_queue(groups, QUEUE_STATUSES)

    def _groups_of(self, person: Person) -> list[str]:
        if Role.ADMIN in person.roles:
            return list(self.teams.groups)
        led = [name for name, group in self.teams.groups.items() if person.email in group.leads]
        return sorted(set(self.people.list_groups(person.id or 0)) | set(led))

    def mine(self, person: Person) -> Sequence[Ticket]:
        self.require_agent(person)
        return self.tickets.list_assigned(person.id or 0, ACTIVE_STATUSES)

    def show(self, person: Person, reference: str) -> TicketView:
        """Return a ticket with its full history, internal notes included."""
        ticket = self.get(person, reference)
        events = self.desk.history(ticket, public_only=False)
        ids = {ticket.assignee_id, ticket.requester_id, *(event.actor_id for event in events)}
        ids |= {e.before for e in events if e.field == "assignee" and isinstance(e.before, int)}
        ids |= {e.after for e in events if e.field == "assignee" and isinstance(e.after, int)}
        return TicketView(ticket, events, self.desk.names_of(ids))

    def set_duty(self, person: Person, on_duty: bool) -> None:
        self.require_agent(person)
        person.on_duty = on_duty
        logger.info("Duty changed agent=%s on_duty=%s", person.id, on_duty)

    # Taking and handing over.

    def claim(self, person: Person, reference: str) -> Ticket:
        """Take a ticket; when two agents claim at once, exactly one wins."""
        ticket = self.get(person, reference)
        if ticket.assignee_id == person.id and ticket.status not in QUEUE_STATUSES:
            raise Conflict(f"You already have {ticket.number}.")
        now = self.clock.now()
        won = self.tickets.claim(ticket.id or 0, person.id or 0, QUEUE_STATUSES, now)
        self.tickets.refresh(ticket)
        if not won:
            raise self._claim_refusal(ticket)
        if self.first_response == "claim_or_reply":
            self.timers.responded(ticket, now)

        event = self.desk.record(
            ticket, person, Action.FIELD, field="assignee", before=None, after=person.id
        )
        self.desk.move(ticket, Move.START, person)
        context = {**summary(ticket), "agent": person.name}
        self.desk.tell_requester(
            ticket, "notify/taken", f"claimed:{ticket.number}:{event.id}", context
        )
        logger.info("Ticket claimed ticket=%s agent=%s", ticket.number, person.id)
        return ticket

    def _claim_refusal(self, ticket: Ticket) -> Exception:
        if ticket.assignee_id is not None:
            holder = self.desk.names_of([ticket.assignee_id]).get(ticket.assignee_id, "someone")
            return Conflict(f"{ticket.number} is already taken by {holder}.")
        status = Status(ticket.status)
        return InvalidInput(f"{ticket.number} is {status.value}; only new tickets can be claimed.")

    def assign(self, person: Person, reference: str, who: str) -> tuple[Ticket, Person]:
        """Give a ticket to an agent of its group."""
        ticket = self.get(person, reference)
        self._require_open(ticket)
        agent = self._find_agent(who, ticket.group_name or self.teams.first_line)
        if ticket.assignee_id == agent.id:
            raise InvalidInput(f"{ticket.number} is already assigned to {agent.name}.")
        self.desk.assign(ticket, agent, actor=person)
        return ticket, agent

    def _find_agent(self, who: str, group: str) -> Person:
        members = [p for p in self.people.list_members(group) if is_agent(p)]
        wanted = who.strip().lower()
        exact = [p for p in members if wanted in (p.email, p.name.lower())]
        matches = exact or [p for p in members if p.name.lower().startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = ", ".join(f"{p.name} ({p.email})" for p in matches)
            raise InvalidInput(f"'{who}' could be {names}; say which by e-mail.")
        hint = did_you_mean(who, [p.name for p in members] + [p.email for p in members])
        raise InvalidInput(f"No agent of the {group} group is called '{who}'.{hint}")

    def escalate(self, person: Person, reference: str, group: str, reason: str) -> Ticket:
        """Move a ticket to another group's queue, telling the group, requester and holder."""
        ticket = self.get(person, reference)
        target = self.teams.group_name(group)
        _require_reason(reason, "escalate", f"{ticket.number} {target}")
        if target == ticket.group_name:
            raise InvalidInput(f"{ticket.number} is already in the {target} queue.")

        holder = ticket.assignee_id
        self.desk.move(ticket, Move.ESCALATE, person, reason)
        event = self.desk.record(
            ticket,
            person,
            Action.FIELD,
            field="group",
            before=ticket.group_name,
            after=target,
            note=reason,
        )
        ticket.group_name = target
        if holder is not None:
            ticket.assignee_id = None
            self.desk.record(
                ticket, person, Action.FIELD, field="assignee", before=holder, after=None
            )

        key = f"escalated:{ticket.number}:{event.id}"
        context = {**summary(ticket), "agent": person.name, "reason": reason}
        members = [p.id for p in self.people.list_members(target) if is_agent(p)]
        self.notify.people_by_id(members, "notify/escalated_to_group", key, context)
        self.desk.tell_requester(ticket, "notify/escalated", key, context)
        if holder is not None and holder != person.id:
            self.notify.people_by_id([holder], "notify/escalated_from_you", key, context)
        logger.info("Ticket escalated ticket=%s group=%s", ticket.number, target)
        return ticket

    # Talking.

    def reply(self, person: Person, reference: str, text: str) -> Ticket:
        """Send the requester a public reply, recorded on the ticket."""
        ticket = self.get(person, reference)
        self._require_open(ticket)
        _require_reason(text, "reply", ticket.number, what="text")
        event = self.desk.record(ticket, person, Action.COMMENT, note=text)
        ticket.updated_at = event.at
        self.timers.responded(ticket, event.at)
        self.timers.public_update(ticket, event.at)
        context = {**summary(ticket), "agent": person.name, "text": text}
        self.desk.tell_requester(
            ticket, "notify/reply", f"reply:{ticket.number}:{event.id}", context
        )
        return ticket

    def note(self, person: Person, reference: str, text: str) -> Ticket:
        """Add an internal note that the requester never sees."""
        ticket = self.get(person, reference)
        _require_reason(text, "note", ticket.number, what="text")
        self.desk.record(ticket, person, Action.COMMENT, note=text, public=False)
        return ticket

    def set_priority(self, person: Person, reference: str, priority: str, reason: str) -> Ticket:
        ticket = self.get(person, reference)
        self._require_open(ticket)
        try:
            new = Priority(priority.strip().upper())
        except ValueError:
            raise InvalidInput(f"'{priority}' is not a priority; use P1, P2, P3 or P4.") from None
        _require_reason(reason, "priority", f"{ticket.number} {new.value}")
        if new == ticket.priority:
            raise InvalidInput(f"{ticket.number} is already {new.value}.")
        self.desk.record(
            ticket,
            person,
            Action.FIELD,
            field="priority",
            before=ticket.priority,
            after=new.value,
            note=reason,
        )
        ticket.priority = new
        self.timers.reprioritised(ticket)
        return ticket

    # Waiting.

    def wait_on_user(self, person: Person, reference: str, question: str = "") -> Ticket:
        """Pause work until the requester answers."""
        ticket = self.get(person, reference)
        event = self.desk.move(ticket, Move.WAIT_ON_USER, person, question)
        if question:
            self.desk.record(ticket, person, Action.COMMENT, note=question)
        context = {**summary(ticket), "agent": person.name, "text": question}
        self.desk.tell_requester(
            ticket, "notify/waiting_on_you", f"wait:{ticket.number}:{event.id}", context
        )
        return ticket

    def wait_on_vendor(
        self, person: Person, reference: str, vendor_name: str, their_ref: str = ""
    ) -> Ticket:
        """Pause work until a vendor answers, and queue a message to the vendor's contact."""
        ticket = self.get(person, reference)
        vendor = self.teams.vendor(vendor_name)
        event = self.desk.move(ticket, Move.WAIT_ON_VENDOR, person, vendor.name)
        self.desk.record(
            ticket,
            person,
            Action.FIELD,
            field="vendor",
            before=ticket.vendor,
            after={"vendor": vendor.name, "ref": their_ref or None},
        )
        ticket.vendor = vendor.name
        ticket.vendor_ref = their_ref or None

        key = f"vendor:{ticket.number}:{event.id}"
        context = {
            **summary(ticket),
            "symptom": ticket.symptom,
            "vendor": vendor.name,
            "contract": vendor.contract,
            "their_ref": their_ref,
            "agent": person.name,
            "agent_email": person.email,
        }
        self.notify.email(vendor.email, "vendor/request", key, context)
        self.desk.tell_requester(ticket, "notify/waiting_on_vendor", key, context)
        return ticket

    # Ending.

    def resolve(self, person: Person, reference: str, resolution: str) -> Ticket:
        """Resolve a ticket and ask the requester to confirm the fix."""
        ticket = self.get(person, reference)
        _require_reason(resolution, "resolve", ticket.number, what="resolution")
        event = self.desk.move(ticket, Move.RESOLVE, person, resolution)
        ticket.resolution = resolution

        key = f"resolved:{ticket.number}:{event.id}"
        context = {**summary(ticket), "agent": person.name, "resolution": resolution}
        buttons = [
            button("fix", f"{ticket.number}:yes", "fix.yes"),
            button("fix", f"{ticket.number}:no", "fix.no"),
        ]
        self.desk.tell_requester(ticket, "notify/resolved", key, context, buttons)
        others = self.tickets.list_former_assignees(ticket.id or 0) - {person.id}
        self.notify.people_by_id(others, "notify/resolved_for_agent", key, context)
        return ticket

    def reopen(self, person: Person, reference: str, reason: str) -> Ticket:
        return self._move_with_reason(person, reference, Move.REOPEN, reason, "notify/reopened")

    def cancel(self, person: Person, reference: str, reason: str) -> Ticket:
        return self._move_with_reason(person, reference, Move.CANCEL, reason, "notify/cancelled")

    def _move_with_reason(
        self, person: Person, reference: str, move: Move, reason: str, template: str
    ) -> Ticket:
        """Make a move that needs a reason, and tell the requester why."""
        ticket = self.get(person, reference)
        _require_reason(reason, move.value, ticket.number)
        event = self.desk.move(ticket, move, person, reason)
        context = {**summary(ticket), "agent": person.name, "reason": reason}
        key = f"{move.value}:{ticket.number}:{event.id}"
        self.desk.tell_requester(ticket, template, key, context)
        return ticket

    def _require_open(self, ticket: Ticket) -> None:
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidInput(f"{ticket.number} is {ticket.status}; reopen it first.")


def _require_reason(text: str, command: str, arguments: str, what: str = "reason") -> None:
    if not text.strip():
        raise InvalidInput(f"Please give a {what}: {command} {arguments} <{what}>.")
