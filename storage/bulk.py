"""Changes a sweep makes to many tickets at once, one statement per shape of change.

A sweep moves the timers of thousands of tickets and adds a history row to some of
them. Left to the session's unit of work, every ticket would be a model object
inspected attribute by attribute at the flush, and every history row a model object
inserted alone on SQLite to learn its id. Here the sweep reads its due tickets as plain
rows, says what changes, and the changes go out in one statement per set of columns.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session

from storage.models import Ticket, TicketEvent, TicketView
from storage.recordsets import as_documents, insert_rows, update_from_json

logger = logging.getLogger(__name__)

_TICKETS: Table = Ticket.__table__  # type: ignore[attr-defined]
_EVENTS: Table = TicketEvent.__table__  # type: ignore[attr-defined]

# The parameter that names a ticket in the UPDATE; column names are taken by SET.
_TICKET = "ticket_id_"
_UPDATE_BY_ID = update(_TICKETS).where(_TICKETS.c.id == bindparam(_TICKET))


class TicketWrites:
    """Timer columns and history rows of a sweep's batch, held until `write()`.

    What is given to `set` is left as it was read: a sweep reads each ticket once, and
    whatever reads it after `write()` in the same transaction must read it again.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._changes: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []

    def set(self, ticket: TicketView, **values: Any) -> None:
        """Hold new column values for the ticket; the table gets them at `write()`."""
        if ticket.id is None:
            raise ValueError("only a ticket already in the table can be changed in bulk")
        self._changes.setdefault(ticket.id, {}).update(values)

    def add_event(self, row: dict[str, Any]) -> None:
        """Hold a history row, as `TicketDesk.history_row` makes it, for `write()`."""
        self._events.append(row)

    def write(self) -> None:
        """Send the held changes: an UPDATE per set of columns, one INSERT of events."""
        connection = self.session.connection()
        on_postgresql = connection.dialect.name == "postgresql"
        key = "id" if on_postgresql else _TICKET
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ticket_id, values in self._changes.items():
            shapes[tuple(sorted(values))].append({key: ticket_id, **values})
        for columns, rows in shapes.items():
            if on_postgresql:
                documents = as_documents(_TICKETS, ("id", *columns), rows)
                connection.execute(update_from_json(_TICKETS, columns), documents)
            else:
                connection.execute(_UPDATE_BY_ID, rows)
        insert_rows(connection, _EVENTS, self._events)
        logger.debug(
            "Sweep changes written tickets=%d events=%d", len(self._changes), len(self._events)
        )
        self._changes.clear()
        self._events.clear()
