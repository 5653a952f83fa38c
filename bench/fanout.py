"""Benchmark fanning one message out to many Telegram chats through the outbox dispatcher.

Queues one outbox message to each of N people on channel "telegram" (distinct chat ids,
unique keys) in a fresh throwaway database, then runs the real `jobs.dispatcher.Dispatcher`
in real time (time.monotonic and asyncio.sleep) against a fake Telegram defined here. The
fake keeps Telegram's published limits itself, in sliding windows of real time: 30 messages
per second overall and 1 per second per chat. A request that would break one is refused with
`RateLimited(retry_after)` in whole seconds, as Telegram's 429 answers do. Every send takes a
simulated round trip (5 ms by default, via asyncio.sleep); the request reaches the platform,
and is counted there, halfway through it.

The run ends once every row is marked sent in the database, or after --time-limit seconds.
The bound is people / 30 s, the fastest Telegram allows, and the target is a ratio of
seconds to bound of at most 1.10.

Usage (from the repository root):

    .venv/bin/python bench/fanout.py
    .venv/bin/python bench/fanout.py --people 1000 --backend sqlite
    .venv/bin/python bench/fanout.py --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/fanout.py --backend sqlite --batch-size 200 --latency-ms 50
    .venv/bin/python bench/fanout.py --backend sqlite --profile

stdout gets one JSON object per backend:

    {"benchmark": "fanout", "backend", "people", "seconds", "bound_seconds", "ratio", "sent",
     "lost", "duplicated", "rate_limited_429s", "attempts_total"}

`lost` counts rows not both delivered by the fake and marked sent; `duplicated` counts
deliveries beyond one per key at the fake; `attempts_total` counts every request the fake
got, refused ones included. stderr gets progress and a breakdown of where the time went:
the gaps between deliveries, how late the dispatcher's sleeps woke, and how long each kind
of database work held a connection (--profile adds a profile of the event loop's thread).
The PostgreSQL database (helpdesk_bench_<random>) is created on the server of
--postgres-url and always dropped, also on Ctrl-C; the SQLite file lives in a temporary
directory and is migrated with `upgrade(engine)`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import logging
import math
import signal
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import NoReturn

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fake_telegram import CHANNEL, OVERALL_PER_SECOND, FakeTelegram  # noqa: E402
from bench.machine import print_machine  # noqa: E402
from bench.probes import Instruments, Unit, idle_lateness  # noqa: E402
from bench.profiling import profiled  # noqa: E402
from bench.throwaway import POSTGRES_ADMIN_URL, database, require_loopback  # noqa: E402
from desk.clock import SystemClock  # noqa: E402
from jobs.dispatcher import Dispatcher, DispatchSettings, RateLimits  # noqa: E402
from storage.database import unit_of_work  # noqa: E402
from storage.models import OutboxMessage, Person  # noqa: E402

logger = logging.getLogger("bench.fanout")

TARGET_RATIO = 1.10
FIRST_CHAT_ID = 700_000_000
DB_POLL_SECONDS = 0.01
PROGRESS_SECONDS = 5.0
STOP_GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class RunResult:
    """One backend's measurement, as printed on stdout."""

    backend: str
    people: int
    seconds: float
    bound_seconds: float
    ratio: float
    sent: int
    lost: int
    duplicated: int
    rate_limited_429s: int
    attempts_total: int

    def to_json(self) -> str:
        return json.dumps({"benchmark": "fanout", **self.__dict__})


# --- the outbox ---------------------------------------------------------------------------


def queue_fan_out(engine: Engine, people: int, now: datetime) -> list[str]:
    """Add `people` people and one Telegram message to each, due now; return the keys."""
    persons = [
        Person(
            email=f"person{n:06d}@bench.example.com",
            name=f"Person {n}",
            created_at=now,
            updated_at=now,
        )
        for n in range(people)
    ]
    with unit_of_work(engine) as session:
        session.add_all(persons)
        session.flush()
        messages = [_message(person, n, now) for n, person in enumerate(persons)]
        session.add_all(messages)
    return [message.key for message in messages]


def _message(person: Person, n: int, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        key=f"bench:fanout:announcement:{n:06d}",
        channel=CHANNEL,
        recipient_id=person.id,
        address=str(FIRST_CHAT_ID + n),
        template="notify/announcement",
        payload={"context": {"text": "The VPN is back."}, "buttons": []},
        due_at=now,
        created_at=now,
    )


def sent_count(engine: Engine) -> int:
    with Session(engine) as session:
        statement = select(OutboxMessage.id).where(
            OutboxMessage.channel == CHANNEL, OutboxMessage.status == "sent"
        )
        return len(session.exec(statement).all())


def row_states(engine: Engine) -> dict[str, tuple[str, int]]:
    """Every Telegram row's status and attempts, by key."""
    with Session(engine) as session:
        statement = select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.attempts)
        rows = session.exec(statement.where(OutboxMessage.channel == CHANNEL)).all()
    return {key: (status, attempts) for key, status, attempts in rows}


