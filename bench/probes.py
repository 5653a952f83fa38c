"""Probes for the fan-out benchmark: where the time between the platform's bound and the run went.

The dispatcher's sleeps (due and actual wake-ups), each unit of database work with the
connection it held and the statements it ran, and how late the event loop wakes when idle.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fake_telegram import FakeTelegram  # noqa: E402

# Idle sleeps as long as the dispatcher's usual wait (a spacing less the send), for a floor.
IDLE_SAMPLES = 50
IDLE_SLEEP = 0.028

# A unit of work: its kind, when it took its connection and when it gave it back, in
# time.monotonic seconds (the clock the fake platform and the dispatcher use).
Unit = tuple[str, float, float]


@dataclass
class SleepProbe:
    """The dispatcher's sleep: asyncio.sleep, noting when each sleep was due to end and did."""

    wakes: list[tuple[float, float]] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        due = time.monotonic() + max(0.0, seconds)
        await asyncio.sleep(seconds)
        self.wakes.append((due, time.monotonic()))


@dataclass
class DatabaseProbe:
    """Times statements and connection holds (one per unit of work) with engine events."""

    statements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    units: list[Unit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "checkin", self._checkin)

    def detach(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)
        event.remove(engine.pool, "checkout", self._checkout)
        event.remove(engine.pool, "checkin", self._checkin)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        conn.info["bench_started"] = time.monotonic()
        conn.info.setdefault("bench_kinds", []).append(statement_kind(statement))

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.monotonic() - conn.info.pop("bench_started", time.monotonic())
        with self._lock:
            self.statements[statement_kind(statement)].append(elapsed)

    def _checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info["bench_checked_out"] = time.monotonic()
        record.info["bench_kinds"] = []

    def _checkin(self, _dbapi: Any, record: Any) -> None:
        started = record.info.pop("bench_checked_out", None)
        if started is None:
            return
        kinds = record.info.pop("bench_kinds", [])
        with self._lock:
            self.units.append((unit_kind(kinds), started, time.monotonic()))

    def holds(self) -> dict[str, list[float]]:
        """How long each kind of unit of work held its connection."""
        durations: dict[str, list[float]] = defaultdict(list)
        for kind, started, ended in self.units:
            durations[kind].append(ended - started)
        return durations


@dataclass
class Instruments:
    """The fake platform and the probes of one run."""

    telegram: FakeTelegram
    sleeps: SleepProbe = field(default_factory=SleepProbe)
    database: DatabaseProbe = field(default_factory=DatabaseProbe)
    idle_late: list[float] = field(default_factory=list)


async def idle_lateness(samples: int = IDLE_SAMPLES, seconds: float = IDLE_SLEEP) -> list[float]:
    """How late asyncio.sleep wakes with nothing else in the event loop: the floor."""
    late = []
    for _ in range(samples):
        started = time.monotonic()
        await asyncio.sleep(seconds)
        late.append(time.monotonic() - started - seconds)
    return late


def statement_kind(statement: str) -> str:
    """Name a statement by what the dispatcher uses it for."""
    words = statement.split(maxsplit=1)
    verb = words[0].upper() if words else "?"
    upper = statement.upper()
    if verb == "UPDATE" and "RETURNING" in upper:
        return "claim: UPDATE..RETURNING"
    if verb == "SELECT" and "ORDER BY" in upper and "OUTBOX" in upper:
        return "claim: SELECT due ids"
    if verb == "UPDATE" and "SENT_AT" in upper:
        return "outcome: UPDATE mark_sent"
    return verb


def unit_kind(kinds: Sequence[str]) -> str:
    """Name a unit of work by its statements: a claim, outcomes, or something else."""
    if any(kind.startswith("claim") for kind in kinds):
        return "claim unit"
    if kinds and all(kind.startswith("outcome") for kind in kinds):
        return "outcome unit"
    return "other unit"
