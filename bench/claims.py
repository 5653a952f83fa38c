"""Benchmark agents racing to claim tickets from one shared queue, on PostgreSQL and SQLite.

Opens --tickets tickets (through TicketDesk.open_ticket, not timed) in the service-desk queue,
then starts --agents threads at once, each an agent of the service-desk group. Every agent
loops until the queue is empty: it lists the queue (Workbench.queue), tries to claim the
first few tickets in order (Workbench.claim) and, when told another agent has one (Conflict),
tries the next; after a win it looks at the queue again. Each queue look and each claim is
its own transaction on its own pooled connection, as each chat message is in the bot.

Afterwards the ticket history (the "assignee" events) and the ticket rows are checked: every
ticket must have been claimed exactly once, by the agent its row names. A ticket claimed twice,
or a row that disagrees with its history, counts as a double claim and fails the run (exit 1);
so does a ticket left unclaimed.

Usage (from the repository root):

    .venv/bin/python bench/claims.py
    .venv/bin/python bench/claims.py --agents 8 --tickets 400 --backend sqlite
    .venv/bin/python bench/claims.py --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

stdout gets one JSON object per backend; stderr gets progress. The PostgreSQL database
(helpdesk_bench_<random>) is created on the server of --postgres-url and always dropped, also
on Ctrl-C; the SQLite file lives in a temporary directory. A run that passes --limit seconds
(600) stops with a message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import print_machine  # noqa: E402
from bench.throwaway import POSTGRES_ADMIN_URL, database, require_loopback  # noqa: E402
from bot.config import load_config  # noqa: E402
from desk.clock import FixedClock  # noqa: E402
from desk.directory import Directory, PersonEntry  # noqa: E402
from desk.errors import Conflict  # noqa: E402
from desk.rules import Rules  # noqa: E402
from desk.tickets import TicketDraft  # noqa: E402
from desk.vocabulary import Impact, Role, Status, Urgency  # noqa: E402
from desk.work import Workbench  # noqa: E402
from storage.database import unit_of_work  # noqa: E402
from storage.models import Person, Ticket, TicketEvent  # noqa: E402
from storage.stores import PersonStore  # noqa: E402

logger = logging.getLogger("bench.claims")

CONFIG = ROOT / "config.yaml"
DOMAIN = "bench.example.com"
GROUP = "service-desk"
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # a Thursday morning
LIMIT_SECONDS = 600
FIRST_FEW = 3  # how far down the queue an agent tries before looking at it again
REQUESTERS = 40
OPEN_BATCH = 100  # tickets opened per transaction while preparing
START_TIMEOUT = 30

# Symptoms that no routing rule sends elsewhere: with no category, they stay in first line.
_SYMPTOMS = (
    "printer jams on every page",
    "my vpn keeps dropping",
    "outlook will not start",
    "teams crashes when I share my screen",
    "the laptop is very slow since the update",
    "cannot open the shared drive",
    "my second monitor stays black",
    "locked out after the password change",
)
_LEVELS = (
    (Impact.JUST_ME, Urgency.DIFFICULT),
    (Impact.JUST_ME, Urgency.BLOCKED),
    (Impact.TEAM, Urgency.DIFFICULT),
    (Impact.JUST_ME, Urgency.NORMAL),
    (Impact.DEPARTMENT, Urgency.BLOCKED),
)


class BenchmarkTimeout(Exception):
    """The run took longer than --limit allows."""


class VerificationFailed(Exception):
    """A ticket was claimed twice, or not at all."""


@dataclass(frozen=True)
class Deadline:
    """When the whole job must have finished."""

    at: float
    limit: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.perf_counter() + seconds, seconds)

    def left(self) -> float:
        return max(self.at - time.perf_counter(), 0.0)

    def check(self, advice: str) -> None:
        """Raise BenchmarkTimeout once the limit has passed."""
        if time.perf_counter() > self.at:
            raise BenchmarkTimeout(f"passed the {self.limit:.0f} s limit; {advice}")


# --- preparing (not timed) ----------------------------------------------------------------


def agent_emails(count: int) -> list[str]:
    return [f"agent{number:02d}@{DOMAIN}" for number in range(count)]


def requester_emails() -> list[str]:
    return [f"employee{number:03d}@{DOMAIN}" for number in range(REQUESTERS)]


def add_people(engine: Engine, clock: FixedClock, agents: Sequence[str]) -> None:
    """Add the requesters and the agents (agent role, members of the service desk)."""
    with unit_of_work(engine) as session:
        directory = Directory(session, clock)
        for email in requester_emails():
            directory.upsert(PersonEntry(email=email, name=email.split("@")[0]))
        for email in agents:
            roles = (Role.EMPLOYEE, Role.AGENT)
            name = email.split("@")[0]
            directory.upsert(PersonEntry(email=email, name=name, roles=roles, groups=(GROUP,)))


def draft(number: int) -> TicketDraft:
    impact, urgency = _LEVELS[number % len(_LEVELS)]
    symptom = f"{_SYMPTOMS[number % len(_SYMPTOMS)]} (report {number})"
    return TicketDraft(symptom=symptom, impact=impact, urgency=urgency)


def open_tickets(
    engine: Engine, rules: Rules, clock: FixedClock, count: int, deadline: Deadline
) -> None:
    """Open the tickets through the desk, a batch per transaction, requesters in turn."""
    requesters = requester_emails()
    for first in range(0, count, OPEN_BATCH):
        deadline.check(f"opened {first} of {count} tickets; run with fewer --tickets")
        with unit_of_work(engine) as session:
            desk = Workbench(session, rules, clock).desk
            for number in range(first, min(first + OPEN_BATCH, count)):
                requester = person(session, requesters[number % len(requesters)])
                desk.open_ticket(requester, draft(number))
        logger.info("  opened %d/%d", min(first + OPEN_BATCH, count), count)


def person(session: Session, email: str) -> Person:
    found = PersonStore(session).get_by_email(email)
    if found is None:
        raise LookupError(f"{email} is not in the directory")
    return found


def queued(engine: Engine, rules: Rules, clock: FixedClock, agent: str) -> list[str]:
    """The numbers of the unassigned tickets an agent sees, most urgent first."""
    with unit_of_work(engine) as session:
        _, tickets = Workbench(session, rules, clock).queue(person(session, agent))
        return [ticket.number for ticket in tickets]


def count_tickets(engine: Engine) -> tuple[int, int]:
    """How many tickets there are, and how many of them are in the service-desk queue."""
    with Session(engine) as session:
        groups = session.exec(select(Ticket.group_name)).all()
    return len(groups), sum(group == GROUP for group in groups)


# --- racing (timed) -----------------------------------------------------------------------


@dataclass
class AgentTally:
    """What one agent did."""

    email: str
    won: list[str] = field(default_factory=list)
    conflicts: int = 0
    looks: int = 0
    error: BaseException | None = None


@dataclass(frozen=True)
class Race:
    """What every agent shares: the database, the rules, the clock, the start and the end."""

    engine: Engine
    rules: Rules
    clock: FixedClock
    start: threading.Barrier
    deadline: Deadline
    stop: threading.Event


def work_queue(race: Race, tally: AgentTally) -> None:
    """Thread body: claim from the queue until it is empty; keep any error for the main thread."""
    try:
        race.start.wait(timeout=START_TIMEOUT)
        _claim_until_empty(race, tally)
    except BaseException as error:  # the main thread reports it
        tally.error = error
        race.stop.set()


def _claim_until_empty(race: Race, tally: AgentTally) -> None:
    while not race.stop.is_set():
        race.deadline.check("tickets are still in the queue; run with fewer --tickets")
        numbers = queued(race.engine, race.rules, race.clock, tally.email)
        tally.looks += 1
        if not numbers:
            return
        for number in numbers[:FIRST_FEW]:
            if claim(race, tally.email, number):
                tally.won.append(number)
                break
            tally.conflicts += 1


def claim(race: Race, agent: str, number: str) -> bool:
    """Try to take one ticket in its own transaction; False when another agent has it."""
    try:
        with unit_of_work(race.engine) as session:
            Workbench(session, race.rules, race.clock).claim(person(session, agent), number)
    except Conflict:
        return False
    return True


def race_for(
    engine: Engine, rules: Rules, clock: FixedClock, agents: Sequence[str], deadline: Deadline
) -> tuple[float, list[AgentTally]]:
    """Start every agent at once; return the seconds until the last one found the queue empty."""
    race = Race(
        engine=engine,
        rules=rules,
        clock=clock,
        start=threading.Barrier(len(agents) + 1),
        deadline=deadline,
        stop=threading.Event(),
    )
    tallies = [AgentTally(email) for email in agents]
    threads = [
        threading.Thread(target=work_queue, args=(race, tally), name=tally.email, daemon=True)
        for tally in tallies
    ]
    for thread in threads:
        thread.start()
    try:
        race.start.wait(timeout=START_TIMEOUT)
        began = time.perf_counter()
        for thread in threads:
            thread.join(timeout=deadline.left() + START_TIMEOUT)
        seconds = time.perf_counter() - began
    finally:
        race.stop.set()  # on Ctrl-C or SIGTERM too, so no agent outlives the database
    _raise_first_error(tallies, threads, deadline)
    return seconds, tallies


def _raise_first_error(
    tallies: Sequence[AgentTally], threads: Sequence[threading.Thread], deadline: Deadline
) -> None:
    if any(thread.is_alive() for thread in threads):
        raise BenchmarkTimeout(f"agents still working after the {deadline.limit:.0f} s limit")
    for tally in tallies:
        if isinstance(tally.error, BenchmarkTimeout):
            raise tally.error
    for tally in tallies:
        if tally.error is not None:
            raise RuntimeError(f"agent {tally.email} failed: {tally.error!r}") from tally.error


# --- checking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the history and the rows say about the claims."""

    double_claims: int
    unclaimed: int
    problems: list[str]


