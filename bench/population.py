"""A helpdesk's worth of people and tickets, written straight into a throwaway database.

The sweeps and memory benchmarks fill their databases with this: a few hundred employees plus
the demo directory of config.yaml, agents in every support group, and tickets in the states
each sweep acts on, bulk inserted with SQLAlchemy Core in chunks, with due-time columns set so
that a chosen share of them is due at a fixed "now" (Wednesday 2026-12-02 14:00 UTC).
"""

from __future__ import annotations

import logging
import math
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.staff import Staff, add_people, table  # noqa: E402
from bench.throwaway import postgres_database  # noqa: E402
from bot.config import Config  # noqa: E402
from desk.rules import Rules  # noqa: E402
from desk.vocabulary import Impact, Priority, Status, Urgency  # noqa: E402
from storage.database import make_engine, upgrade  # noqa: E402
from storage.models import Ticket  # noqa: E402

logger = logging.getLogger("bench.population")

CONFIG = ROOT / "config.yaml"
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
SEED = 42
CHUNK = 5000
SWEEPS = ("sla", "pings", "reminders", "polls")
# The tables a case writes; PostgreSQL empties them between cases (people stay).
CASE_TABLES = ("ticket", "ticket_event", "outbox", "survey", "job_run", "kb_rating", "kb_draft")

PRIORITY_WEIGHTS = {Priority.P1: 2, Priority.P2: 13, Priority.P3: 45, Priority.P4: 40}


@dataclass(frozen=True)
class Problem:
    """What an employee reported, as the intake would have filed it."""

    symptom: str
    category: str
    device: str
    since: str
    tried: str

    @property
    def title(self) -> str:
        return self.symptom.split(",", maxsplit=1)[0].capitalize()


PROBLEMS = (
    Problem(
        "my vpn keeps dropping, every ten minutes", "network", "VPN", "this morning", "reboot"
    ),
    Problem("outlook will not start, it hangs on the splash", "application", "Outlook", "", ""),
    Problem("the mfa prompt never arrives on my phone", "access", "Authenticator", "today", ""),
    Problem("my laptop disk is full, cannot save files", "system", "Laptop", "yesterday", ""),
    Problem("home wifi drops every few minutes", "network", "Wi-Fi", "last week", "router reset"),
    Problem("suspicious email asking for my password", "security", "Outlook", "just now", ""),
    Problem("printer at home does not print anything", "hardware", "Printer", "monday", "cable"),
    Problem("meeting audio is choppy, people cannot hear me", "application", "Teams", "", ""),
    Problem("password expired and I am locked out", "access", "Windows", "this morning", ""),
    Problem("docking station does not detect monitors", "hardware", "Dock", "today", "replug"),
    Problem("file sync is stuck, nothing uploads", "application", "OneDrive", "friday", ""),
    Problem("update is stuck at 35 percent", "system", "Windows", "last night", "waited"),
)
RESOLUTIONS = (
    "Reinstalled the VPN profile from the portal",
    "Cleared the cached credentials and signed in again",
    "Freed disk space and moved the archive to the file share",
    "Replaced the dock's power supply",
)


# --- due-time templates -------------------------------------------------------------------


@dataclass(frozen=True)
class SlaTemplate:
    """Service-level fields of one ticket, computed by the product's own calendars."""

    created_at: datetime
    first_response_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    fired: tuple[str, ...]
    check_at: datetime


SlaKey = tuple[Priority, bool, bool]  # priority, responded, due


