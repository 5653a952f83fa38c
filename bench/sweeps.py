"""Benchmark the scheduled sweeps (sla, pings, reminders, polls) over many tickets.

For each (backend, ticket count, due share, sweep) the database is filled with N tickets in the
states that sweep acts on, with its due-time column set so that none, 1 % or all of them are
due at a fixed "now" (Wednesday 2026-12-02 14:00 UTC, inside business hours):

- sla: open tickets (new, triaged, in progress, waiting on a vendor) of every priority, whose
  due times come from the configured calendars; a due ticket has exactly one checkpoint that
  has come and not fired (the others that have come are in ``sla_fired``), so the sweep really
  fires one warning, breach or management alert and schedules the next checkpoint.
- pings: P1 tickets in progress whose last public update is over an hour old (P1 so that the
  requester's working hours do not postpone the ping: every due ticket sends a ping and a nudge).
- reminders: resolved tickets; two thirds of the due ones are due for the confirmation reminder
  (``reminder_at``), one third for closing by themselves (``close_at``, reminder already sent).
- polls: closed tickets with ``poll_at`` set at their closing. With "none" the due columns hold
  times in the future (for polls that never happens in the product, where ``poll_at`` is the
  closing moment or empty; the index sees the same number of rows either way).

Tickets are bulk inserted with SQLAlchemy Core in chunks; requesters are a few hundred people
plus the demo directory of config.yaml, and agents sit in every support group. One warm-up run
with the clock a year earlier (nothing due) opens connections and compiles statements, then one
``Runner(engine, rules, FixedClock(now), batch=500).run(job)`` is timed as a whole (after a
garbage collection, so the fill's garbage is not charged to it): every batch, every commit, the
outbox writes included. Between cases PostgreSQL's tables are truncated and
SQLite gets a fresh copy of a migrated file holding the people; after a case with nothing due
(which changes no ticket) the next case of the same tickets only rewrites its due rows.

Usage (from the repository root):

    .venv/bin/python bench/sweeps.py
    .venv/bin/python bench/sweeps.py --open 1000 10000 --due none all --backend sqlite
    .venv/bin/python bench/sweeps.py --open 10000 --due all --sweep sla --profile

stdout gets one JSON object per (backend, open, due, sweep); stderr gets progress and whether
the targets are met (nothing due over 100,000 tickets: under 20 ms; 10,000 due: under 2 s).
Each line also has the run's CPU seconds in this process (and the garbage collector's part
of them), the SQL statements it sent and the machine's load average when it started. To
bound the runtime, a case whose run is predicted (from the cost per due ticket of a smaller
case of the same sweep) to take longer than --case-limit (30 s) is skipped, with a note on
stderr; raise the limit to measure it anyway.
The PostgreSQL database (helpdesk_bench_<random>) is created on the server of --postgres-url
and always dropped, also on Ctrl-C; SQLite files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import print_machine  # noqa: E402
from bench.population import (  # noqa: E402
    CONFIG,
    NOW,
    SWEEPS,
    TicketRows,
    Workspace,
    due_ids,
    fill_tickets,
    make_due,
    workspace,
)
from bench.profiling import profiled  # noqa: E402
from bench.staff import table  # noqa: E402
from bench.throwaway import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    require_loopback,
)
from bot.config import Config, load_config  # noqa: E402
from desk.clock import FixedClock  # noqa: E402
from desk.rules import Rules  # noqa: E402
from jobs.scheduler import Job, Runner, jobs  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

logger = logging.getLogger("bench.sweeps")

BATCH = 500
# A case predicted (from the cost per due ticket of a smaller one) to run longer is skipped.
CASE_LIMIT_SECONDS = 30.0
DUE_SHARES = {"none": 0.0, "one_percent": 0.01, "all": 1.0}
# The targets, in seconds: nothing due over this many tickets, and this many due.
IDLE_TARGET = (100_000, 0.020)
BUSY_TARGET = (10_000, 2.0)


# --- one case -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One measurement: how many tickets, how many of them due, which sweep."""

    open_tickets: int
    due: str
    sweep: str

    @property
    def due_count(self) -> int:
        return round(self.open_tickets * DUE_SHARES[self.due])

    def label(self, backend: str) -> str:
        return f"{backend} {self.open_tickets} {self.due} {self.sweep}"


