"""The agent workbench on every backend: the claim race, automatic assignment and access."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.clock import FixedClock
from desk.directory import Directory, PersonEntry
from desk.errors import AccessDenied, Conflict
from desk.rules import Rules
from desk.teams import Assignment, GroupSettings, Teams
from desk.tickets import TicketDraft
from desk.vocabulary import Impact, Role, Status, Urgency
from desk.work import Workbench
from storage.database import unit_of_work
from storage.models import Person, Ticket
from storage.stores import PersonStore

DRAFT = TicketDraft(
    symptom="printer jams on every page", impact=Impact.TEAM, urgency=Urgency.DIFFICULT
)
AGENTS = [f"agent{index}@example.com" for index in range(8)]


def _teams(assignment: Assignment = Assignment.NONE) -> Teams:
    groups = dict(Teams().groups)
    groups["service-desk"] = GroupSettings(level="L1", assignment=assignment)
    return Teams(groups=groups)


def _people(engine: Engine, clock: FixedClock, on_duty: set[str] = frozenset()) -> None:
    with unit_of_work(engine) as session:
        directory = Directory(session, clock)
        directory.upsert(PersonEntry(email="alex@example.com", name="Alex"))
        directory.upsert(
            PersonEntry(
                email="nina@example.com", name="Nina", roles=(Role.AGENT,), groups=("network",)
            )
        )
        for email in AGENTS:
            entry = PersonEntry(
                email=email,
                name=email.split("@")[0],
                roles=(Role.AGENT,),
                groups=("service-desk",),
            )
            directory.upsert(entry)
            person = directory.store.get_by_email(email)
            assert person is not None
            person.on_duty = email in on_duty


def _person(session: Session, email: str) -> Person:
    person = PersonStore(session).get_by_email(email)
    assert person is not None
    return person


def _open(engine: Engine, clock: FixedClock, teams: Teams, count: int = 1) -> list[str]:
    numbers = []
    with unit_of_work(engine) as session:
        bench = Workbench(session, Rules(teams=teams), clock)
        for _ in range(count):
            numbers.append(
                bench.desk.open_ticket(_person(session, "alex@example.com"), DRAFT).number
            )
    return numbers


@pytest.fixture
def people(engine: Engine, clock: FixedClock) -> None:
    _people(engine, clock)


def _claim(
    engine: Engine,
    clock: FixedClock,
    email: str,
    number: str,
    *,
    start: threading.Barrier,
    results: dict[str, str],
) -> None:
    start.wait(timeout=10)
    try:
        with unit_of_work(engine) as session:
            Workbench(session, Rules(teams=_teams()), clock).claim(_person(session, email), number)
        results[email] = "won"
    except Conflict as error:
        results[email] = str(error)


@pytest.mark.usefixtures("people")
def test_when_eight_agents_claim_at_once_exactly_one_wins(
    engine: Engine, clock: FixedClock
) -> None:
    for number in _open(engine, clock, _teams(), count=5):
        results: dict[str, str] = {}
        start = threading.Barrier(len(AGENTS))
        threads = [
            threading.Thread(
                target=_claim,
                args=(engine, clock, email, number),
                kwargs={"start": start, "results": results},
            )
            for email in AGENTS
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        winners = [email for email, outcome in results.items() if outcome == "won"]
        assert len(results) == len(AGENTS)
        assert len(winners) == 1
        winner = winners[0].split("@")[0]
        losers = {outcome for email, outcome in results.items() if email != winners[0]}
        assert losers == {f"{number} is already taken by {winner}."}
        with Session(engine) as session:
            claimed = session.exec(select(Ticket).where(Ticket.number == number)).one()
            assert (claimed.status, claimed.assignee_id) == (
                Status.IN_PROGRESS,
                _person(session, winners[0]).id,
            )


@pytest.mark.parametrize("assignment", [Assignment.ROUND_ROBIN, Assignment.LEAST_LOADED])
def test_automatic_assignment_shares_tickets_among_agents_on_duty(
    engine: Engine, clock: FixedClock, assignment: Assignment
) -> None:
    _people(engine, clock, on_duty={AGENTS[1], AGENTS[2], AGENTS[3]})

    numbers = _open(engine, clock, _teams(assignment), count=6)

    with Session(engine) as session:
        tickets = session.exec(select(Ticket).where(col(Ticket.number).in_(numbers))).all()
        owners = [
            _email(session, ticket.assignee_id)
            for ticket in sorted(tickets, key=lambda t: t.id or 0)
        ]
    assert owners == [AGENTS[1], AGENTS[2], AGENTS[3]] * 2
    assert {ticket.status for ticket in tickets} == {Status.TRIAGED}


def _email(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id)
    return person.email if person else ""


@pytest.mark.usefixtures("people")
def test_nobody_on_duty_leaves_the_ticket_in_the_queue(engine: Engine, clock: FixedClock) -> None:
    [number] = _open(engine, clock, _teams(Assignment.ROUND_ROBIN))

    with Session(engine) as session:
        groups, queue = Workbench(session, Rules(teams=_teams()), clock).queue(
            _person(session, AGENTS[0])
        )

    assert (groups, [t.number for t in queue]) == (["service-desk"], [number])


@pytest.mark.usefixtures("people")
def test_agents_outside_the_group_and_employees_are_refused(
    engine: Engine, clock: FixedClock
) -> None:
    [number] = _open(engine, clock, _teams())

    with Session(engine) as session:
        bench = Workbench(session, Rules(teams=_teams()), clock)
        with pytest.raises(AccessDenied, match="only that group's members, its leads and admins"):
            bench.claim(_person(session, "nina@example.com"), number)
        with pytest.raises(AccessDenied, match="you are not on the support team"):
            bench.claim(_person(session, "alex@example.com"), number)
        with pytest.raises(AccessDenied, match="not a member, a lead or an admin of 'network'"):
            bench.queue(_person(session, AGENTS[0]), "network")