def sla_templates(
    rules: Rules, now: datetime, rng: random.Random
) -> dict[SlaKey, list[SlaTemplate]]:
    """Templates per (priority, responded, due), from tickets created at log-spread ages.

    A due template has exactly one checkpoint that has come and not fired (one template for
    each that has come, so warnings, breaches and management alerts all occur); a template
    that is not due has fired every checkpoint that has come and waits for the next one.
    """
    pools: dict[SlaKey, list[SlaTemplate]] = {}
    for priority in Priority:
        for _ in range(60):
            age = timedelta(minutes=math.exp(rng.uniform(math.log(5), math.log(14 * 1440))))
            for responded in (False, True):
                for due, template in _sla_variants(rules, priority, now - age, responded, now):
                    pools.setdefault((priority, responded, due), []).append(template)
    for priority in Priority:
        for responded in (False, True):
            for due in (False, True):
                if not pools.get((priority, responded, due)):
                    raise RuntimeError(f"no SLA template for {priority} {responded} {due}")
    return pools


def _sla_variants(
    rules: Rules, priority: Priority, created: datetime, responded: bool, now: datetime
) -> Iterator[tuple[bool, SlaTemplate]]:
    ticket = Ticket(
        requester_id=0,
        title="",
        impact=Impact.JUST_ME,
        urgency=Urgency.NORMAL,
        priority=priority,
        status=Status.IN_PROGRESS if responded else Status.NEW,
        created_at=created,
        updated_at=created,
    )
    rules.levels.start(ticket)
    if responded:
        ticket.first_response_at = min(created + timedelta(minutes=7), now)
    points = sorted(rules.levels.checkpoints(ticket), key=lambda point: point.at)
    came = [point for point in points if point.at <= now]
    pending = [point for point in points if point.at > now]

    def template(fired: Iterable[str], check_at: datetime) -> SlaTemplate:
        return SlaTemplate(
            created,
            ticket.first_response_at,
            ticket.response_due_at,
            ticket.resolution_due_at,
            tuple(fired),
            check_at,
        )

    for missed in came:
        yield True, template((p.name for p in came if p is not missed), missed.at)
    if pending:
        yield False, template((point.name for point in came), pending[0].at)


@dataclass(frozen=True)
class Resolution:
    """When a ticket was resolved, and its reminder and auto-close times."""

    resolved_at: datetime
    reminder_at: datetime
    close_at: datetime


def resolution_templates(
    rules: Rules, now: datetime, rng: random.Random
) -> dict[str, list[Resolution]]:
    """Resolutions by what is due at `now`: "remind", "close" or "future"."""
    pools: dict[str, list[Resolution]] = {"remind": [], "close": [], "future": []}
    for _ in range(200):
        age = timedelta(minutes=math.exp(rng.uniform(math.log(5), math.log(10 * 1440))))
        resolved = now - age
        item = Resolution(
            resolved, rules.followups.reminder_at(resolved), rules.followups.close_at(resolved)
        )
        if item.close_at <= now:
            pools["close"].append(item)
        elif item.reminder_at <= now:
            pools["remind"].append(item)
        else:
            pools["future"].append(item)
    if not all(pools.values()):
        raise RuntimeError("too few resolution templates; widen the ages")
    return pools


# --- ticket rows --------------------------------------------------------------------------