def verify(engine: Engine, tallies: Sequence[AgentTally], agents: dict[int, str]) -> Verdict:
    """Check every ticket was claimed exactly once, by the agent its row and history name."""
    with Session(engine) as session:
        events = session.exec(
            select(TicketEvent.ticket_id, TicketEvent.after).where(TicketEvent.field == "assignee")
        ).all()
        rows = session.exec(select(Ticket.id, Ticket.number, Ticket.assignee_id, Ticket.status))
        tickets = [
            (ticket_id or 0, number, owner, status) for ticket_id, number, owner, status in rows
        ]
    claimed: dict[int, list[Any]] = defaultdict(list)
    for ticket_id, after in events:
        claimed[ticket_id].append(after)
    winners = {number: tally.email for tally in tallies for number in tally.won}
    problems: list[str] = []
    double = 0
    unclaimed = 0
    for ticket_id, number, owner, status in tickets:
        history = claimed.get(ticket_id, [])
        if not history and owner is None:
            unclaimed += 1
            problems.append(f"{number} was never claimed")
            continue
        said = _disagreement(history, owner, status, agents.get(owner or 0), winners.get(number))
        if said:
            double += 1
            problems.append(f"{number}: {said}")
    won = sum(len(tally.won) for tally in tallies)
    if won != len(winners):
        double += won - len(winners)
        problems.append(f"{won} claims won for {len(winners)} tickets")
    return Verdict(double, unclaimed, problems)


