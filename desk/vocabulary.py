"""The words of the domain: ticket states, moves, priorities, impact, urgency and roles."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a ticket stands in its lifecycle."""

    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_USER = "waiting_on_user"
    WAITING_ON_VENDOR = "waiting_on_vendor"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.TRIAGED,
        Status.IN_PROGRESS,
        Status.WAITING_ON_USER,
        Status.WAITING_ON_VENDOR,
        Status.RESOLVED,
    }
)


# Tickets someone is working on or waiting about: what counts towards an agent's load.
ACTIVE_STATUSES = frozenset(
    {
        Status.TRIAGED,
        Status.IN_PROGRESS,
        Status.WAITING_ON_USER,
        Status.WAITING_ON_VENDOR,
    }
)


class Move(StrEnum):
    """A named change of a ticket's state."""

    TRIAGE = "triage"
    START = "start"
    WAIT_ON_USER = "wait_on_user"
    WAIT_ON_VENDOR = "wait_on_vendor"
    RESUME = "resume"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


class Priority(StrEnum):
    """P1 is the most pressing."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Impact(StrEnum):
    """Who is affected."""

    JUST_ME = "just_me"
    TEAM = "team"
    DEPARTMENT = "department"
    COMPANY = "company"


class Urgency(StrEnum):
    """How badly the problem stops work."""

    NORMAL = "normal"
    DIFFICULT = "difficult"
    BLOCKED = "blocked"
    STOPPED = "stopped"


class Role(StrEnum):
    """What a person may do."""

    EMPLOYEE = "employee"
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class Action(StrEnum):
    """What a history row records."""

    CREATED = "created"
    STATUS = "status"
    FIELD = "field"
    COMMENT = "comment"
    MASKED = "masked"
    SLA = "sla"
