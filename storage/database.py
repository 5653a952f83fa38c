"""Engines, sessions and the schema check, for SQLite (one file) and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaState(StrEnum):
    """How a database's schema compares with the code's."""

    EMPTY = "empty"
    CURRENT = "current"
    OLD = "old"
    UNKNOWN = "unknown"


def make_engine(url: str, **options: Any) -> Engine:
    """Return an engine for a database URL; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
        return create_engine(url, **options)

    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def safe_url(url: str) -> str:
    """Return the URL with any password hidden, fit for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def unit_of_work(engine: Engine, *, writing: bool = False) -> Iterator[Session]:
    """Yield a session whose work is committed on success and rolled back on error.

    With ``writing``, SQLite takes its write lock before the first read, so two sweeps in
    one file run one after the other instead of both reading the same due rows; PostgreSQL
    needs no such thing, as sweeps lock the rows they take (SKIP LOCKED).
    """
    with Session(engine, expire_on_commit=False) as session:
        if writing and engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """Return the newest migration this code knows."""
    script = ScriptDirectory.from_config(_alembic_config_without_engine())
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found under {MIGRATIONS}")
    return head


def _alembic_config_without_engine() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    """Compare the database's schema revision with the code's newest migration."""
    current = current_revision(engine)
    if current == head_revision():
        return SchemaState.CURRENT
    if current is None:
        tables = set(inspect(engine).get_table_names())
        return SchemaState.EMPTY if not tables & {"person", "ticket"} else SchemaState.UNKNOWN
    script = ScriptDirectory.from_config(_alembic_config_without_engine())
    known = {revision.revision for revision in script.walk_revisions()}
    return SchemaState.OLD if current in known else SchemaState.UNKNOWN


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to a revision (the newest by default)."""
    logger.info(
        "Upgrading database schema url=%s revision=%s", safe_url(str(engine.url)), revision
    )
    command.upgrade(_alembic_config(engine), revision)