# --- one run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What the command line asked for."""

    backends: tuple[str, ...]
    people: int
    postgres_url: str
    latency: float
    time_limit: float
    batch_size: int | None
    profile: bool


@dataclass
class Timeline:
    """When the run started and ended: when the last row was known sent, or at the time limit."""

    started: float
    ended: float = 0.0
    complete: bool = False

    @property
    def seconds(self) -> float:
        return self.ended - self.started


async def fan_out(job: Job, engine: Engine, instruments: Instruments) -> Timeline:
    """Run the dispatcher until every row is sent or the time limit passes."""
    settings = (
        DispatchSettings()
        if job.batch_size is None
        else DispatchSettings(batch_size=job.batch_size)
    )
    dispatcher = Dispatcher(
        engine,
        {CHANNEL: instruments.telegram},
        SystemClock(),
        settings,
        RateLimits(),
        sleep=instruments.sleeps.sleep,
    )
    stop = asyncio.Event()
    telegram = instruments.telegram
    instruments.idle_late = await idle_lateness()
    timeline = Timeline(started=time.monotonic())
    running = asyncio.create_task(dispatcher.run(stop))
    progress = asyncio.create_task(_report_progress(telegram, timeline))
    try:
        async with asyncio.timeout(job.time_limit):
            timeline.ended = await _all_sent(engine, telegram)
            timeline.complete = True
    except TimeoutError:
        timeline.ended = time.monotonic()
        logger.warning("time limit of %.0f s passed before every row was sent", job.time_limit)
    finally:
        stop.set()
        progress.cancel()
        await asyncio.wait_for(running, STOP_GRACE_SECONDS)
    return timeline


async def _all_sent(engine: Engine, telegram: FakeTelegram) -> float:
    """Wait until the fake has every key, then until the database says every row is sent."""
    await telegram.all_delivered.wait()
    while await asyncio.to_thread(sent_count, engine) < telegram.expected:
        await asyncio.sleep(DB_POLL_SECONDS)
    return time.monotonic()


async def _report_progress(telegram: FakeTelegram, timeline: Timeline) -> None:
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        logger.info(
            "  %.0f s: %d/%d delivered, %d refused",
            time.monotonic() - timeline.started,
            len(telegram.delivered),
            telegram.expected,
            telegram.refused,
        )


def run(job: Job, backend: str) -> RunResult:
    """Queue the fan-out in a fresh database of the backend and time its dispatch."""
    label = f"{backend}, {job.people} people"
    with database(backend, job.postgres_url) as engine:
        keys = queue_fan_out(engine, job.people, SystemClock().now())
        logger.info("%s: queued %d messages; dispatching in real time", label, len(keys))
        instruments = Instruments(FakeTelegram(job.latency, len(keys)))
        instruments.database.attach(engine)
        with _profiled(job.profile):
            timeline = asyncio.run(fan_out(job, engine, instruments))
        instruments.database.detach(engine)
        states = row_states(engine)
    report_breakdown(label, timeline, instruments, states)
    return _result(backend, job.people, timeline.seconds, instruments.telegram, states)


@contextmanager
def _profiled(enabled: bool) -> Iterator[None]:
    """Profile the block's thread (the event loop); write its call tree to stderr."""
    if not enabled:
        yield
        return
    with profiled("the event loop's thread"):
        yield


def _result(
    backend: str,
    people: int,
    seconds: float,
    telegram: FakeTelegram,
    states: dict[str, tuple[str, int]],
) -> RunResult:
    sent = {key for key, (status, _) in states.items() if status == "sent"}
    bound = people / OVERALL_PER_SECOND
    return RunResult(
        backend=backend,
        people=people,
        seconds=round(seconds, 3),
        bound_seconds=round(bound, 3),
        ratio=round(seconds / bound, 3),
        sent=len(sent),
        lost=len(set(states) - (sent & set(telegram.delivered))),
        duplicated=sum(count - 1 for count in telegram.delivered.values()),
        rate_limited_429s=telegram.refused,
        attempts_total=telegram.requests,
    )


# --- the breakdown on stderr --------------------------------------------------------------


def report_breakdown(
    label: str,
    timeline: Timeline,
    instruments: Instruments,
    states: dict[str, tuple[str, int]],
) -> None:
    """Say where the time beyond the bound went: deliveries, sleeps, the database."""
    arrivals = instruments.telegram.arrivals
    units = sorted(instruments.database.units, key=lambda unit: unit[1])
    if arrivals and timeline.complete:
        _report_excess(label, timeline, arrivals, units, instruments.telegram.expected)
    _report_sleeps(label, instruments.sleeps.wakes, instruments.idle_late, units)
    probe = instruments.database
    for kind, durations in sorted({**probe.statements, **probe.holds()}.items()):
        logger.info("%s: %s", label, _summary(kind, durations))
    attempts = sum(attempts for _, attempts in states.values())
    logger.info("%s: outbox attempts summed over rows: %d", label, attempts)


