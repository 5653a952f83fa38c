"""What the storage tests share: a requester, a new ticket, the statements sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage.database import unit_of_work
from storage.models import Person, Ticket
from storage.stores import PersonStore


def add_requester(engine: Engine, at: datetime) -> int:
    """Add Alex to the directory and return their id."""
    with unit_of_work(engine) as session:
        alex = PersonStore(session).add(
            Person(email="alex@example.com", name="Alex", created_at=at, updated_at=at)
        )
        return alex.id or 0


def new_ticket(requester_id: int, at: datetime, **values: Any) -> Ticket:
    """A new P4 ticket, not yet written; `values` override its columns."""
    columns: dict[str, Any] = {
        "requester_id": requester_id,
        "title": "VPN drops",
        "impact": "just_me",
        "urgency": "annoying",
        "priority": "P4",
        "status": "new",
        "created_at": at,
        "updated_at": at,
    }
    return Ticket(**{**columns, **values})


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the first word of each statement the engine sends in the block."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(maxsplit=1)[0])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)
