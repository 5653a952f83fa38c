from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from desk.clock import FixedClock
from desk.directory import Directory, PersonEntry
from desk.errors import AccessDenied, IllegalTransition, InvalidInput, TicketNotFound
from desk.rules import Rules
from desk.tickets import TicketDesk, TicketDraft, make_title
from desk.vocabulary import Action, Impact, Move, Priority, Role, Status, Urgency
from storage.models import Person


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def desk(session: Session, clock: FixedClock) -> TicketDesk:
    return TicketDesk(session, Rules(), clock)


def _person(session: Session, clock: FixedClock, email: str) -> Person:
    directory = Directory(session, clock)
    name = email.split("@", maxsplit=1)[0]
    directory.upsert(PersonEntry(email=email, name=name, roles=(Role.EMPLOYEE,)))
    person = directory.store.get_by_email(email)
    assert person is not None
    return person


@pytest.fixture
def alex(session: Session, clock: FixedClock) -> Person:
    return _person(session, clock, "alex@example.com")


@pytest.fixture
def mei(session: Session, clock: FixedClock) -> Person:
    return _person(session, clock, "mei@example.com")


DRAFT = TicketDraft(
    symptom="VPN keeps dropping every ten minutes. It started after the update.",
    impact=Impact.TEAM,
    urgency=Urgency.BLOCKED,
    since_text="this morning",
    device="VPN",
    tried="rebooted",
)


def test_open_ticket_numbers_prioritises_and_records_creation(
    desk: TicketDesk, alex: Person, clock: FixedClock
) -> None:
    first = desk.open_ticket(alex, DRAFT)
    second = desk.open_ticket(alex, DRAFT)

    assert (first.number, second.number) == ("HD-1", "HD-2")
    assert first.priority == Priority.P2
    assert first.status == Status.NEW
    assert first.title == "VPN keeps dropping every ten minutes."
    assert first.created_at == clock.now()
    events = desk.history(first, public_only=False)
    assert [(e.action, e.actor_id, e.after["priority"]) for e in events] == [
        (Action.CREATED, alex.id, "P2")
    ]


def test_masked_credentials_are_recorded_by_kind_only(desk: TicketDesk, alex: Person) -> None:
    draft = TicketDraft(
        symptom="cannot log in, my password is [masked password]",
        impact=Impact.JUST_ME,
        urgency=Urgency.BLOCKED,
        masked=("password",),
    )

    ticket = desk.open_ticket(alex, draft)

    masked = [e for e in desk.history(ticket, public_only=False) if e.action == Action.MASKED]
    assert [(e.after, e.note) for e in masked] == [({"kinds": ["password"]}, None)]


def test_requester_sees_only_own_tickets(desk: TicketDesk, alex: Person, mei: Person) -> None:
    mine = desk.open_ticket(alex, DRAFT)
    theirs = desk.open_ticket(mei, DRAFT)

    assert [t.number for t in desk.list_open(alex)] == [mine.number]
    assert desk.get_own(alex, "hd1").number == mine.number
    with pytest.raises(AccessDenied, match="HD-2 is not one of your tickets"):
        desk.get_own(alex, theirs.number)
    with pytest.raises(TicketNotFound, match="There is no ticket HD-99"):
        desk.get_own(alex, "HD-99")


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("HD-12", "HD-12"),
        ("hd12", "HD-12"),
        ("#12", "HD-12"),
        ("12", "HD-12"),
        ("HD 012", "HD-12"),
    ],
)
def test_ticket_numbers_are_accepted_in_any_spelling(
    desk: TicketDesk, reference: str, expected: str
) -> None:
    assert desk.normalise_number(reference) == expected


@pytest.mark.parametrize("reference", ["XY-12", "twelve", "HD-", ""])
def test_bad_ticket_numbers_are_named(desk: TicketDesk, reference: str) -> None:
    with pytest.raises(InvalidInput, match=f"'{reference}' is not a ticket number like HD-12"):
        desk.normalise_number(reference)


def test_moves_are_recorded_and_illegal_ones_refused(desk: TicketDesk, alex: Person) -> None:
    ticket = desk.open_ticket(alex, DRAFT)

    desk.move(ticket, Move.START, alex)
    desk.move(ticket, Move.RESOLVE, alex, "replaced the VPN profile")

    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None
    statuses = [(e.before, e.after, e.note) for e in desk.history(ticket, public_only=False)[1:]]
    assert statuses == [
        ("new", "in_progress", None),
        ("in_progress", "resolved", "replaced the VPN profile"),
    ]
    with pytest.raises(IllegalTransition, match="HD-1 is resolved; it cannot be moved by 'start'"):
        desk.move(ticket, Move.START, alex)


def test_comments_go_to_history_and_closed_tickets_take_none(
    desk: TicketDesk, alex: Person
) -> None:
    ticket = desk.open_ticket(alex, DRAFT)

    desk.add_comment(alex, ticket, "it also drops on the office Wi-Fi")
    desk.move(ticket, Move.CANCEL, alex, "duplicate")

    notes = [e.note for e in desk.history(ticket, public_only=True) if e.action == Action.COMMENT]
    assert notes == ["it also drops on the office Wi-Fi"]
    with pytest.raises(InvalidInput, match="HD-1 is cancelled; it takes no more comments"):
        desk.add_comment(alex, ticket, "hello?")


def test_history_rows_cannot_be_changed_or_deleted(
    desk: TicketDesk, alex: Person, session: Session
) -> None:
    ticket = desk.open_ticket(alex, DRAFT)
    session.commit()

    for statement in ("UPDATE ticket_event SET note = 'edited'", "DELETE FROM ticket_event"):
        with pytest.raises(Exception, match="ticket history is append-only"):
            session.execute(text(statement))
        session.rollback()

    assert len(desk.history(ticket, public_only=False)) == 1


def test_history_limit_returns_the_newest_rows_oldest_first(
    desk: TicketDesk, alex: Person
) -> None:
    ticket = desk.open_ticket(alex, DRAFT)
    for index in range(4):
        desk.add_comment(alex, ticket, f"update {index}")

    latest = desk.history(ticket, public_only=True, limit=2)

    assert [e.note for e in latest] == ["update 2", "update 3"]


@pytest.mark.parametrize(
    ("symptom", "expected"),
    [
        ("outlook crashes. every time I open it", "Outlook crashes."),
        ("x" * 100, "X" + "x" * 78 + "…"),
        ("打印机不能用。昨天开始", "打印机不能用。"),
    ],
)
def test_titles_are_the_first_sentence(symptom: str, expected: str) -> None:
    assert make_title(symptom) == expected
