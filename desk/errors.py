"""Every error the helpdesk raises on purpose, in one tree.

::

    HelpdeskError
    ├── ConfigError            config.yaml is missing, unreadable or invalid
    ├── DatabaseError
    │   ├── DatabaseUnavailable   the database cannot be reached
    │   └── SchemaOutOfDate       the schema is older (or newer) than this code
    ├── UnknownPerson          nobody in the directory matches an identity
    ├── AccessDenied           a person asked for something that is not theirs
    ├── TicketNotFound         no ticket has that number
    ├── IllegalTransition      a ticket cannot make that move from its state
    ├── Conflict               someone else changed the ticket first (a lost claim race)
    └── InvalidInput           a message, a file or an argument cannot be used

Each message names the offending value, so it can be shown to a person as it is.
"""

from __future__ import annotations


class HelpdeskError(Exception):
    """Root of every error the helpdesk raises on purpose."""


class ConfigError(HelpdeskError):
    """The configuration cannot be used."""


class DatabaseError(HelpdeskError):
    """The database cannot be used."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached."""


class SchemaOutOfDate(DatabaseError):
    """The database schema does not match this version of the code."""


class UnknownPerson(HelpdeskError):
    """Nobody in the directory matches an identity."""


class AccessDenied(HelpdeskError):
    """A person asked for something they may not see or change."""


class TicketNotFound(HelpdeskError):
    """No ticket has the given number."""


class IllegalTransition(HelpdeskError):
    """A ticket cannot make the requested move from its current state."""

    def __init__(self, number: str, status: str, move: str) -> None:
        super().__init__(f"Ticket {number} is {status}; it cannot be moved by '{move}'.")
        self.number = number
        self.status = status
        self.move = move


class Conflict(HelpdeskError):
    """Someone else changed the ticket first, such as another agent winning a claim."""


class InvalidInput(HelpdeskError):
    """A message, a file or an argument cannot be used."""
