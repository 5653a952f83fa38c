"""Throwaway databases for the benchmarks: a SQLite file or a PostgreSQL database, migrated.

Every benchmark runs against a database of its own that it creates, migrates and always
removes, also on Ctrl-C or SIGTERM. The PostgreSQL one is named `helpdesk_bench_<random>`
and created on the server of an admin URL that must be on this machine.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from storage.database import make_engine, safe_url, upgrade

logger = logging.getLogger("bench")

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def sqlite_database() -> Iterator[str]:
    """Yield the URL of a fresh SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a throwaway database on the server of admin_url; always drop it afterwards."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"helpdesk_bench_{secrets.token_hex(6)}"
    try:
        _create(admin, name, admin_url)
        logger.info("created database %s on %s", name, safe_url(admin_url))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            _drop(admin, name)
    finally:
        admin.dispose()


def _create(admin: Engine, name: str, admin_url: str) -> None:
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        raise SystemExit(
            f"cannot create a database on {safe_url(admin_url)}: {error.orig}; "
            "pass --postgres-url or --backend sqlite"
        ) from None


def _drop(admin: Engine, name: str) -> None:
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        logger.info("dropped database %s", name)
    except Exception:
        logger.exception("could not drop database %s; drop it by hand", name)
        raise


@contextmanager
def database(backend: str, postgres_url: str, **engine_options: Any) -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated database of the backend; dispose of it after.

    Args:
        backend: "sqlite" or "postgresql".
        postgres_url: the admin URL the PostgreSQL database is created with.
        engine_options: passed to make_engine, such as a pool size for many threads.
    """
    urls = sqlite_database() if backend == "sqlite" else postgres_database(postgres_url)
    with urls as url:
        engine = make_engine(url, **engine_options)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def require_loopback(url: str) -> None:
    """Refuse any database server that is not on this machine."""
    parsed = make_url(url)
    host = parsed.host or str(parsed.query.get("host") or "") or os.environ.get("PGHOST", "")
    local = host in {"", "localhost", "::1"} or host.startswith(("127.", "/"))
    if not local:
        raise SystemExit(f"{safe_url(url)} is not on loopback; benchmarks stay local")
