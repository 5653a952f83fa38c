"""Changes a sweep makes to many tickets at once, written as one statement per shape of change.

A sweep moves the timers of thousands of tickets and adds a history row to some of them. Left
to the session's unit of work, every ticket is inspected attribute by attribute at the flush
and every history row is built as a model object first; here the loaded tickets take their new
values as if read from the table, and the rows go out in one executemany per set of columns.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

# The parameter that names a ticket in the UPDATE; column names are taken by SET.
_TICKET = "ticket_id_"


class TicketWrites:
    """Timer columns and history rows of a sweep's batch, held until `write()`.

    A ticket given to `set` must not carry unflushed changes of the same columns: its loaded
    values are replaced, so the session's own flush never sees them as changed.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._changes: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []

    def set(self, ticket: Ticket, **values: Any) -> None:
        """Give the ticket new column values now; the table gets them at `write()`."""
        for name, value in values.items():
            set_committed_value(ticket, name, value)
        if ticket.id is None:
            raise ValueError("only a ticket already in the table can be changed in bulk")
        self._changes.setdefault(ticket.id, {}).update(values)

    def add_event(self, row: dict[str, Any]) -> None:
        """Hold a history row, as `TicketDesk.history_row` makes it, for `write()`."""
        self._events.append(row)

    def write(self) -> None:
        """Send the held changes: one UPDATE per set of changed columns, one INSERT of events."""
        tickets: Table = Ticket.__table__  # type: ignore[attr-defined]
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ticket_id, values in self._changes.items():
            shapes[tuple(sorted(values))].append({_TICKET: ticket_id, **values})
        connection = self.session.connection()
        # The SET clause is made from the rows' keys that name columns.
        statement = update(tickets).where(tickets.c.id == bindparam(_TICKET))
        for rows in shapes.values():
            connection.execute(statement, rows)
        if self._events:
            events: Table = TicketEvent.__table__  # type: ignore[attr-defined]
            connection.execute(insert(events), self._events)
        logger.debug(
            "Sweep changes written tickets=%d events=%d", len(self._changes), len(self._events)
        )
        self._changes.clear()
        self._events.clear()