class TicketRows:
    """Makes realistic ticket rows for each sweep, due or not at `now`."""

    def __init__(self, rules: Rules, staff: Staff, now: datetime, seed: int = SEED) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (reproducible test data, not security)
        self.rules = rules
        self.staff = staff
        self.now = now
        self.sla = sla_templates(rules, now, self.rng)
        self.resolutions = resolution_templates(rules, now, self.rng)
        self.cells = _priority_cells(rules)
        p1_future = self.sla[(Priority.P1, True, False)]
        self.pingable = [t for t in p1_future if t.created_at <= now - timedelta(minutes=61)]
        if not self.pingable:
            raise RuntimeError("no P1 template old enough to be pinged")

    def maker(self, sweep: str) -> Callable[[int, bool], dict[str, Any]]:
        """The row maker for a sweep's tickets; "mixed" makes a realistic mix of every state."""
        makers = {
            "sla": self.open_row,
            "pings": self.ping_row,
            "reminders": self.resolved_row,
            "polls": self.closed_row,
            "mixed": self.mixed_row,
        }
        return makers[sweep]

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def _priority(self) -> Priority:
        weights = list(PRIORITY_WEIGHTS.values())
        return self.rng.choices(list(PRIORITY_WEIGHTS), weights)[0]

    def base(
        self, ticket_id: int, priority: Priority, status: Status, created: datetime
    ) -> dict[str, Any]:
        """Every column of a ticket, with no timer set; the makers fill in the rest."""
        problem = self.rng.choice(PROBLEMS)
        impact, urgency = self.rng.choice(self.cells[priority])
        group = self.rules.teams.routing.categories.get(problem.category, problem.category)
        return {
            "id": ticket_id,
            "number": f"{self.rules.policy.ticket_prefix}-{ticket_id}",
            "requester_id": self.rng.choice(self.staff.requesters),
            "title": problem.title,
            "symptom": problem.symptom,
            "since_text": problem.since,
            "since_at": None,
            "device": problem.device,
            "tried": problem.tried,
            "category": problem.category,
            "impact": impact.value,
            "urgency": urgency.value,
            "priority": priority.value,
            "status": status.value,
            "assignee_id": None,
            "group_name": group if self.rng.random() < 0.6 else self.rules.teams.first_line,
            "vendor": None,
            "vendor_ref": None,
            "resolution": None,
            "created_at": created,
            "updated_at": created,
            "first_response_at": None,
            "resolved_at": None,
            "closed_at": None,
            "response_due_at": None,
            "resolution_due_at": None,
            "sla_check_at": None,
            "ping_at": None,
            "reminder_at": None,
            "close_at": None,
            "poll_at": None,
            "paused_at": None,
            "sla_fired": [],
            "last_public_at": created,
            "offered_articles": [],
        }

    def _assign(self, row: dict[str, Any]) -> None:
        agents = (
            self.staff.agents.get(row["group_name"])
            or self.staff.agents[self.rules.teams.first_line]
        )
        row["assignee_id"] = self.rng.choice(agents)

    def _apply_sla(self, row: dict[str, Any], template: SlaTemplate) -> None:
        row["created_at"] = row["updated_at"] = template.created_at
        row["first_response_at"] = template.first_response_at
        row["response_due_at"] = template.response_due_at
        row["resolution_due_at"] = template.resolution_due_at
        row["sla_check_at"] = template.check_at
        row["sla_fired"] = list(template.fired)

    def open_row(self, ticket_id: int, due: bool) -> dict[str, Any]:
        """An open ticket on the SLA clock; due means one checkpoint has come unfired."""
        priority = self._priority()
        responded = self.rng.random() < 0.7
        template = self.rng.choice(self.sla[(priority, responded, due)])
        status = Status.NEW
        if responded:
            status = self.rng.choices(
                [Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_VENDOR], [2, 6, 1]
            )[0]
        row = self.base(ticket_id, priority, status, template.created_at)
        self._apply_sla(row, template)
        if responded:
            self._assign(row)
        if status is Status.WAITING_ON_VENDOR:
            row["vendor"], row["vendor_ref"] = "Contoso Networks", f"CN-{ticket_id}"
        after = timedelta(minutes=self.rules.followups.settings.ping_after[priority])
        row["ping_at"] = self.now + after * self.rng.uniform(0.01, 1.0)
        row["last_public_at"] = max(row["ping_at"] - after, template.created_at)
        return row

    def ping_row(self, ticket_id: int, due: bool) -> dict[str, Any]:
        """A P1 ticket in progress; due means its last public update is over an hour old."""
        pool = self.pingable if due else self.sla[(Priority.P1, True, False)]
        template = self.rng.choice(pool)
        row = self.base(ticket_id, Priority.P1, Status.IN_PROGRESS, template.created_at)
        self._apply_sla(row, template)
        self._assign(row)
        hour = timedelta(minutes=self.rules.followups.settings.ping_after[Priority.P1])
        if due:
            last = (
                template.created_at + (self.now - hour - template.created_at) * self.rng.random()
            )
        else:
            earliest = max(template.created_at, self.now - hour + timedelta(minutes=1))
            last = earliest + (self.now - earliest) * self.rng.random()
        row["last_public_at"] = row["updated_at"] = last
        row["ping_at"] = last + hour
        return row

    def resolved_row(self, ticket_id: int, due: bool) -> dict[str, Any]:
        """A resolved ticket; due means its reminder (2 in 3) or its auto-close has come."""
        kind = "future"
        if due:
            kind = "remind" if self.rng.random() < 2 / 3 else "close"
        resolution = self.rng.choice(self.resolutions[kind])
        priority = self._priority()
        created = resolution.resolved_at - self._minutes(30, 3 * 1440)
        row = self.base(ticket_id, priority, Status.RESOLVED, created)
        self._assign(row)
        self._set_targets(row, priority, created)
        row["resolved_at"] = row["updated_at"] = row["last_public_at"] = resolution.resolved_at
        row["resolution"] = self.rng.choice(RESOLUTIONS)
        row["reminder_at"] = None if kind == "close" else resolution.reminder_at
        row["close_at"] = resolution.close_at
        return row

    def closed_row(self, ticket_id: int, due: bool) -> dict[str, Any]:
        """A closed ticket; due means its satisfaction poll is waiting to be sent."""
        closed = self.now - self._minutes(1, 2 * 1440)
        priority = self._priority()
        created = closed - self._minutes(60, 5 * 1440)
        row = self.base(ticket_id, priority, Status.CLOSED, created)
        self._assign(row)
        self._set_targets(row, priority, created)
        row["resolved_at"] = closed - self._minutes(1, 3 * 480)
        row["closed_at"] = row["updated_at"] = row["last_public_at"] = closed
        row["resolution"] = self.rng.choice(RESOLUTIONS)
        row["poll_at"] = closed if due else self.now + self._minutes(1, 1440)
        return row

    def mixed_row(self, ticket_id: int, due: bool) -> dict[str, Any]:
        """A desk as it looks after a while: mostly closed, many open, some resolved."""
        kind = self.rng.choices(["open", "ping", "resolved", "closed"], [40, 2, 8, 50])[0]
        if kind == "open":
            return self.open_row(ticket_id, due)
        if kind == "ping":
            return self.ping_row(ticket_id, due)
        if kind == "resolved":
            return self.resolved_row(ticket_id, due)
        row = self.closed_row(ticket_id, due)
        if not due:
            row["poll_at"] = None
        return row

    def _set_targets(self, row: dict[str, Any], priority: Priority, created: datetime) -> None:
        """Due times of a finished ticket, in wall-clock time (no sweep reads them any more)."""
        target = self.rules.levels.settings.policies[priority]
        row["first_response_at"] = created + self._minutes(1, target.response / 2)
        row["response_due_at"] = created + timedelta(minutes=target.response)
        row["resolution_due_at"] = created + timedelta(minutes=target.resolution)