def _report_excess(
    label: str,
    timeline: Timeline,
    arrivals: Sequence[float],
    units: Sequence[Unit],
    people: int,
) -> None:
    """Split the seconds beyond the bound into the start, the gaps and the end."""
    spacing = 1 / OVERALL_PER_SECOND
    claims = [unit for unit in units if unit[0] == "claim unit"]
    at_claim: list[float] = []
    others: list[float] = []
    for earlier, later in pairwise(arrivals):
        excess = later - earlier - spacing
        (at_claim if _overlaps(claims, earlier, later) else others).append(excess)
    first = arrivals[0] - timeline.started
    tail = timeline.seconds - (arrivals[-1] - timeline.started)
    bound = people * spacing
    logger.info(
        "%s: %.3f s beyond the bound = first delivery %.3f s + %d gaps across a claim "
        "(round boundaries) %.3f s + %d other gaps %.3f s + last delivery to all rows sent "
        "%.3f s - one spacing %.3f s",
        label,
        timeline.seconds - bound,
        first,
        len(at_claim),
        sum(at_claim),
        len(others),
        sum(others),
        tail,
        spacing,
    )
    if others:
        logger.info("%s: %s", label, _summary("excess of the other gaps", others))
    if at_claim:
        logger.info("%s: %s", label, _summary("excess of gaps across a claim", at_claim))


def _report_sleeps(
    label: str,
    wakes: Sequence[tuple[float, float]],
    idle_late: Sequence[float],
    units: Sequence[Unit],
) -> None:
    """How late the dispatcher's sleeps woke, with and without database work in a thread."""
    if idle_late:
        logger.info("%s: %s", label, _summary("idle event loop: sleep woke late by", idle_late))
    busy = [woke - due for due, woke in wakes if _overlaps(units, due, woke)]
    quiet = [woke - due for due, woke in wakes if not _overlaps(units, due, woke)]
    if busy:
        logger.info("%s: %s", label, _summary("dispatcher sleep, database busy in a thread", busy))
    if quiet:
        logger.info("%s: %s", label, _summary("dispatcher sleep, database quiet", quiet))


def _overlaps(intervals: Sequence[Unit], low: float, high: float) -> bool:
    """Whether any interval, sorted by its start, overlaps [low, high]."""
    index = bisect.bisect_right(intervals, high, key=lambda unit: unit[1])
    return any(ended >= low for _, _, ended in intervals[max(0, index - 4) : index])


def _summary(name: str, durations: Sequence[float]) -> str:
    ordered = sorted(durations)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return (
        f"{name}: n={len(ordered)} total={sum(ordered):.3f} s "
        f"mean={statistics.fmean(ordered) * 1e3:.2f} ms "
        f"p50={statistics.median(ordered) * 1e3:.2f} ms p99={p99 * 1e3:.2f} ms "
        f"max={ordered[-1] * 1e3:.2f} ms"
    )


# --- the whole job ------------------------------------------------------------------------


def run_all(job: Job) -> None:
    """Run every backend, writing each result as soon as it is known."""
    for backend in job.backends:
        result = run(job, backend)
        sys.stdout.write(result.to_json() + "\n")
        sys.stdout.flush()
        verdict = "met" if result.ratio <= TARGET_RATIO and not result.lost else "MISSED"
        logger.info(
            "%s: target ratio <= %.2f %s (ratio %.3f, %d rows lost)",
            backend,
            TARGET_RATIO,
            verdict,
            result.ratio,
            result.lost,
        )


def parse_args(argv: Sequence[str] | None) -> Job:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument("--latency-ms", type=float, default=5.0, help="send round trip (5)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds (120)")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="rows claimed per round (dispatcher default)"
    )
    parser.add_argument("--profile", action="store_true", help="profile the event loop")
    args = parser.parse_args(argv)
    if args.people < 1 or args.latency_ms < 0 or args.time_limit <= 0:
        parser.error("--people and --time-limit must be positive, --latency-ms not negative")
    if args.batch_size is not None and args.batch_size < 1:
        parser.error("--batch-size must be positive")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Job(
        backends=backends,
        people=args.people,
        postgres_url=args.postgres_url,
        latency=args.latency_ms / 1000,
        time_limit=args.time_limit,
        batch_size=args.batch_size,
        profile=args.profile,
    )


def _terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into an exception, so the throwaway database is still dropped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s fanout: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("storage").setLevel(logging.WARNING)
    job = parse_args(argv)
    if "postgresql" in job.backends:
        require_loopback(job.postgres_url)
    signal.signal(signal.SIGTERM, _terminate)
    print_machine()
    try:
        run_all(job)
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
