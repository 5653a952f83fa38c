"""The outbox: messages queued with the change that caused them, then a work queue of them.

Queued messages wait on the session and go to the table in one statement, so a sweep that
queues thousands pays for one round trip per batch instead of two per message. The dispatcher
side claims due messages under a lease and records each delivery.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypedDict

from sqlalchemy import String, Table, cast, event, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, Person
from storage.recordsets import as_documents, insert_from_json

logger = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"

# Console rows are pulled by the console adapter itself, never pushed by a dispatcher.
CONSOLE_CHANNEL = "console"
ADMIN_ROLE = "admin"
DELIVERY_FAILED_TEMPLATE = "notify/delivery_failed"

_KEY_LENGTH = 200
_ERROR_LENGTH = 1000
_CLAIM_TRIES = 3
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
# Where a session keeps the messages it queued and has not written yet, by key.
_QUEUED = "outbox.queued"


class QueuedMessage(TypedDict):
    """A message to queue: the outbox row's columns that its sender chooses."""

    key: str
    channel: str
    recipient_id: int | None
    address: str
    template: str
    payload: dict[str, Any]
    due_at: datetime
    created_at: datetime


_QUEUED_COLUMNS = tuple(QueuedMessage.__annotations__)


def queue(session: Session, message: QueuedMessage) -> None:
    """Queue a message in the session's transaction; a key is queued once, however often.

    The message is written before the session's next query or commit, together with every
    other message queued by then, in one INSERT that skips keys the table already holds (also
    keys another transaction wrote meanwhile). A rollback drops what was not written yet.
    """
    session.info.setdefault(_QUEUED, {}).setdefault(message["key"], message)


def write_queued(session: OrmSession) -> int:
    """Write the session's queued messages now; return how many were waiting."""
    queued: dict[str, QueuedMessage] | None = session.info.get(_QUEUED)
    if not queued:
        return 0

    # Status and attempts take the columns' defaults: pending, never tried.
    rows = list(queued.values())
    queued.clear()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        documents = as_documents(_OUTBOX, _QUEUED_COLUMNS, rows)
        connection.execute(_insert_documents_new_keys(), documents)
    else:
        connection.execute(_insert_new_keys(connection.dialect.name), rows)
    logger.debug("Queued messages written count=%s", len(rows))
    return len(rows)


@cache
def _insert_documents_new_keys() -> Insert:
    """On PostgreSQL: the rows as one JSON document, in one INSERT that skips known keys."""
    statement = insert_from_json(_OUTBOX, _QUEUED_COLUMNS)
    return statement.on_conflict_do_nothing(index_elements=["key"])


def _insert_new_keys(dialect: str) -> Insert:
    """An INSERT that skips keys already in the table, sent once for many rows."""
    outbox: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(outbox).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite.insert(outbox).on_conflict_do_nothing(index_elements=["key"])
    raise ValueError(f"the outbox cannot queue messages on {dialect}")


# Every session is watched, from the class: listening on each session as it first queues a
# message cost more than the insert it saves. A session with nothing queued passes through.