def _disagreement(
    history: Sequence[Any],
    owner: int | None,
    status: str,
    owner_email: str | None,
    won_by: str | None,
) -> str:
    """Say what is wrong with one ticket's claim, or nothing when it is right."""
    if len(history) != 1:
        return f"{len(history)} assignee events ({history})"
    if history[0] != owner:
        return f"history names agent {history[0]}, the row agent {owner}"
    if status != Status.IN_PROGRESS:
        return f"status {status} after the claim"
    if owner_email != won_by:
        return f"the row names {owner_email}, the winning thread was {won_by}"
    return ""


def agent_ids(engine: Engine, emails: Sequence[str]) -> dict[int, str]:
    with Session(engine) as session:
        return {person(session, email).id or 0: email for email in emails}


# --- one run and the whole job ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What the command line asked for."""

    backends: tuple[str, ...]
    agents: int
    tickets: int
    postgres_url: str
    limit: float


@dataclass(frozen=True)
class RunResult:
    """One backend's measurement, as printed on stdout."""

    backend: str
    agents: int
    tickets: int
    seconds: float
    claims_per_second: float
    conflicts: int
    double_claims: int
    queue_looks: int

    def to_json(self) -> str:
        return json.dumps({"benchmark": "claims", **self.__dict__}, ensure_ascii=False)


