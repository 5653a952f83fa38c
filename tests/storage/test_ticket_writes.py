"""A new ticket's one INSERT, with its id and number, and history rows written at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.database import unit_of_work
from storage.models import TIMERS, Ticket, TicketEvent
from storage.stores import TicketStore, _due
from tests.storage.shared import add_requester, counting_statements, new_ticket

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def _requester(engine: Engine) -> int:
    return add_requester(engine, NOW)


def _ticket(requester_id: int, title: str = "VPN drops") -> Ticket:
    return new_ticket(requester_id, NOW, title=title, ping_at=NOW)


def test_a_new_ticket_is_written_with_its_number_in_one_insert(engine: Engine) -> None:
    requester = _requester(engine)

    with counting_statements(engine) as statements, unit_of_work(engine) as session:
        ticket = TicketStore(session).add(_ticket(requester), "IT")
        assert statements == ["INSERT"]
        assert inspect(ticket).persistent
        assert not session.dirty
        assert not session.new

    assert ticket.number == f"IT-{ticket.id}"
    with Session(engine) as session:
        stored = session.exec(select(Ticket)).one()
        assert (stored.id, stored.number, stored.title) == (ticket.id, ticket.number, "VPN drops")
        assert (stored.ping_at, stored.sla_fired) == (NOW, [])


def test_changes_made_after_the_insert_are_written_at_commit(engine: Engine) -> None:
    requester = _requester(engine)

    with unit_of_work(engine) as session:
        ticket = TicketStore(session).add(_ticket(requester), "IT")
        ticket.status = "in_progress"
        ticket.sla_fired = ["response:warn:75"]

    with Session(engine) as session:
        stored = session.exec(select(Ticket)).one()
        assert (stored.status, stored.sla_fired) == ("in_progress", ["response:warn:75"])


def test_tickets_take_consecutive_ids_and_their_own_numbers(engine: Engine) -> None:
    requester = _requester(engine)

    with unit_of_work(engine) as session:
        store = TicketStore(session)
        numbers = [store.add(_ticket(requester, f"Problem {n}"), "IT").number for n in range(3)]
    with unit_of_work(engine) as session:
        numbers.append(TicketStore(session).add(_ticket(requester), "HR").number)

    assert numbers == ["IT-1", "IT-2", "IT-3", "HR-4"]


def test_a_rolled_back_ticket_leaves_nothing_behind(engine: Engine) -> None:
    requester = _requester(engine)

    def open_then_fail() -> None:
        with unit_of_work(engine) as session:
            TicketStore(session).add(_ticket(requester), "IT")
            raise RuntimeError("the conversation failed after the insert")

    with pytest.raises(RuntimeError):
        open_then_fail()

    with Session(engine) as session:
        assert session.exec(select(Ticket)).all() == []


def test_two_tickets_opened_at_once_on_postgresql_do_not_wait_on_each_other(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    requester = _requester(engine)

    with unit_of_work(engine) as first, unit_of_work(engine) as second:
        one = TicketStore(first).add(_ticket(requester, "First"), "IT")
        # The first transaction is still open; a wait on its row would fail after two seconds.
        second.connection().execute(text("SET LOCAL lock_timeout = '2s'"))
        two = TicketStore(second).add(_ticket(requester, "Second"), "IT")

    assert {one.number, two.number} == {"IT-1", "IT-2"}


def test_a_history_row_is_written_at_once_and_pending_changes_still_land(
    engine: Engine,
) -> None:
    requester = _requester(engine)

    with unit_of_work(engine) as session:
        store = TicketStore(session)
        ticket = store.add(_ticket(requester), "IT")
        ticket.status = "in_progress"
        row = {
            "ticket_id": ticket.id,
            "actor_id": requester,
            "action": "status",
            "field": "status",
            "before": "new",
            "after": "in_progress",
            "note": "",
            "public": True,
            "at": NOW,
        }
        event_id = store.add_event(row)
        read = session.connection().execute(
            text("SELECT action FROM ticket_event WHERE id = :id"), {"id": event_id}
        )
        assert read.scalar_one() == "status"

    with Session(engine) as session:
        assert session.exec(select(Ticket.status)).one() == "in_progress"
        stored = session.exec(select(TicketEvent)).one()
        assert (stored.id, stored.after) == (event_id, "in_progress")


@pytest.mark.parametrize("timer", TIMERS)
def test_a_sweep_finds_its_due_tickets_through_the_timer_index(engine: Engine, timer: str) -> None:
    requester = _requester(engine)
    with unit_of_work(engine) as session:
        store = TicketStore(session)
        for n in range(20):
            store.add(_ticket(requester, f"Problem {n}"), "IT")

    with unit_of_work(engine) as session:
        query = _due(select(Ticket.id), timer, NOW, 500)
        compiled = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        connection = session.connection()
        if engine.dialect.name == "postgresql":
            # A table this small is read whole unless that is ruled out.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {compiled}")).scalars().all()
        else:
            rows = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            plan = [row[-1] for row in rows]

    assert any(f"ix_ticket_{timer}" in line for line in plan), plan