@dataclass(frozen=True)
class CaseResult:
    """One (backend, open, due, sweep) measurement, as printed on stdout.

    ``seconds`` is wall-clock time of the whole run; ``cpu_seconds`` is this process's CPU
    time in it (SQLite's work included, PostgreSQL's server not); ``gc_seconds`` is how long
    Python's garbage collector ran in it; ``statements`` counts the SQL statements the run
    sent; ``load_average`` is the machine's one-minute load when the run started, as on a
    shared machine other work slows the run down.
    """

    backend: str
    sweep: str
    open_tickets: int
    due: str
    seconds: float
    outbox_rows: int
    due_tickets: int
    acted: int
    cpu_seconds: float
    gc_seconds: float
    statements: int
    load_average: float

    def to_json(self) -> str:
        return json.dumps({"benchmark": "sweep", **asdict(self)})


@dataclass(frozen=True)
class Timing:
    """How one run went."""

    seconds: float
    cpu_seconds: float
    gc_seconds: float
    statements: int
    due: int
    acted: int
    load_average: float


def job_named(config: Config, name: str) -> Job:
    return next(job for job in jobs(config.jobs.intervals()) if job.name == name)


def count_outbox(engine: Engine) -> int:
    with engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(table(OutboxMessage)))
        return int(rows.one()[0])


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[int]]:
    """Count the statements sent through the engine while the block runs."""
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def timing_collections() -> Iterator[list[float]]:
    """Add up the seconds the garbage collector runs while the block runs."""
    total, started = [0.0], [0.0]

    def note(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            total[0] += time.perf_counter() - started[0]

    gc.callbacks.append(note)
    try:
        yield total
    finally:
        gc.callbacks.remove(note)


def time_run(engine: Engine, rules: Rules, job: Job) -> Timing:
    """Warm up with nothing due, then time one whole run at NOW."""
    Runner(engine, rules, FixedClock(NOW - timedelta(days=365)), BATCH).run(job)
    runner = Runner(engine, rules, FixedClock(NOW), BATCH)
    gc.collect()  # the fill's garbage is not the sweep's: collect it before the clock starts
    load = os.getloadavg()[0]
    with counting_statements(engine) as statements, timing_collections() as collecting:
        cpu, started = time.process_time(), time.perf_counter()
        result = runner.run(job)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timing(elapsed, cpu, collecting[0], statements[0], result.due, result.acted, load)


def profile_run(engine: Engine, rules: Rules, job: Job) -> None:
    """Run the job under the profiler; write its call tree to stderr."""
    runner = Runner(engine, rules, FixedClock(NOW), BATCH)
    with profiled(f"the {job.name} run"):
        runner.run(job)


def prepare(space: Workspace, rows: TicketRows, case: Case) -> Engine:
    """Fill the database for a case; after a case of the same population with nothing due
    (which changed no ticket), only the due rows are rewritten."""
    label = case.label(space.backend)
    due = due_ids(case.open_tickets, DUE_SHARES[case.due])
    make = rows.maker(case.sweep)
    population = (case.open_tickets, case.sweep)
    if space.engine is not None and space.clean == population:
        engine = space.engine
        seconds = make_due(engine, make, due)
        logger.info("%s: made %d of the tickets due in %.1f s", label, len(due), seconds)
    else:
        engine = space.reset()
        seconds = fill_tickets(engine, make, case.open_tickets, due)
        logger.info("%s: filled in %.1f s, %d due", label, seconds, len(due))
    space.clean = None if due else population
    return engine


def run_case(space: Workspace, rows: TicketRows, config: Config, case: Case) -> CaseResult:
    """Fill the database for the case, time the sweep, count what it queued."""
    engine = prepare(space, rows, case)
    timing = time_run(engine, config.rules(), job_named(config, case.sweep))
    outbox = count_outbox(engine)
    if timing.due != case.due_count:
        logger.warning(
            "%s: the sweep saw %d due, %d were made due",
            case.label(space.backend),
            timing.due,
            case.due_count,
        )
    return CaseResult(
        backend=space.backend,
        sweep=case.sweep,
        open_tickets=case.open_tickets,
        due=case.due,
        seconds=round(timing.seconds, 4),
        outbox_rows=outbox,
        due_tickets=timing.due,
        acted=timing.acted,
        cpu_seconds=round(timing.cpu_seconds, 3),
        gc_seconds=round(timing.gc_seconds, 3),
        statements=timing.statements,
        load_average=round(timing.load_average, 2),
    )


def profile_case(space: Workspace, rows: TicketRows, config: Config, case: Case) -> None:
    """Fill the case again and profile its sweep."""
    space.clean = None
    engine = prepare(space, rows, case)
    profile_run(engine, config.rules(), job_named(config, case.sweep))


def verdict(result: CaseResult) -> str | None:
    """Say whether a result meets a target that applies to it."""
    idle_open, idle_limit = IDLE_TARGET
    busy_due, busy_limit = BUSY_TARGET
    if result.due_tickets == 0 and result.open_tickets >= idle_open:
        limit = idle_limit
    elif result.due_tickets == busy_due:
        limit = busy_limit
    else:
        return None
    met = "met" if result.seconds < limit else "MISSED"
    return (
        f"target {met}: {result.backend} {result.sweep}, {result.due_tickets} due of "
        f"{result.open_tickets}: {result.seconds * 1000:.1f} ms (limit {limit * 1000:.0f} ms)"
    )


class Predictor:
    """Guesses a case's run time from the cost per due ticket seen so far, to bound runtime."""

    def __init__(self) -> None:
        self.per_ticket: dict[tuple[str, str], float] = {}

    def learn(self, result: CaseResult) -> None:
        if result.due_tickets >= 10:
            key = (result.backend, result.sweep)
            self.per_ticket[key] = result.seconds / result.due_tickets

    def seconds(self, backend: str, case: Case) -> float:
        return self.per_ticket.get((backend, case.sweep), 0.0) * case.due_count


# --- the whole job ------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the command line asked for."""

    backends: tuple[str, ...]
    counts: tuple[int, ...]
    dues: tuple[str, ...]
    sweeps: tuple[str, ...]
    postgres_url: str
    case_limit: float
    profile: bool

    def cases(self) -> list[Case]:
        return [
            Case(count, due, sweep)
            for count in sorted(self.counts)
            for sweep in self.sweeps
            for due in sorted(self.dues, key=lambda due: DUE_SHARES[due])
        ]


def run_all(plan: Plan) -> None:
    """Run every case on every backend, writing each result as soon as it is known."""
    config = load_config(CONFIG, environ={})
    for backend in plan.backends:
        with workspace(backend, plan.postgres_url, config, NOW) as (space, staff):
            rows = TicketRows(config.rules(), staff, NOW)
            predictor = Predictor()
            for case in plan.cases():
                predicted = predictor.seconds(backend, case)
                if predicted > plan.case_limit:
                    logger.info(
                        "%s: skipped, about %.0f s predicted (over --case-limit %.0f s)",
                        case.label(backend),
                        predicted,
                        plan.case_limit,
                    )
                    continue
                result = run_case(space, rows, config, case)
                predictor.learn(result)
                sys.stdout.write(result.to_json() + "\n")
                sys.stdout.flush()
                message = verdict(result)
                if message:
                    logger.info("%s", message)
                if plan.profile and case.due_count:
                    profile_case(space, rows, config, case)


def parse_args(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--open", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--due", nargs="+", choices=list(DUE_SHARES), default=list(DUE_SHARES))
    parser.add_argument("--sweep", nargs="+", choices=SWEEPS, default=list(SWEEPS))
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument(
        "--case-limit",
        type=float,
        default=CASE_LIMIT_SECONDS,
        help="skip a case predicted to run longer than this (seconds, 30)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="refill each case with due tickets and profile it"
    )
    args = parser.parse_args(argv)
    if min(args.open) < 1:
        parser.error("--open must be positive")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Plan(
        backends=backends,
        counts=tuple(args.open),
        dues=tuple(args.due),
        sweeps=tuple(args.sweep),
        postgres_url=args.postgres_url,
        case_limit=args.case_limit,
        profile=args.profile,
    )


def terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into an exception, so the throwaway database is still dropped."""
    raise KeyboardInterrupt(f"signal {signum}")


def configure_logging(name: str) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format=f"%(asctime)s {name}: %(message)s"
    )
    for noisy in ("alembic", "storage", "desk", "jobs"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging("sweeps")
    plan = parse_args(argv)
    if "postgresql" in plan.backends:
        require_loopback(plan.postgres_url)
    signal.signal(signal.SIGTERM, terminate)
    print_machine()
    try:
        run_all(plan)
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
