"""SQLModel tables: the directory, tickets and their history, conversations and the outbox.

Enumerated values (states, priorities, roles) are stored as their string values; the domain
owns the enums. Every time is stored as UTC and read back as an aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def stored_utc(value: datetime | None) -> datetime | None:
    """A time as the columns hold it, naive UTC; a time without a time zone is refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given; times must carry a time zone")
    return value.astimezone(UTC).replace(tzinfo=None)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as aware UTC on every backend."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return stored_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# The timers a sweep looks for due tickets by. Their indexes hold only the tickets whose timer
# is set: a sweep asks for set values alone, and a ticket whose timer is empty, as most are,
# costs no index entry when it is written.
TIMERS = ("sla_check_at", "ping_at", "reminder_at", "close_at", "poll_at")


def _timer_index(name: str) -> Index:
    where = text(f"{name} IS NOT NULL")
    return Index(f"ix_ticket_{name}", name, postgresql_where=where, sqlite_where=where)


def _time() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


class Person(SQLModel, table=True):
    """Someone in the directory: an employee, an agent, a lead or an admin."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=200)
    department: str = Field(default="", max_length=200)
    time_zone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=16)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    on_duty: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Membership(SQLModel, table=True):
    """A person's membership of a support group."""

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    group_name: str = Field(primary_key=True, max_length=64, index=True)
    last_assigned_at: datetime | None = _time()


class Identity(SQLModel, table=True):
    """A platform account (Slack user, Telegram user, console e-mail) that is a person."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=200)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Ticket(SQLModel, table=True):
    """One reported problem, from intake to closure."""

    __table_args__ = (
        Index("ix_ticket_requester_status", "requester_id", "status"),
        *(_timer_index(name) for name in TIMERS),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(default="", max_length=32, unique=True, index=True)
    requester_id: int = Field(foreign_key="person.id")
    title: str = Field(max_length=200)
    symptom: str = Field(default="")
    since_text: str = Field(default="", max_length=500)
    since_at: datetime | None = _time()
    device: str = Field(default="", max_length=500)
    tried: str = Field(default="")
    category: str | None = Field(default=None, max_length=64)
    impact: str = Field(max_length=32)
    urgency: str = Field(max_length=32)
    priority: str = Field(max_length=8)
    status: str = Field(max_length=32, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    group_name: str | None = Field(default=None, max_length=64, index=True)
    vendor: str | None = Field(default=None, max_length=100)
    vendor_ref: str | None = Field(default=None, max_length=200)
    resolution: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    first_response_at: datetime | None = _time()
    resolved_at: datetime | None = _time()
    closed_at: datetime | None = _time()
    # Timers: each is the next moment a sweep must look at the ticket, or empty.
    response_due_at: datetime | None = _time()
    resolution_due_at: datetime | None = _time()
    sla_check_at: datetime | None = _time()
    ping_at: datetime | None = _time()
    reminder_at: datetime | None = _time()
    close_at: datetime | None = _time()
    poll_at: datetime | None = _time()
    # While the clock is paused (waiting on the requester): since when.
    paused_at: datetime | None = _time()
    # Service-level events already fired, such as "response:warn:75" or "resolution:breach".
    sla_fired: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_public_at: datetime | None = _time()
    # Articles offered during intake, and whether one ended the problem without a ticket.
    offered_articles: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class TicketView(Protocol):
    """A ticket as read, never changed: a loaded `Ticket`, or a row of some of its columns.

    Sweeps read thousands of due tickets as plain rows, which cost a fraction of model
    objects; code that only reads a ticket takes this. A row lacking a column that is read
    raises AttributeError, and a row cannot be assigned to: change tickets through `Ticket`
    or a sweep's `TicketWrites`.
    """

    id: int | None
    number: str
    title: str
    requester_id: int
    priority: str
    status: str
    assignee_id: int | None
    group_name: str | None
    resolution: str | None
    first_response_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused_at: datetime | None
    sla_fired: list[str]
    sla_check_at: datetime | None
    ping_at: datetime | None
    reminder_at: datetime | None
    poll_at: datetime | None


class TicketEvent(SQLModel, table=True):
    """One append-only row of a ticket's history: who did what, from what, to what, when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=32)
    field: str | None = Field(default=None, max_length=64)
    before: Any = Field(default=None, sa_column=Column(JSON))
    after: Any = Field(default=None, sa_column=Column(JSON))
    note: str | None = Field(default=None)
    public: bool = Field(default=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Survey(SQLModel, table=True):
    """A satisfaction poll about one closed ticket, and the requester's answer."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    asked_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    rating: int | None = Field(default=None)
    comment: str | None = Field(default=None)
    answered_at: datetime | None = _time()


class JobRun(SQLModel, table=True):
    """When a scheduled job last ran, what it did, and when it runs next."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True, max_length=64)
    last_started_at: datetime | None = _time()
    last_finished_at: datetime | None = _time()
    last_result: str = Field(default="", max_length=500)
    next_run_at: datetime | None = _time()


class KbArticle(SQLModel, table=True):
    """A knowledge-base article as indexed: its text, and the terms search compares with."""

    __tablename__ = "kb_article"

    id: str = Field(primary_key=True, max_length=100)
    title: str = Field(max_length=300)
    category: str = Field(max_length=64, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en", max_length=16)
    audience: str = Field(default="employees", max_length=16)
    last_reviewed: str = Field(default="", max_length=32)
    body: str = Field(default="")
    path: str = Field(default="", max_length=500)
    digest: str = Field(max_length=64)
    # Space-separated search terms (English stems, Chinese bigrams): title and tags, and all.
    title_terms: str = Field(default="")
    terms: str = Field(default="")
    indexed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # SQLite only: the row of kb_fts that holds this article's text.
    text_rowid: int | None = Field(default=None, unique=True, index=True)


class KbRating(SQLModel, table=True):
    """An employee's verdict on an article offered to them, and where it was offered."""

    __tablename__ = "kb_rating"

    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(max_length=100, index=True)
    person_id: int = Field(foreign_key="person.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    helped: bool
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class KbDraft(SQLModel, table=True):
    """An article drafted from a resolved ticket, waiting for a lead to publish it."""

    __tablename__ = "kb_draft"

    id: str = Field(primary_key=True, max_length=100)
    ticket_id: int = Field(foreign_key="ticket.id")
    author_id: int = Field(foreign_key="person.id")
    title: str = Field(max_length=300)
    category: str = Field(max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en", max_length=16)
    body: str = Field(default="")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    published_at: datetime | None = _time()
    published_by: int | None = Field(default=None, foreign_key="person.id")


class Conversation(SQLModel, table=True):
    """Where a person's conversation in one chat stands, so any process can go on with it."""

    __table_args__ = (UniqueConstraint("person_id", "chat_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    chat_key: str = Field(max_length=200)
    flow: str = Field(max_length=64)
    step: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class OutboxMessage(SQLModel, table=True):
    """A proactive message waiting to be sent, written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=32)
    recipient_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    address: str = Field(default="", max_length=320)
    template: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _time()
    last_error: str | None = Field(default=None, max_length=1000)
