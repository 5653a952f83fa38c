from __future__ import annotations

import pytest

from desk.errors import IllegalTransition
from desk.lifecycle import MOVES, moves_from, target_of
from desk.vocabulary import Move, Status

ALLOWED = [
    (move, source, target) for move, (sources, target) in MOVES.items() for source in sources
]
FORBIDDEN = [
    (move, status)
    for move, (sources, _) in MOVES.items()
    for status in Status
    if status not in sources
]


@pytest.mark.parametrize(("move", "source", "target"), ALLOWED)
def test_allowed_move_reaches_its_target(move: Move, source: Status, target: Status) -> None:
    assert target_of("HD-7", source, move) == target


@pytest.mark.parametrize(("move", "status"), FORBIDDEN)
def test_illegal_move_names_ticket_state_and_move(move: Move, status: Status) -> None:
    with pytest.raises(IllegalTransition) as caught:
        target_of("HD-7", status, move)

    assert (
        str(caught.value)
        == f"Ticket HD-7 is {status.value}; it cannot be moved by '{move.value}'."
    )


def test_the_expected_lifecycle_is_declared() -> None:
    assert target_of("HD-1", Status.NEW, Move.TRIAGE) == Status.TRIAGED
    assert target_of("HD-1", Status.IN_PROGRESS, Move.WAIT_ON_USER) == Status.WAITING_ON_USER
    assert target_of("HD-1", Status.WAITING_ON_VENDOR, Move.RESUME) == Status.IN_PROGRESS
    assert target_of("HD-1", Status.RESOLVED, Move.CLOSE) == Status.CLOSED
    assert target_of("HD-1", Status.CLOSED, Move.REOPEN) == Status.IN_PROGRESS


def test_closed_and_cancelled_tickets_can_only_reopen() -> None:
    assert moves_from(Status.CLOSED) == [Move.REOPEN]
    assert moves_from(Status.CANCELLED) == [Move.REOPEN]
