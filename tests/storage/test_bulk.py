"""A sweep's bulk writes: timers and history rows held, then written one statement per shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.bulk import TicketWrites
from storage.database import unit_of_work
from storage.models import Ticket, TicketEvent
from storage.stores import TicketStore
from tests.storage.shared import add_requester, counting_statements, new_ticket

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def _tickets(engine: Engine, count: int) -> list[int]:
    requester = add_requester(engine, NOW)
    with unit_of_work(engine) as session:
        tickets = [
            new_ticket(
                requester, NOW, number=f"IT-{n}", title=f"Problem {n}", ping_at=NOW, poll_at=NOW
            )
            for n in range(1, count + 1)
        ]
        session.add_all(tickets)
        session.flush()
        return [ticket.id or 0 for ticket in tickets]


def _history(ticket_id: int, note: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "actor_id": None,
        "action": "sla",
        "field": "resolution",
        "before": None,
        "after": None,
        "note": note,
        "public": False,
        "at": NOW,
    }


def test_held_changes_go_out_in_one_statement_per_shape(engine: Engine) -> None:
    ids = _tickets(engine, 4)
    later = NOW + timedelta(hours=1)

    with unit_of_work(engine) as session:
        tickets = TicketStore(session).list_due_rows("ping_at", NOW, 10, ("number", "ping_at"))
        writes = TicketWrites(session)
        for ticket in tickets[:3]:
            writes.set(ticket, ping_at=later)
        writes.set(tickets[3], ping_at=None, poll_at=None)
        writes.add_event(_history(ids[0], "resolution target missed"))
        writes.add_event(_history(ids[1], "resolution target missed"))
        with counting_statements(engine) as nothing_yet:
            session.flush()
        with counting_statements(engine) as written:
            writes.write()
        with counting_statements(engine) as again:
            writes.write()

    assert nothing_yet == []
    assert written == ["UPDATE", "UPDATE", "INSERT"]
    assert again == []
    with Session(engine) as session:
        rows = session.exec(select(Ticket).order_by(col(Ticket.id))).all()
        events = session.exec(select(TicketEvent).order_by(col(TicketEvent.id))).all()
    assert [(row.ping_at, row.poll_at) for row in rows] == [
        (later, NOW),
        (later, NOW),
        (later, NOW),
        (None, None),
    ]
    assert [(e.ticket_id, e.note, e.public) for e in events] == [
        (ids[0], "resolution target missed", False),
        (ids[1], "resolution target missed", False),
    ]


def test_held_changes_vanish_with_a_rollback(engine: Engine) -> None:
    _tickets(engine, 1)

    def sweep_failing_after_its_writes() -> None:
        with unit_of_work(engine) as session:
            ticket = session.exec(select(Ticket)).one()
            writes = TicketWrites(session)
            writes.set(ticket, ping_at=None)
            writes.write()
            raise RuntimeError("the sweep failed after writing")

    with pytest.raises(RuntimeError):
        sweep_failing_after_its_writes()

    with Session(engine) as session:
        assert session.exec(select(Ticket.ping_at)).one() == NOW


def test_a_ticket_not_yet_saved_cannot_be_changed_in_bulk(engine: Engine) -> None:
    with Session(engine) as session:
        writes = TicketWrites(session)
        with pytest.raises(ValueError, match="already in the table"):
            writes.set(Ticket(title="new", impact="x", urgency="y", priority="P4"), ping_at=NOW)


def test_due_rows_hold_the_id_and_the_columns_asked_for_and_no_others(engine: Engine) -> None:
    ids = _tickets(engine, 3)
    with unit_of_work(engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.id == ids[1])).one()
        ticket.ping_at = NOW + timedelta(minutes=1)

    with Session(engine) as session:
        due = TicketStore(session).list_due_rows("ping_at", NOW, 10, ("number", "ping_at"))
        assert [(row.id, row.number, row.ping_at) for row in due] == [
            (ids[0], "IT-1", NOW),
            (ids[2], "IT-3", NOW),
        ]
        with pytest.raises(AttributeError, match="title"):
            _ = due[0].title
