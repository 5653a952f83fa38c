"""Stores: the only place that queries tables. Each takes an open session and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    update,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session, col, select

from storage.models import (
    Conversation,
    Identity,
    Membership,
    OutboxMessage,
    Person,
    Survey,
    Ticket,
    TicketEvent,
)
from storage.outbox import QueuedMessage, queue
from storage.recordsets import insert_rows


@dataclass(frozen=True)
class SavedConversation:
    """A conversation as stored: its row, where it stands and until when it is kept."""

    id: int
    flow: str
    step: str
    data: dict[str, Any]
    expires_at: datetime


# Statements every message runs are built once per process: building and hashing a statement
# costs more than SQLite takes to run it.
_BY_EMAIL = select(Person).where(col(Person.email) == bindparam("email"))
_BY_IDENTITY = (
    select(Person)
    .join(Identity, col(Identity.person_id) == col(Person.id))
    .where(
        col(Identity.platform) == bindparam("platform"),
        col(Identity.platform_user_id) == bindparam("user_id"),
    )
)
_MEMBERS = (
    select(Person)
    .join(Membership, col(Membership.person_id) == col(Person.id))
    .where(col(Membership.group_name) == bindparam("group"), col(Person.active).is_(True))
    .order_by(col(Person.id))
)
_IN_CHAT = and_(
    col(Conversation.person_id) == col(Person.id),
    col(Conversation.chat_key) == bindparam("chat_key"),
)
_CONVERSATION = (
    col(Conversation.id),
    col(Conversation.flow),
    col(Conversation.step),
    col(Conversation.data),
    col(Conversation.expires_at),
)
_IN_CHAT_BY_EMAIL = _BY_EMAIL.add_columns(*_CONVERSATION).outerjoin(Conversation, _IN_CHAT)
_IN_CHAT_BY_IDENTITY = _BY_IDENTITY.add_columns(*_CONVERSATION).outerjoin(Conversation, _IN_CHAT)

_FOR_REQUESTER = (
    select(Ticket)
    .where(
        col(Ticket.requester_id) == bindparam("requester"),
        col(Ticket.status).in_(bindparam("statuses", expanding=True)),
    )
    .order_by(col(Ticket.id).desc())
    .limit(bindparam("limit"))
)

_SURVEY_TABLE: Table = Survey.__table__  # type: ignore[attr-defined]

_EVENT_TABLE: Table = TicketEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENT = insert(_EVENT_TABLE).returning(_EVENT_TABLE.c.id)

_TICKET_TABLE: Table = Ticket.__table__  # type: ignore[attr-defined]
# What a new ticket's INSERT writes from the model; its id and number come from the statement.
_NEW_TICKET_COLUMNS = tuple(
    column.key for column in _TICKET_TABLE.columns if column.key not in {"id", "number"}
)

_CONVERSATION_TABLE = Conversation.__table__  # type: ignore[attr-defined]
_CONVERSATION_ID = _CONVERSATION_TABLE.c.id == bindparam("conversation_id")
_INSERT_CONVERSATION = _CONVERSATION_TABLE.insert()
_UPDATE_CONVERSATION = _CONVERSATION_TABLE.update().where(_CONVERSATION_ID)
_DELETE_CONVERSATION = _CONVERSATION_TABLE.delete().where(_CONVERSATION_ID)


_Query = TypeVar("_Query", bound=Select[Any])


@cache
def _insert_ticket(dialect: str) -> ReturningInsert[int]:
    """The INSERT of a new ticket that takes the next id and makes the number from it.

    PostgreSQL takes the id from the table's sequence; SQLite, which writes one transaction at
    a time, takes one more than the largest, as it would for a row inserted without an id.
    """
    ids = _TICKET_TABLE.c.id
    next_id: ColumnElement[int]
    if dialect == "postgresql":
        next_id = func.nextval(func.pg_get_serial_sequence(_TICKET_TABLE.name, ids.name))
    else:
        next_id = select(func.coalesce(func.max(ids), 0) + 1).scalar_subquery()
    new = select(next_id.label("id")).subquery("new")
    number = bindparam("prefix", type_=String) + "-" + cast(new.c.id, String)
    values = [bindparam(name, type_=_TICKET_TABLE.c[name].type) for name in _NEW_TICKET_COLUMNS]
    rows = select(new.c.id, number, *values)
    columns = ["id", "number", *_NEW_TICKET_COLUMNS]
    return insert(_TICKET_TABLE).from_select(columns, rows).returning(ids)


def _due(statement: _Query, column: str, now: datetime, limit: int) -> _Query:
    """Narrow a ticket query to the due values of a timer column, earliest first, locked."""
    due = col(getattr(Ticket, column))
    return (
        statement.where(due <= now)
        .order_by(due, col(Ticket.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class PersonStore:
    """The directory: people, their group memberships and their platform identities."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, person_id: int) -> Person | None:
        return self.session.get(Person, person_id)

    def get_by_email(self, email: str) -> Person | None:
        params = {"email": email.strip().lower()}
        return self.session.exec(_BY_EMAIL, params=params).first()

    def get_by_identity(self, platform: str, platform_user_id: str) -> Person | None:
        params = {"platform": platform, "user_id": platform_user_id}
        return self.session.exec(_BY_IDENTITY, params=params).first()

    def get_in_chat(
        self, platform: str, platform_user_id: str, chat_key: str, *, by_email: bool
    ) -> tuple[Person | None, SavedConversation | None]:
        """Return a person, by e-mail or by platform identity, and their conversation in a chat.

        One query instead of two, as every message needs both.
        """
        if by_email:
            statement = _IN_CHAT_BY_EMAIL
            params = {"email": platform_user_id.strip().lower(), "chat_key": chat_key}
        else:
            statement = _IN_CHAT_BY_IDENTITY
            params = {"platform": platform, "user_id": platform_user_id, "chat_key": chat_key}
        row = self.session.execute(statement, params).first()
        if row is None:
            return None, None
        person, conversation_id, flow, step, data, expires_at = row
        if conversation_id is None:
            return person, None
        return person, SavedConversation(conversation_id, flow, step, data, expires_at)

    def list_by_ids(self, person_ids: Iterable[int]) -> Sequence[Person]:
        ids = list(person_ids)
        if not ids:
            return []
        return self.session.exec(select(Person).where(col(Person.id).in_(ids))).all()

    def list_all(self) -> Sequence[Person]:
        return self.session.exec(select(Person).order_by(col(Person.email))).all()

    def count(self) -> int:
        return self.session.exec(select(func.count()).select_from(Person)).one()

    def add(self, person: Person) -> Person:
        self.session.add(person)
        self.session.flush()
        return person

    def add_identity(self, identity: Identity) -> Identity:
        self.session.add(identity)
        self.session.flush()
        return identity

    def list_members(self, group: str) -> Sequence[Person]:
        return self.session.exec(_MEMBERS, params={"group": group}).all()

    def get_membership(self, person_id: int, group: str) -> Membership | None:
        return self.session.get(Membership, (person_id, group))

    def list_groups(self, person_id: int) -> list[str]:
        statement = select(Membership.group_name).where(Membership.person_id == person_id)
        return sorted(self.session.exec(statement).all())

    def update_groups(self, person_id: int, groups: Iterable[str]) -> None:
        """Make the person's memberships exactly the given groups."""
        wanted = set(groups)
        current = set(self.list_groups(person_id))
        for group in wanted - current:
            self.session.add(Membership(person_id=person_id, group_name=group))
        stale = current - wanted
        if stale:
            self.session.execute(
                delete(Membership).where(
                    col(Membership.person_id) == person_id,
                    col(Membership.group_name).in_(stale),
                )
            )
        self.session.flush()