@event.listens_for(OrmSession, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """Write queued messages before the session reads, so the read sees them."""
    if state.session.info.get(_QUEUED):
        write_queued(state.session)


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    if session.info.get(_QUEUED):
        write_queued(session)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget(session: OrmSession, _previous: SessionTransaction) -> None:
    """A rollback drops the messages that were not written yet."""
    queued = session.info.get(_QUEUED)
    if queued:
        logger.debug("Queued messages dropped by a rollback count=%s", len(queued))
        queued.clear()


@event.listens_for(OrmSession, "after_transaction_create")
def _refuse_savepoint(session: OrmSession, transaction: SessionTransaction) -> None:
    # Messages written inside a savepoint vanish with its rollback, and ones still waiting
    # cannot be written outside it; nothing in the product takes savepoints, so refuse.
    if transaction.nested and session.info.get(_QUEUED):
        raise RuntimeError("write_queued() the queued outbox messages before a savepoint")


class OutboxQueue:
    """Claims, leases and outcomes of outbox rows; takes an open session and never commits.

    A claimed row is marked ``sending`` and its ``due_at`` becomes the lease expiry; its
    ``attempts`` (raised by one per claim) identifies the claim, so an outcome reported by a
    dispatcher whose lease was taken over is ignored instead of undoing the newer claim.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_due(
        self, channels: Collection[str], now: datetime, limit: int, lease: timedelta
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due rows of the channels, oldest first, for ``lease``.

        Due rows are pending rows whose time has come and sending rows whose lease expired
        (their dispatcher died mid-send). The caller commits at once and sends afterwards.
        """
        wanted = sorted(set(channels) - {CONSOLE_CHANNEL})
        if not wanted or limit <= 0:
            return []

        # Without row locks (SQLite) another process may take every row we picked before our
        # update does; picking again is cheaper than a dispatcher idling with work waiting.
        for _ in range(_CLAIM_TRIES):
            candidates = self._due_ids(wanted, now, limit)
            claimed = self._lease(candidates, wanted, now, lease)
            if claimed or not candidates:
                return claimed
        return []

    def _lease(
        self, candidates: list[int], channels: list[str], now: datetime, lease: timedelta
    ) -> list[OutboxMessage]:
        if not candidates:
            return []

        # The update repeats the due condition, so a row claimed by someone else since our
        # select is not taken twice.
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(candidates), *_due(channels, now))
            .values(status=SENDING, due_at=now + lease, attempts=col(OutboxMessage.attempts) + 1)
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        claimed = {row.id: row for row in self.session.exec(statement).scalars().all()}

        return [claimed[row_id] for row_id in candidates if row_id in claimed]

    def _due_ids(self, channels: list[str], now: datetime, limit: int) -> list[int]:
        statement = (
            select(OutboxMessage.id)
            .where(*_due(channels, now))
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return [row_id for row_id in self.session.exec(statement).all() if row_id is not None]

    def mark_sent(self, message_id: int, now: datetime) -> bool:
        """Record a delivery; delivered is the truth, whoever holds the lease now."""
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) != SENT)
            .values(status=SENT, sent_at=now)
        )
        return self._changed(statement)

    def retry_later(
        self, message_id: int, due_at: datetime, error: str, *, attempt: int | None = None
    ) -> bool:
        """Put a claimed row back to pending, due again at ``due_at``; its attempt counts."""
        statement = (
            update(OutboxMessage)
            .where(*_held(message_id, attempt))
            .values(status=PENDING, due_at=due_at, last_error=error[:_ERROR_LENGTH])
        )
        return self._changed(statement)

    def release(self, message_id: int, due_at: datetime, *, attempt: int | None = None) -> bool:
        """Give back a claimed row that was never tried, with its attempt, due at ``due_at``."""
        statement = (
            update(OutboxMessage)
            .where(*_held(message_id, attempt))
            .values(status=PENDING, due_at=due_at, attempts=col(OutboxMessage.attempts) - 1)
        )
        return self._changed(statement)

    def mark_failed(
        self, message_id: int, now: datetime, error: str, *, attempt: int | None = None
    ) -> bool:
        """Give up on a claimed row for good and say why."""
        statement = (
            update(OutboxMessage)
            .where(*_held(message_id, attempt))
            .values(status=FAILED, due_at=now, last_error=error[:_ERROR_LENGTH])
        )
        return self._changed(statement)

    def _changed(self, statement: Any) -> bool:
        result = self.session.exec(statement)
        return bool(result.rowcount)

    def queue_failure_notices(self, message: OutboxMessage, now: datetime, error: str) -> int:
        """Queue one console notice per active admin about a failed row; return how many."""
        queued = 0
        for admin in self._admins():
            key = _notice_key(message.key, admin.id or 0)
            if self._exists(key):
                continue
            self.session.add(_notice(message, admin, key, now, error))
            queued += 1

        self.session.flush()
        return queued

    def _admins(self) -> list[Person]:
        # Roles are a JSON list: the LIKE narrows the rows on every backend, the check is exact.
        statement = (
            select(Person)
            .where(
                col(Person.active).is_(True),
                cast(col(Person.roles), String).like(f'%"{ADMIN_ROLE}"%'),
            )
            .order_by(col(Person.id))
        )
        return [person for person in self.session.exec(statement) if ADMIN_ROLE in person.roles]

    def _exists(self, key: str) -> bool:
        statement = select(OutboxMessage.id).where(OutboxMessage.key == key)
        return self.session.exec(statement).first() is not None

    def count_by_status(self) -> dict[str, int]:
        """Return how many rows are in each status; statuses without rows are left out."""
        statement = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        return {status: count for status, count in self.session.exec(statement).all()}


def _due(channels: list[str], now: datetime) -> tuple[Any, ...]:
    return (
        col(OutboxMessage.channel).in_(channels),
        col(OutboxMessage.status).in_((PENDING, SENDING)),
        col(OutboxMessage.due_at) <= now,
    )


def _held(message_id: int, attempt: int | None) -> tuple[Any, ...]:
    conditions: tuple[Any, ...] = (
        col(OutboxMessage.id) == message_id,
        col(OutboxMessage.status) == SENDING,
    )
    if attempt is None:
        return conditions
    return (*conditions, col(OutboxMessage.attempts) == attempt)


def _notice_key(failed_key: str, admin_id: int) -> str:
    key = f"delivery_failed:{failed_key}:{admin_id}"
    if len(key) <= _KEY_LENGTH:
        return key
    # A key too long for the column is replaced by its digest, which stays unique and stable.
    digest = hashlib.sha256(failed_key.encode()).hexdigest()
    return f"delivery_failed:{digest}:{admin_id}"


def _notice(
    message: OutboxMessage, admin: Person, key: str, now: datetime, error: str
) -> OutboxMessage:
    context = {
        "channel": message.channel,
        "address": message.address,
        "message_template": message.template,
        "error": error[:_ERROR_LENGTH],
        "key": message.key,
    }
    return OutboxMessage(
        key=key,
        channel=CONSOLE_CHANNEL,
        recipient_id=admin.id,
        address=admin.email,
        template=DELIVERY_FAILED_TEMPLATE,
        payload={"context": context, "buttons": []},
        due_at=now,
        created_at=now,
    )
