from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session

from desk.errors import DatabaseUnavailable, SchemaOutOfDate
from storage.database import (
    MIGRATIONS,
    SchemaState,
    _alembic_config,
    head_revision,
    make_engine,
    safe_url,
    schema_state,
    unit_of_work,
    upgrade,
)
from storage.models import OutboxMessage, Person
from storage.stores import OutboxStore


def _person(at: datetime) -> Person:
    return Person(email="alex@example.com", name="Alex", created_at=at, updated_at=at)


def test_times_come_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    berlin = timezone(timedelta(hours=1))
    written = datetime(2026, 12, 3, 15, 30, tzinfo=berlin)
    with unit_of_work(engine) as session:
        session.add(_person(written))

    with Session(engine) as session:
        person = session.get(Person, 1)
        assert person is not None
        assert person.created_at == written
        assert person.created_at.tzinfo == UTC


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="must carry a time zone"), unit_of_work(engine) as session:
        session.add(_person(datetime(2026, 12, 3, 15, 30)))


def _fail_after_adding(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(_person(datetime.now(UTC)))
        session.flush()
        raise RuntimeError("boom")


def test_unit_of_work_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _fail_after_adding(engine)

    with Session(engine) as session:
        assert session.get(Person, 1) is None


def test_outbox_keeps_one_message_per_key(engine: Engine) -> None:
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        store = OutboxStore(session)
        first = store.add(
            OutboxMessage(
                key="ping:HD-1:1", channel="console", template="t", due_at=now, created_at=now
            )
        )
        second = store.add(
            OutboxMessage(
                key="ping:HD-1:1", channel="console", template="t", due_at=now, created_at=now
            )
        )

    assert first.id == second.id


def test_a_fresh_database_is_empty_then_current_after_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")

    assert schema_state(engine) == SchemaState.EMPTY
    upgrade(engine)
    assert schema_state(engine) == SchemaState.CURRENT


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    config = _alembic_config(engine)

    command.downgrade(config, "base")
    assert schema_state(engine) == SchemaState.EMPTY
    command.upgrade(config, "head")
    assert schema_state(engine) == SchemaState.CURRENT
    engine.dispose()


def test_an_old_schema_is_reported_with_the_command_that_fixes_it(tmp_path: Path) -> None:
    from bot import app
    from bot.config import Config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(make_engine(url), "0001")
    config = Config.model_validate({"database": {"url": url}})

    with pytest.raises(SchemaOutOfDate) as caught:
        app.open_database(config)

    assert str(caught.value).endswith(
        f"has schema revision 0001, older than this version needs ({head_revision()}). "
        "Run `helpdesk db upgrade`."
    )


def test_an_unreachable_database_is_one_clear_error() -> None:
    from bot import app
    from bot.config import Config

    url = "postgresql://helpdesk:s3cret@127.0.0.1:1/helpdesk"
    config = Config.model_validate({"database": {"url": url}})

    with pytest.raises(DatabaseUnavailable) as caught:
        app.open_database(config)

    assert str(caught.value).startswith(
        "Cannot reach the database at postgresql+psycopg://helpdesk:***@127.0.0.1:1/helpdesk"
    )
    assert "s3cret" not in str(caught.value)


def test_safe_url_hides_the_password() -> None:
    assert safe_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


def test_head_revision_is_the_newest_migration_file() -> None:
    versions = sorted((MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))

    assert head_revision() == versions[-1].name[:4]


def test_the_text_index_upgrade_keeps_indexed_articles_replaceable(tmp_path: Path) -> None:
    from kb.articles import ARTICLES, load
    from kb.index import SYNONYMS, KnowledgeBase
    from kb.query import Synonyms

    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO kb_article (id, title, category, tags, language, audience, "
            "last_reviewed, body, path, digest, title_terms, terms, indexed_at) VALUES "
            "('vpn-connection-drops', 'VPN drops', 'network', '[]', 'en', 'employees', '', "
            "'', '', 'old', 'drop vpn', 'drop vpn', '2026-12-01 00:00:00.000000')"
        )
        connection.exec_driver_sql(
            "INSERT INTO kb_fts (article_id, title, tags, body) "
            "VALUES ('vpn-connection-drops', 'vpn drops', '', '')"
        )
    upgrade(engine)
    articles, _ = load(ARTICLES)
    synonyms = Synonyms.load(SYNONYMS)
    with unit_of_work(engine) as session:
        KnowledgeBase(session, synonyms).index(articles, datetime.now(UTC))

    with engine.connect() as connection:
        texts = connection.exec_driver_sql("SELECT count(*) FROM kb_fts").scalar()
        headings = connection.exec_driver_sql("SELECT count(*) FROM kb_heading_fts").scalar()
    assert (texts, headings) == (len(articles), len(articles))