def run(job: Job, backend: str, deadline: Deadline) -> tuple[RunResult, list[str]]:
    """Open the tickets in a fresh database of the backend, race the agents, check the claims."""
    clock = FixedClock(NOW)
    pool = {"pool_size": job.agents + 2, "max_overflow": job.agents}
    with database(backend, job.postgres_url, **pool) as engine:
        url = engine.url.render_as_string(hide_password=False)
        rules = load_config(CONFIG, environ={"DATABASE_URL": url}).rules()
        agents = agent_emails(job.agents)
        add_people(engine, clock, agents)
        logger.info("%s: opening %d tickets", backend, job.tickets)
        open_tickets(engine, rules, clock, job.tickets, deadline)
        total, in_queue = count_tickets(engine)
        logger.info("%s: %d agents racing for the queue", backend, job.agents)
        seconds, tallies = race_for(engine, rules, clock, agents, deadline)
        verdict = verify(engine, tallies, agent_ids(engine, agents))
    problems = list(verdict.problems)
    if total != job.tickets or in_queue != total:
        problems.append(f"{total} tickets opened, {in_queue} of them in the {GROUP} queue")
    result = RunResult(
        backend=backend,
        agents=job.agents,
        tickets=total - verdict.unclaimed,
        seconds=round(seconds, 3),
        claims_per_second=round((total - verdict.unclaimed) / seconds, 1),
        conflicts=sum(tally.conflicts for tally in tallies),
        double_claims=verdict.double_claims,
        queue_looks=sum(tally.looks for tally in tallies),
    )
    return result, problems


def run_all(job: Job) -> None:
    """Run every backend, writing each result as soon as it is known; fail on a bad claim."""
    failures: list[str] = []
    deadline = Deadline.after(job.limit)
    for backend in job.backends:
        result, problems = run(job, backend, deadline)
        sys.stdout.write(result.to_json() + "\n")
        sys.stdout.flush()
        for problem in problems[:20]:
            logger.error("%s: %s", backend, problem)
        failures += [f"{backend}: {len(problems)} problem(s)"] if problems else []
    if failures:
        raise VerificationFailed("; ".join(failures))


def parse_args(argv: Sequence[str] | None) -> Job:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument("--limit", type=float, default=LIMIT_SECONDS, help="seconds (600)")
    args = parser.parse_args(argv)
    if args.agents < 1 or args.tickets < 1 or args.limit <= 0:
        parser.error("--agents, --tickets and --limit must be positive")
    both = args.backend == "both"
    return Job(
        backends=("postgresql", "sqlite") if both else (args.backend,),
        agents=args.agents,
        tickets=args.tickets,
        postgres_url=args.postgres_url,
        limit=args.limit,
    )


def _terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into an exception, so the throwaway database is still dropped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s claims: %(message)s"
    )
    for noisy in ("alembic", "desk", "kb", "storage"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    job = parse_args(argv)
    if "postgresql" in job.backends:
        require_loopback(job.postgres_url)
    signal.signal(signal.SIGTERM, _terminate)
    print_machine()
    try:
        run_all(job)
    except BenchmarkTimeout as error:
        logger.error("stopped: %s", error)
        return 2
    except VerificationFailed as error:
        logger.error("failed: %s", error)
        return 1
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
