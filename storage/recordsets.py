"""Many rows sent to PostgreSQL as one JSON document, turned back into rows by the server.

An executemany of N rows costs the server N executions and the driver N rounds of
parameter handling; arrays of text cost the driver an escape per value. The same rows
as one JSON document are one parameter, made by the json module's C encoder, that
`json_to_recordset` turns back into typed rows: for a sweep's 10,000 timers or 20,000
outbox rows that is most of the write. SQLite, executing in process, keeps executemany.

A None in a JSON column arrives as SQL NULL here, where executemany writes JSON null;
both read back as None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Select, Table, bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Update

from storage.models import UTCDateTime, stored_utc

# Rows to write, each a mapping of column names to values, all with the same names.
Rows = Sequence[Mapping[str, Any]]

# The one parameter of the statements below, named apart from every column.
_ROWS = "rows_json_"


def insert_rows(connection: Connection, table: Table, rows: Rows) -> None:
    """Insert rows that all have the same keys: one document on PostgreSQL, else many."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = tuple(rows[0])
    documents = as_documents(table, columns, rows)
    connection.execute(insert_from_json(table, columns), documents)


@cache
def insert_from_json(table: Table, columns: tuple[str, ...]) -> Insert:
    """An INSERT of the rows `as_json` gives for these columns."""
    return insert(table).from_select(list(columns), _recordset(table, columns))


@cache
def update_from_json(table: Table, columns: tuple[str, ...]) -> Update:
    """An UPDATE of the columns of the rows `as_documents` gives, each naming its id."""
    new = _recordset(table, ("id", *columns)).subquery("new")
    values = {name: new.c[name] for name in columns}
    return update(table).where(table.c.id == new.c.id).values(values)


def as_documents(
    table: Table, columns: Sequence[str], rows: Rows
) -> dict[str, list[dict[str, Any]]]:
    """The parameter of the statements above: the rows' columns, as one JSON array.

    Times are written as the naive UTC text the columns hold; a naive time is refused,
    as the columns refuse it.
    """
    times = [name for name in columns if isinstance(table.c[name].type, UTCDateTime)]
    if not times:
        documents = [{name: row[name] for name in columns} for row in rows]
    else:
        documents = []
        for row in rows:
            document = {name: row[name] for name in columns}
            for name in times:
                document[name] = _utc_text(document[name])
            documents.append(document)
    return {_ROWS: documents}


def _utc_text(value: datetime | None) -> str | None:
    utc = stored_utc(value)
    return None if utc is None else utc.isoformat()


def _recordset(table: Table, columns: Sequence[str]) -> Select[Any]:
    """The rows of the JSON parameter, typed as the table's columns."""
    typed = [column(name, _stored_type(table, name)) for name in columns]
    rows = func.json_to_recordset(bindparam(_ROWS, type_=JSON)).table_valued(*typed)
    rows = rows.render_derived(with_types=True)
    return select(*(rows.c[name] for name in columns))


def _stored_type(table: Table, name: str) -> Any:
    """The column's type as stored, so that no bind or result processing applies."""
    kind = table.c[name].type
    return kind.impl if isinstance(kind, UTCDateTime) else kind