def _priority_cells(rules: Rules) -> dict[Priority, list[tuple[Impact, Urgency]]]:
    cells: dict[Priority, list[tuple[Impact, Urgency]]] = {p: [] for p in Priority}
    for impact in Impact:
        for urgency in Urgency:
            cells[rules.policy.priority_for(impact, urgency)].append((impact, urgency))
    return cells


def due_ids(count: int, share: float) -> set[int]:
    """Which ticket ids are due: a share of 1..count, spread over the table (seeded)."""
    rng = random.Random(SEED)  # noqa: S311  (reproducible test data, not security)
    return set(rng.sample(range(1, count + 1), round(count * share)))


def fill_tickets(
    engine: Engine, make: Callable[[int, bool], dict[str, Any]], count: int, due: set[int]
) -> float:
    """Insert `count` tickets in chunks; return the seconds it took."""
    started = time.perf_counter()
    ticket = table(Ticket)
    with engine.begin() as connection:
        for first in range(1, count + 1, CHUNK):
            last = min(first + CHUNK, count + 1)
            rows = [make(ticket_id, ticket_id in due) for ticket_id in range(first, last)]
            connection.execute(insert(ticket), rows)
            if count > CHUNK:
                logger.info("  inserted %d/%d tickets", last - 1, count)
        if engine.dialect.name == "postgresql":
            # Ids were given explicitly; the next ticket the product opens must not collide.
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), :n)"), {"n": count}
            )
    analyse(engine)
    return time.perf_counter() - started


