"""APScheduler wiring: each job is a short sweep in one transaction, its runs recorded."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.clock import Clock
from desk.rules import Rules
from desk.sweeps import Sweeper, SweepResult
from storage.database import unit_of_work
from storage.models import JobRun
from storage.stores import ConversationStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A named sweep and how often it runs."""

    name: str
    description: str
    seconds: float
    sweep: Callable[[Sweeper, int], SweepResult]


def _cleanup(sweeper: Sweeper, limit: int) -> SweepResult:
    del limit
    deleted = ConversationStore(sweeper.desk.store.session).delete_expired(sweeper.clock.now())
    return SweepResult(due=deleted, acted=deleted)


JOB_NAMES = ("sla", "pings", "reminders", "polls", "cleanup")
# One run takes at most this many batches, so a run always ends; the next run goes on.
MAX_BATCHES = 1000


def jobs(intervals: dict[str, float]) -> list[Job]:
    """Return every scheduled job with its interval in seconds."""
    return [
        Job("sla", "service-level warnings, breaches and alerts", intervals["sla"], Sweeper.sla),
        Job(
            "pings",
            "progress pings to requesters, nudges to agents",
            intervals["pings"],
            Sweeper.pings,
        ),
        Job(
            "reminders",
            "confirmation reminders and auto-close",
            intervals["reminders"],
            Sweeper.reminders,
        ),
        Job("polls", "satisfaction polls after closing", intervals["polls"], Sweeper.polls),
        Job("cleanup", "drop idle conversations", intervals["cleanup"], _cleanup),
    ]


class Runner:
    """Runs one job's sweep in a transaction and writes down how it went."""

    def __init__(self, engine: Engine, rules: Rules, clock: Clock, batch: int) -> None:
        self.engine = engine
        self.rules = rules
        self.clock = clock
        self.batch = batch

    def run(self, job: Job, next_run: datetime | None = None) -> SweepResult:
        """Run a job now, a batch per transaction, until fewer than a batch are due."""
        started = self.clock.now()
        total = SweepResult()
        try:
            for _ in range(MAX_BATCHES):
                with _no_gc(), unit_of_work(self.engine, writing=True) as session:
                    result = job.sweep(Sweeper(session, self.rules, self.clock), self.batch)
                    total.due += result.due
                    total.acted += result.acted
                    self._record(session, job, started, str(total), next_run)
                if result.due < self.batch:
                    break
        except Exception as error:
            logger.exception("Job failed job=%s", job.name)
            with unit_of_work(self.engine) as session:
                self._record(session, job, started, f"failed: {type(error).__name__}", next_run)
            raise
        if total.acted:
            logger.info("Job ran job=%s due=%d acted=%d", job.name, total.due, total.acted)
        return total

    def _record(
        self,
        session: Session,
        job: Job,
        started: datetime,
        outcome: str,
        next_run: datetime | None,
    ) -> None:
        values = {
            "last_started_at": started,
            "last_finished_at": self.clock.now(),
            "last_result": outcome[:500],
            "next_run_at": next_run,
        }
        # Two processes may run a job's first sweep at once; a get-then-insert would make one
        # of them fail on the other's row, so the row is written in one statement either way.
        dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
        # SQLModel adds __table__ when the class is built, out of mypy's sight.
        table = JobRun.__table__  # type: ignore[attr-defined]
        statement = dialect.insert(table).values(name=job.name, **values)
        session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


@contextmanager
def _no_gc() -> Iterator[None]:
    """Hold back the cycle collector for one batch.

    A batch builds thousands of objects that live until its commit, and the collector would
    walk them again and again for nothing; reference counting still frees them, and whatever
    cycles remain are collected once the batch is over.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def start_scheduler(runner: Runner, intervals: dict[str, float]) -> AsyncIOScheduler:
    """Start every job on the running event loop; each sweep runs off the loop."""
    scheduler = AsyncIOScheduler()
    for job in jobs(intervals):
        scheduler.add_job(
            _run_async,
            "interval",
            args=(runner, job, scheduler),
            seconds=job.seconds,
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    logger.info("Scheduler started jobs=%d", len(intervals))
    return scheduler


async def _run_async(runner: Runner, job: Job, scheduler: AsyncIOScheduler) -> None:
    scheduled = scheduler.get_job(job.name)
    next_run = scheduled.next_run_time if scheduled is not None else None
    try:
        await asyncio.to_thread(runner.run, job, next_run)
    except Exception:
        # Runner.run logged it and recorded the failure; the next run tries again.
        return


def list_runs(engine: Engine) -> dict[str, JobRun]:
    """Return the recorded runs of every job, by name."""
    with Session(engine) as session:
        return {row.name: row for row in session.exec(select(JobRun)).all()}


def next_due(run: JobRun | None, seconds: float) -> datetime | None:
    """Return when a job runs next, as recorded, or as its interval implies."""
    if run is None:
        return None
    if run.next_run_at is not None:
        return run.next_run_at
    return run.last_started_at + timedelta(seconds=seconds) if run.last_started_at else None
