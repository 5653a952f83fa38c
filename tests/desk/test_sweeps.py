"""The sweeps on their own: what each queues for its due tickets, and what a batch costs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.config import Config
from bot.service import Helpdesk
from desk.clock import FixedClock
from desk.sla import SlaSettings
from desk.sweeps import Sweeper, SweepResult
from desk.tickets import TicketDesk, TicketDraft
from desk.vocabulary import Action, Impact, Move, Status, Urgency
from storage.database import unit_of_work
from storage.models import OutboxMessage, Survey, Ticket, TicketEvent
from storage.outbox import write_queued
from storage.stores import PersonStore

ALEX, SAM, PRIYA, ROOT = (
    "alex@example.com",
    "sam@example.com",
    "priya@example.com",
    "root@example.com",
)
P1 = (Impact.COMPANY, Urgency.STOPPED)
P2 = (Impact.TEAM, Urgency.BLOCKED)
P3 = (Impact.JUST_ME, Urgency.BLOCKED)
Sweep = Callable[[Sweeper, int], SweepResult]


@pytest.fixture
def managed(helpdesk: Helpdesk, config: Config, clock: FixedClock) -> Helpdesk:
    """The demo helpdesk with root as IT management."""
    sla = SlaSettings(management=(ROOT,))
    return Helpdesk(
        helpdesk.engine, config.model_copy(update={"sla": sla}), clock, helpdesk.renderer
    )


def _open(helpdesk: Helpdesk, count: int, cell: tuple[Impact, Urgency]) -> list[str]:
    """Alex reports `count` problems of the given impact and urgency; return their numbers."""
    draft = TicketDraft(symptom="my vpn keeps dropping", impact=cell[0], urgency=cell[1])
    with unit_of_work(helpdesk.engine) as session:
        desk = TicketDesk(session, helpdesk.rules, helpdesk.clock)
        alex = PersonStore(session).get_by_email(ALEX)
        assert alex is not None
        return [desk.open_ticket(alex, draft).number for _ in range(count)]


def _move(helpdesk: Helpdesk, numbers: list[str], *moves: Move) -> None:
    with unit_of_work(helpdesk.engine) as session:
        desk = TicketDesk(session, helpdesk.rules, helpdesk.clock)
        for number in numbers:
            ticket = desk.store.get_by_number(number)
            assert ticket is not None
            for move in moves:
                desk.move(ticket, move, None)


def _sweep(helpdesk: Helpdesk, sweep: Sweep, limit: int = 500) -> str:
    with unit_of_work(helpdesk.engine, writing=True) as session:
        return str(sweep(Sweeper(session, helpdesk.rules, helpdesk.clock), limit))


def _queued(helpdesk: Helpdesk, template: str) -> list[tuple[str, str]]:
    """(key, address) of the queued messages of a template, in the order they were queued."""
    with Session(helpdesk.engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(col(OutboxMessage.id))
        ).all()
        return [(row.key, row.address) for row in rows]


def _addresses(helpdesk: Helpdesk, template: str) -> list[str]:
    return [address for _, address in _queued(helpdesk, template)]


def _person_id(helpdesk: Helpdesk, email: str) -> int:
    with Session(helpdesk.engine) as session:
        person = PersonStore(session).get_by_email(email)
        assert person is not None
        assert person.id is not None
        return person.id


def test_pings_tell_the_requester_and_nudge_the_group_once(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    numbers = _open(helpdesk, 2, P1)
    clock.advance(timedelta(minutes=61))
    due = int(clock.now().timestamp()) - 60

    first = _sweep(helpdesk, Sweeper.pings)
    again = _sweep(helpdesk, Sweeper.pings)

    alex = _person_id(helpdesk, ALEX)
    assert (first, again) == ("2 due, 2 acted on", "0 due, 0 acted on")
    assert _queued(helpdesk, "notify/progress") == [
        (f"ping:{number}:{due}:{alex}", ALEX) for number in numbers
    ]
    assert _addresses(helpdesk, "notify/nudge") == [SAM, PRIYA, SAM, PRIYA]


def test_sla_warnings_of_unassigned_tickets_go_to_their_group_once(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    _open(helpdesk, 3, P2)
    clock.advance(timedelta(minutes=23))

    first = _sweep(helpdesk, Sweeper.sla)
    again = _sweep(helpdesk, Sweeper.sla)

    assert (first, again) == ("3 due, 3 acted on", "0 due, 0 acted on")
    assert _addresses(helpdesk, "notify/sla_warning") == [SAM, PRIYA] * 3


def test_a_breach_is_recorded_and_told_to_the_leads_then_management(
    managed: Helpdesk, clock: FixedClock
) -> None:
    (number,) = _open(managed, 1, P2)
    clock.advance(timedelta(minutes=31))

    both = _sweep(managed, Sweeper.sla)
    clock.advance(timedelta(minutes=60))
    management = _sweep(managed, Sweeper.sla)
    again = _sweep(managed, Sweeper.sla)

    assert (both, management, again) == (
        "1 due, 2 acted on",
        "1 due, 1 acted on",
        "0 due, 0 acted on",
    )
    assert _addresses(managed, "notify/sla_warning") == [SAM, PRIYA]
    assert _addresses(managed, "notify/sla_breach") == [PRIYA]
    assert _addresses(managed, "notify/sla_management") == [ROOT]
    with Session(managed.engine) as session:
        notes = session.exec(
            select(TicketEvent.field, TicketEvent.note, TicketEvent.public).where(
                TicketEvent.action == Action.SLA
            )
        ).all()
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    assert [tuple(note) for note in notes] == [("response", "response target missed", False)]
    assert ticket.sla_fired == ["response:warn:75", "response:breach", "response:management"]


def test_warning_breach_and_management_all_name_when_the_target_falls_due(
    managed: Helpdesk, clock: FixedClock
) -> None:
    _open(managed, 1, P2)
    with Session(managed.engine) as session:
        response_due = session.exec(select(Ticket.response_due_at)).one()
    assert response_due is not None
    clock.advance(timedelta(minutes=23))
    _sweep(managed, Sweeper.sla)
    clock.advance(timedelta(minutes=8))
    _sweep(managed, Sweeper.sla)
    clock.advance(timedelta(minutes=60))
    _sweep(managed, Sweeper.sla)

    with Session(managed.engine) as session:
        told = session.exec(
            select(OutboxMessage.template, OutboxMessage.payload)
            .where(col(OutboxMessage.template).startswith("notify/sla_"))
            .order_by(col(OutboxMessage.id))
        ).all()
    # The warning fires before the target and the alert to management after it; each says
    # when the target itself falls due.
    assert [(template, payload["context"]["due"]) for template, payload in told] == [
        ("notify/sla_warning", response_due.isoformat()),
        ("notify/sla_warning", response_due.isoformat()),
        ("notify/sla_breach", response_due.isoformat()),
        ("notify/sla_management", response_due.isoformat()),
    ]


def test_reminders_then_auto_close_keyed_by_the_closing_moment(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    numbers = _open(helpdesk, 2, P3)
    _move(helpdesk, numbers, Move.TRIAGE, Move.START, Move.RESOLVE)
    with Session(helpdesk.engine) as session:
        closing = session.exec(select(Ticket.number, Ticket.close_at)).all()
    clock.advance(timedelta(days=1))
    reminded = _sweep(helpdesk, Sweeper.reminders)
    clock.advance(timedelta(days=5))

    closed = _sweep(helpdesk, Sweeper.reminders)
    again = _sweep(helpdesk, Sweeper.reminders)

    alex = _person_id(helpdesk, ALEX)
    with Session(helpdesk.engine) as session:
        moves = session.exec(
            select(Ticket.number, TicketEvent.actor_id, TicketEvent.note, TicketEvent.after)
            .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
            .where(TicketEvent.field == "status")
            .order_by(col(TicketEvent.id))
        ).all()
    assert (reminded, closed, again) == (
        "2 due, 2 acted on",
        "2 due, 2 acted on",
        "0 due, 0 acted on",
    )
    assert _addresses(helpdesk, "notify/confirm_reminder") == [ALEX, ALEX]
    assert _queued(helpdesk, "notify/auto_closed") == [
        (f"autoclosed:{number}:{int(at.timestamp())}:{alex}", ALEX)
        for number, at in closing
        if at is not None
    ]
    assert [tuple(row[:3]) for row in moves if row[3] == Status.CLOSED] == [
        (number, None, "closed automatically, not confirmed") for number in numbers
    ]


def test_a_ticket_due_for_its_reminder_and_its_closing_gets_both_in_one_sweep(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    # The sweeper was down for a week: the reminder and the closing have both come.
    numbers = _open(helpdesk, 2, P3)
    _move(helpdesk, numbers, Move.TRIAGE, Move.START, Move.RESOLVE)
    clock.advance(timedelta(days=7))

    swept = _sweep(helpdesk, Sweeper.reminders)
    again = _sweep(helpdesk, Sweeper.reminders)

    with Session(helpdesk.engine) as session:
        tickets = session.exec(select(Ticket).order_by(col(Ticket.id))).all()
        timers = [(t.status, t.reminder_at, t.close_at, t.resolution) for t in tickets]
    assert (swept, again) == ("4 due, 4 acted on", "0 due, 0 acted on")
    assert timers == [(Status.CLOSED, None, None, None)] * 2
    assert _addresses(helpdesk, "notify/confirm_reminder") == [ALEX, ALEX]
    assert _addresses(helpdesk, "notify/auto_closed") == [ALEX, ALEX]


def _close_for_polling(helpdesk: Helpdesk, numbers: list[str]) -> None:
    """Close the tickets with their polls due now, as a sampled closing leaves them."""
    with unit_of_work(helpdesk.engine) as session:
        for number in numbers:
            ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
            ticket.status = Status.CLOSED
            ticket.poll_at = helpdesk.clock.now()
            ticket.ping_at = ticket.sla_check_at = None


def test_polls_ask_once_and_skip_tickets_already_polled(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    numbers = _open(helpdesk, 3, P3)
    _close_for_polling(helpdesk, numbers)
    alex = _person_id(helpdesk, ALEX)
    with unit_of_work(helpdesk.engine) as session:
        polled = session.exec(select(Ticket).where(Ticket.number == numbers[1])).one()
        session.add(Survey(ticket_id=polled.id or 0, person_id=alex, asked_at=clock.now()))
    clock.advance(timedelta(minutes=1))

    first = _sweep(helpdesk, Sweeper.polls)
    again = _sweep(helpdesk, Sweeper.polls)

    with Session(helpdesk.engine) as session:
        surveys = session.exec(
            select(Ticket.number, Survey.person_id, Survey.asked_at)
            .join(Ticket, col(Ticket.id) == col(Survey.ticket_id))
            .order_by(col(Ticket.id))
        ).all()
    assert (first, again) == ("3 due, 2 acted on", "0 due, 0 acted on")
    assert _queued(helpdesk, "notify/poll") == [
        (f"poll:{numbers[0]}:{alex}", ALEX),
        (f"poll:{numbers[2]}:{alex}", ALEX),
    ]
    assert [tuple(row) for row in surveys] == [
        (numbers[0], alex, clock.now()),
        (numbers[1], alex, clock.now() - timedelta(minutes=1)),
        (numbers[2], alex, clock.now()),
    ]


@contextmanager
def _counting(engine: Engine) -> Iterator[list[int]]:
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(helpdesk: Helpdesk, sweep: Sweep, limit: int) -> tuple[int, int]:
    """Run one batch with its writes, count its statements, and roll it all back."""
    with Session(helpdesk.engine, expire_on_commit=False) as session:
        with _counting(helpdesk.engine) as counter:
            result = sweep(Sweeper(session, helpdesk.rules, helpdesk.clock), limit)
            session.flush()
            write_queued(session)
        session.rollback()
    return result.acted, counter[0]


def _due_pings(helpdesk: Helpdesk, clock: FixedClock) -> None:
    _open(helpdesk, 8, P1)
    clock.advance(timedelta(minutes=61))


def _due_warnings(helpdesk: Helpdesk, clock: FixedClock) -> None:
    _open(helpdesk, 8, P2)
    clock.advance(timedelta(minutes=23))


def _due_reminders(helpdesk: Helpdesk, clock: FixedClock) -> None:
    _move(helpdesk, _open(helpdesk, 8, P3), Move.TRIAGE, Move.START, Move.RESOLVE)
    clock.advance(timedelta(days=1))


def _due_polls(helpdesk: Helpdesk, clock: FixedClock) -> None:
    _close_for_polling(helpdesk, _open(helpdesk, 8, P3))
    clock.advance(timedelta(minutes=1))


@pytest.mark.parametrize(
    ("sweep", "make_due"),
    [
        (Sweeper.pings, _due_pings),
        (Sweeper.sla, _due_warnings),
        (Sweeper.reminders, _due_reminders),
        (Sweeper.polls, _due_polls),
    ],
    ids=["pings", "sla", "reminders", "polls"],
)
def test_a_batch_sends_as_many_statements_for_eight_due_tickets_as_for_two(
    helpdesk: Helpdesk,
    clock: FixedClock,
    sweep: Sweep,
    make_due: Callable[[Helpdesk, FixedClock], None],
) -> None:
    make_due(helpdesk, clock)

    two = _statements(helpdesk, sweep, 2)
    eight = _statements(helpdesk, sweep, 8)

    assert (two[0], eight[0]) == (2, 8)
    assert eight[1] == two[1]
