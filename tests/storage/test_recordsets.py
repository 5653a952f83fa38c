"""Rows written as one JSON document on PostgreSQL, and the same rows on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from storage.database import unit_of_work
from storage.models import Ticket, TicketEvent
from storage.recordsets import as_documents, insert_rows, update_from_json
from tests.storage.shared import add_requester, new_ticket

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
EVENTS: Table = TicketEvent.__table__  # type: ignore[attr-defined]
TICKETS: Table = Ticket.__table__  # type: ignore[attr-defined]


def _ticket(engine: Engine) -> int:
    requester = add_requester(engine, NOW)
    with unit_of_work(engine) as session:
        ticket = new_ticket(requester, NOW, number="IT-1")
        session.add(ticket)
        session.flush()
        return ticket.id or 0


def _event(ticket_id: int, note: str, **values: object) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "actor_id": None,
        "action": "comment",
        "field": None,
        "before": None,
        "after": None,
        "note": note,
        "public": True,
        "at": NOW,
        **values,
    }


def test_rows_come_back_as_they_were_given(engine: Engine) -> None:
    ticket_id = _ticket(engine)
    awkward = 'It\'s "quoted", a \\ backslash, ünïcödé, 中文, {braces} and a\nnew line'
    eastern = datetime(2026, 12, 4, 4, 30, tzinfo=timezone(timedelta(hours=-5)))
    rows = [
        _event(ticket_id, awkward, after={"list": [1, "two"], "text": awkward}),
        _event(ticket_id, "second", at=eastern, before=["a", "b"], public=False),
        {**_event(ticket_id, ""), "note": None},
    ]

    with unit_of_work(engine) as session:
        insert_rows(session.connection(), EVENTS, rows)

    with unit_of_work(engine) as session:
        by_id = select(EVENTS).order_by(EVENTS.c.id)
        stored = session.connection().execute(by_id).all()
    assert [row.note for row in stored] == [awkward, "second", None]
    after = {"list": [1, "two"], "text": awkward}
    assert [row.after for row in stored] == [after, None, None]
    assert [row.before for row in stored] == [None, ["a", "b"], None]
    # 04:30 at UTC-5 is NOW's 09:30 UTC.
    assert [row.at for row in stored] == [NOW, NOW, NOW]
    assert [row.public for row in stored] == [True, False, True]


def test_no_rows_send_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        insert_rows(session.connection(), EVENTS, [])
        assert session.connection().execute(select(EVENTS)).all() == []


def test_a_time_without_a_zone_is_refused(engine: Engine) -> None:
    ticket_id = _ticket(engine)
    naive = _event(ticket_id, "naive", at=datetime(2026, 12, 4, 9, 30))

    # SQLite's executemany reports it wrapped in the statement's error.
    refused = (ValueError, StatementError)
    with pytest.raises(refused, match="naive datetime"), unit_of_work(engine) as session:
        insert_rows(session.connection(), EVENTS, [naive])


def test_an_update_from_a_document_sets_the_named_columns(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the document UPDATE is PostgreSQL's; SQLite uses an executemany")
    first = _ticket(engine)
    later = NOW + timedelta(hours=2)
    columns = ("ping_at", "sla_fired")

    with unit_of_work(engine) as session:
        change = {"id": first, "ping_at": later, "sla_fired": ["x"]}
        documents = as_documents(TICKETS, ("id", *columns), [change])
        session.connection().execute(update_from_json(TICKETS, columns), documents)

    with unit_of_work(engine) as session:
        stored = session.connection().execute(select(TICKETS)).one()
    assert (stored.ping_at, stored.sla_fired) == (later, ["x"])
    assert stored.title == "VPN drops"
