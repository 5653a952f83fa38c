"""Conversation rows: written where they stand, again when a cleanup took them, removed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.clock import FixedClock
from storage.database import unit_of_work
from storage.models import Conversation, Person
from storage.stores import ConversationStore, PersonStore, SavedConversation

CHAT = "console:alex@example.com"


def _alex(engine: Engine, at: datetime) -> int:
    with unit_of_work(engine) as session:
        person = PersonStore(session).add(
            Person(email="alex@example.com", name="Alex", created_at=at, updated_at=at)
        )
        return person.id or 0


def _save(
    engine: Engine, alex: int, saved: SavedConversation | None, step: str, at: datetime
) -> None:
    with unit_of_work(engine) as session:
        ConversationStore(session).save(
            alex,
            CHAT,
            saved,
            flow="intake",
            step=step,
            data={"step": step},
            now=at,
            expires_at=at + timedelta(minutes=30),
        )


def _stored(engine: Engine) -> list[tuple[int | None, str, dict[str, str]]]:
    with Session(engine) as session:
        rows = session.exec(select(Conversation)).all()
        return [(row.id, row.step, row.data) for row in rows]


def _found(engine: Engine) -> SavedConversation | None:
    with Session(engine) as session:
        _, saved = PersonStore(session).get_in_chat(
            "console", "alex@example.com", CHAT, by_email=True
        )
        return saved


def test_a_saved_conversation_is_updated_in_its_row(engine: Engine, clock: FixedClock) -> None:
    alex = _alex(engine, clock.now())
    _save(engine, alex, None, "since", clock.now())

    _save(engine, alex, _found(engine), "device", clock.now())

    assert _stored(engine) == [(1, "device", {"step": "device"})]


def test_a_conversation_taken_meanwhile_is_written_anew(engine: Engine, clock: FixedClock) -> None:
    alex = _alex(engine, clock.now())
    _save(engine, alex, None, "since", clock.now())
    saved = _found(engine)
    assert saved is not None
    with unit_of_work(engine) as session:
        ConversationStore(session).remove(saved)

    _save(engine, alex, saved, "device", clock.now())

    assert [(step, data) for _, step, data in _stored(engine)] == [("device", {"step": "device"})]


def test_an_ended_conversation_is_removed(engine: Engine, clock: FixedClock) -> None:
    alex = _alex(engine, clock.now())
    _save(engine, alex, None, "since", clock.now())
    saved = _found(engine)
    assert saved is not None

    with unit_of_work(engine) as session:
        ConversationStore(session).remove(saved)

    assert _stored(engine) == []