class TicketStore:
    """Tickets and their append-only history."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, ticket: Ticket, prefix: str) -> Ticket:
        """Insert a ticket with its id and its human number, the prefix and the id, at once.

        One plain statement takes the next id and writes both, so the number is never left
        blank in the table for a moment (two tickets opened at once would wait on each other
        over the blank) and the unit of work, whose insert of one wide row costs several times
        the write, is not involved. The ticket then joins the session as if it had been read.
        """
        values = {name: getattr(ticket, name) for name in _NEW_TICKET_COLUMNS}
        statement = _insert_ticket(self.session.get_bind().dialect.name)
        ticket_id = self.session.connection().execute(statement, {"prefix": prefix, **values})
        ticket.id = ticket_id.scalar_one()
        ticket.number = f"{prefix}-{ticket.id}"
        make_transient_to_detached(ticket)
        self.session.add(ticket)
        return ticket

    def get_by_number(self, number: str) -> Ticket | None:
        return self.session.exec(select(Ticket).where(Ticket.number == number)).first()

    def list_for_requester(
        self, requester_id: int, statuses: Iterable[str], limit: int = 20
    ) -> Sequence[Ticket]:
        params = {"requester": requester_id, "statuses": list(statuses), "limit": limit}
        return self.session.exec(_FOR_REQUESTER, params=params).all()

    def list_numbers_for_requester(self, requester_id: int) -> Sequence[str]:
        statement = select(Ticket.number).where(Ticket.requester_id == requester_id)
        return self.session.exec(statement).all()

    def claim(
        self, ticket_id: int, agent_id: int, claimable: Iterable[str], now: datetime
    ) -> bool:
        """Take an unassigned ticket (or one already given to this agent) in one UPDATE.

        Two agents racing both send this statement; the database lets exactly one match.
        """
        statement = (
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.status).in_(list(claimable)),
                or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) == agent_id),
            )
            .values(assignee_id=agent_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def refresh(self, ticket: Ticket) -> Ticket:
        self.session.refresh(ticket)
        return ticket

    def list_due(self, column: str, now: datetime, limit: int) -> Sequence[Ticket]:
        """Return tickets whose timer in `column` has come, earliest first, locked for this sweep.

        On PostgreSQL the rows are locked with SKIP LOCKED, so two processes sweeping at once
        take different tickets; SQLite has a single writer and needs no row locks.
        """
        return self.session.exec(_due(select(Ticket), column, now, limit)).all()

    def list_due_rows(
        self, column: str, now: datetime, limit: int, columns: Sequence[str]
    ) -> Sequence[Row[Any]]:
        """Return the due tickets as `list_due` does, as plain rows of their id and `columns`.

        For sweeps that only read the tickets: a row costs a fraction of a model object.
        """
        table = Ticket.__table__  # type: ignore[attr-defined]
        wanted = select(table.c.id, *(table.c[name] for name in columns))
        return self.session.execute(_due(wanted, column, now, limit)).all()

    def list_queue(self, groups: Iterable[str], statuses: Iterable[str]) -> Sequence[Ticket]:
        """Return unassigned tickets of the groups, most urgent and oldest first."""
        statement = (
            select(Ticket)
            .where(
                col(Ticket.group_name).in_(list(groups)),
                col(Ticket.assignee_id).is_(None),
                col(Ticket.status).in_(list(statuses)),
            )
            .order_by(col(Ticket.priority), col(Ticket.created_at), col(Ticket.id))
            .limit(50)
        )
        return self.session.exec(statement).all()

    def list_assigned(self, agent_id: int, statuses: Iterable[str]) -> Sequence[Ticket]:
        statement = (
            select(Ticket)
            .where(Ticket.assignee_id == agent_id, col(Ticket.status).in_(list(statuses)))
            .order_by(col(Ticket.priority), col(Ticket.created_at), col(Ticket.id))
            .limit(50)
        )
        return self.session.exec(statement).all()

    def count_assigned(self, agent_ids: Iterable[int], statuses: Iterable[str]) -> dict[int, int]:
        """Return how many tickets in the given states each agent holds."""
        ids = list(agent_ids)
        statement = (
            select(Ticket.assignee_id, func.count())
            .where(col(Ticket.assignee_id).in_(ids), col(Ticket.status).in_(list(statuses)))
            .group_by(col(Ticket.assignee_id))
        )
        counts = {agent_id: 0 for agent_id in ids}
        for agent_id, count in self.session.exec(statement).all():
            if agent_id is not None:
                counts[agent_id] = count
        return counts

    def list_former_assignees(self, ticket_id: int) -> set[int]:
        """Return everyone the ticket was ever assigned to, from its history."""
        statement = select(TicketEvent.before, TicketEvent.after).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.field == "assignee"
        )
        ids: set[int] = set()
        for before, after in self.session.exec(statement).all():
            ids.update(value for value in (before, after) if isinstance(value, int))
        return ids

    def add_event(self, row: dict[str, Any]) -> int:
        """Write a history row at once with a plain INSERT, and return its id.

        Changes the session holds are not flushed first: the row names its ticket by id and
        reads nothing else, and those changes are written with the session's next query.
        """
        return int(self.session.connection().execute(_INSERT_EVENT, row).scalar_one())

    def list_events(
        self, ticket_id: int, *, public_only: bool = False, limit: int | None = None
    ) -> Sequence[TicketEvent]:
        """Return a ticket's history, oldest first; with a limit, the newest rows of it."""
        statement = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        if public_only:
            statement = statement.where(col(TicketEvent.public).is_(True))
        if limit is None:
            return self.session.exec(statement.order_by(col(TicketEvent.id))).all()
        newest = self.session.exec(statement.order_by(col(TicketEvent.id).desc()).limit(limit))
        return list(reversed(newest.all()))


