"""The ticket state machine: every allowed move, declared once."""

from __future__ import annotations

from desk.errors import IllegalTransition
from desk.vocabulary import Move, Status

_WORKING = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS})
_WAITING = frozenset({Status.WAITING_ON_USER, Status.WAITING_ON_VENDOR})

# Each move: the states it may start from, and the state it leads to.
MOVES: dict[Move, tuple[frozenset[Status], Status]] = {
    Move.TRIAGE: (frozenset({Status.NEW}), Status.TRIAGED),
    Move.START: (frozenset({Status.NEW, Status.TRIAGED}), Status.IN_PROGRESS),
    Move.WAIT_ON_USER: (
        frozenset({Status.IN_PROGRESS, Status.WAITING_ON_VENDOR}),
        Status.WAITING_ON_USER,
    ),
    Move.WAIT_ON_VENDOR: (
        frozenset({Status.IN_PROGRESS, Status.WAITING_ON_USER}),
        Status.WAITING_ON_VENDOR,
    ),
    Move.RESUME: (_WAITING, Status.IN_PROGRESS),
    Move.ESCALATE: (_WORKING | _WAITING, Status.TRIAGED),
    Move.RESOLVE: (_WORKING | _WAITING, Status.RESOLVED),
    Move.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Move.REOPEN: (
        frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED}),
        Status.IN_PROGRESS,
    ),
    Move.CANCEL: (_WORKING | _WAITING, Status.CANCELLED),
}


def target_of(number: str, status: Status, move: Move) -> Status:
    """Return where a move takes a ticket, or raise IllegalTransition naming all three."""
    sources, target = MOVES[move]
    if status not in sources:
        raise IllegalTransition(number, status.value, move.value)
    return target


def moves_from(status: Status) -> list[Move]:
    """Return the moves a ticket in this state may make."""
    return [move for move, (sources, _) in MOVES.items() if status in sources]