def make_due(engine: Engine, make: Callable[[int, bool], dict[str, Any]], due: set[int]) -> float:
    """Turn the tickets of the given ids into due ones, in place; return the seconds it took."""
    started = time.perf_counter()
    ticket = table(Ticket)
    statement = update(ticket).where(ticket.c.id == bindparam("ticket_id"))
    rows = []
    for ticket_id in sorted(due):
        row = make(ticket_id, True)
        row["ticket_id"] = row.pop("id")
        rows.append(row)
    with engine.begin() as connection:
        for first in range(0, len(rows), CHUNK):
            connection.execute(statement, rows[first : first + CHUNK])
    return time.perf_counter() - started


def analyse(engine: Engine) -> None:
    """Bring planner statistics up to date, as autovacuum would on a running desk."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE ticket"))
        return
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    with engine.begin() as connection:
        # Fold the fill out of the write-ahead log now, not in the first timed commit.
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


# --- databases ----------------------------------------------------------------------------


class Workspace:
    """A migrated database holding the people, and the copy (SQLite) or tables a case fills."""

    def __init__(self, backend: str, url: str, directory: Path | None = None) -> None:
        self.backend = backend
        self.url = url
        self.directory = directory
        self.engine: Engine | None = None
        # (tickets, population) when the tickets hold that population with nothing due, as
        # filled, so the next case of the same population only needs its due rows changed.
        self.clean: tuple[int, str] | None = None

    @property
    def case_url(self) -> str:
        """Where a case's tickets go: a copy of the SQLite file, or the PostgreSQL database."""
        return self.url if self.directory is None else f"sqlite:///{self.directory / 'case.db'}"

    def reset(self) -> Engine:
        """Return an engine on the people alone: a new copy of the SQLite file, or truncated
        tables on PostgreSQL (history rows are append-only, so SQLite cannot delete them)."""
        self.close()
        if self.directory is not None:
            shutil.copyfile(self.directory / "people.db", self.directory / "case.db")
        self.engine = make_engine(self.case_url)
        if self.directory is None:
            truncate(self.engine)
        return self.engine

    def close(self) -> None:
        self.clean = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.directory is not None:
            for path in self.directory.glob("case.db*"):
                path.unlink()


def truncate(engine: Engine) -> None:
    """Empty every table a case writes (PostgreSQL; TRUNCATE fires no row triggers)."""
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(CASE_TABLES)} RESTART IDENTITY CASCADE"))


@contextmanager
def workspace(backend: str, postgres_url: str, config: Config, now: datetime) -> Iterator[Any]:
    """Yield (Workspace, Staff): a migrated database with the people, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
            url = f"sqlite:///{Path(directory) / 'people.db'}"
            space = Workspace(backend, url, Path(directory))
            try:
                yield space, _prepare(url, config, now)
            finally:
                space.close()
        return
    with postgres_database(postgres_url) as url:
        space = Workspace(backend, url)
        try:
            yield space, _prepare(url, config, now)
        finally:
            space.close()


def _prepare(url: str, config: Config, now: datetime) -> Staff:
    engine = make_engine(url)
    try:
        upgrade(engine)
        staff = add_people(engine, config, now)
        if engine.dialect.name == "sqlite":
            with engine.begin() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return staff
    finally:
        engine.dispose()