class SurveyStore:
    """Satisfaction polls and their answers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_for_ticket(self, ticket_id: int) -> Survey | None:
        return self.session.exec(select(Survey).where(Survey.ticket_id == ticket_id)).first()

    def add(self, survey: Survey) -> Survey:
        self.session.add(survey)
        self.session.flush()
        return survey

    def list_polled(self, ticket_ids: Iterable[int]) -> set[int]:
        """Return which of the given tickets already have a poll."""
        ids = list(ticket_ids)
        if not ids:
            return set()
        statement = select(Survey.ticket_id).where(col(Survey.ticket_id).in_(ids))
        return set(self.session.exec(statement).all())

    def add_asked(self, asked: Iterable[tuple[int, int]], at: datetime) -> None:
        """Record polls asked at `at`, as (ticket id, requester id) pairs, in one statement."""
        rows = [
            {"ticket_id": ticket_id, "person_id": person_id, "asked_at": at}
            for ticket_id, person_id in asked
        ]
        # A plain statement: the unit of work's bulk insert costs more than the insert.
        insert_rows(self.session.connection(), _SURVEY_TABLE, rows)


class ConversationStore:
    """Where each person's conversation in each chat stands.

    Conversations are written with plain statements, not through the session's unit of work:
    every message writes one, and the unit of work's bookkeeping costs more than the write.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(
        self,
        person_id: int,
        chat_key: str,
        saved: SavedConversation | None,
        *,
        flow: str,
        step: str,
        data: dict[str, Any],
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Write where a conversation stands: the saved row, or a new one when it has none.

        A saved row that went meanwhile (a cleanup took it) is written anew as well.
        """
        values = {
            "flow": flow,
            "step": step,
            "data": data,
            "updated_at": now,
            "expires_at": expires_at,
        }
        connection = self.session.connection()
        if saved is not None:
            result = connection.execute(
                _UPDATE_CONVERSATION, {"conversation_id": saved.id, **values}
            )
            if result.rowcount == 1:
                return
        connection.execute(
            _INSERT_CONVERSATION, {"person_id": person_id, "chat_key": chat_key, **values}
        )

    def remove(self, saved: SavedConversation) -> None:
        """Delete a conversation that ended."""
        self.session.connection().execute(_DELETE_CONVERSATION, {"conversation_id": saved.id})

    def delete_expired(self, now: datetime) -> int:
        result = self.session.execute(
            delete(Conversation).where(col(Conversation.expires_at) < now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class OutboxStore:
    """Proactive messages waiting to be sent."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_by_key(self, key: str) -> OutboxMessage | None:
        return self.session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()

    def list_pending(
        self, channel: str, recipient_id: int, now: datetime, limit: int = 50
    ) -> Sequence[OutboxMessage]:
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.status == "pending",
                col(OutboxMessage.due_at) <= now,
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return self.session.exec(statement).all()

    def queue(self, message: QueuedMessage) -> None:
        """Queue a message once per key, written with the session's next query or commit."""
        queue(self.session, message)

    def add(self, message: OutboxMessage) -> OutboxMessage:
        """Queue a message once: a second message with the same key returns the first."""
        existing = self.get_by_key(message.key)
        if existing is not None:
            return existing
        self.session.add(message)
        self.session.flush()
        return message
