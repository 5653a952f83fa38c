"""Process wiring: configuration, database, directory and the bot, checked before any work."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.config import Config
from bot.render import Renderer
from bot.service import Helpdesk
from desk.clock import Clock, SystemClock
from desk.directory import Directory, ImportReport
from desk.errors import DatabaseUnavailable, SchemaOutOfDate
from storage.database import (
    SchemaState,
    current_revision,
    head_revision,
    make_engine,
    safe_url,
    schema_state,
    unit_of_work,
    upgrade,
)

logger = logging.getLogger(__name__)


def open_database(config: Config, *, create: bool = True) -> Engine:
    """Connect and check the schema; a database with no tables at all is created.

    Raises:
        DatabaseUnavailable: the database cannot be reached.
        SchemaOutOfDate: the schema is older than the code, or unknown to it.
    """
    url = config.database.url
    engine = make_engine(url)
    try:
        state = schema_state(engine)
        if state is SchemaState.EMPTY and create:
            logger.info("Creating database schema url=%s", safe_url(url))
            upgrade(engine)
            state = SchemaState.CURRENT
    except OperationalError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseUnavailable(
            f"Cannot reach the database at {safe_url(url)}: {reason}"
        ) from None
    if state is not SchemaState.CURRENT:
        engine.dispose()
        raise SchemaOutOfDate(_schema_advice(engine, state))
    return engine


def _schema_advice(engine: Engine, state: SchemaState) -> str:
    where = safe_url(str(engine.url))
    if state is SchemaState.EMPTY:
        return f"The database at {where} has no tables yet. Run `helpdesk db upgrade`."
    found = current_revision(engine)
    if state is SchemaState.OLD:
        return (
            f"The database at {where} has schema revision {found}, older than this version "
            f"needs ({head_revision()}). Run `helpdesk db upgrade`."
        )
    return (
        f"The database at {where} has schema revision {found or 'none'}, which this version "
        "does not know. Is it another application's database, or a newer helpdesk's?"
    )


def sync_directory(engine: Engine, config: Config, clock: Clock) -> ImportReport:
    """Add or update the people listed in config.yaml."""
    with unit_of_work(engine) as session:
        return Directory(session, clock).sync(config.directory.people)


def build_helpdesk(config: Config, clock: Clock | None = None, look: str = "plain") -> Helpdesk:
    """Open the database, bring the directory up to date and return a ready bot."""
    clock = clock or SystemClock()
    engine = open_database(config)
    sync_directory(engine, config, clock)
    return Helpdesk(engine, config, clock, Renderer(look))
