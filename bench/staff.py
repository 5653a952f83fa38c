"""The people of a benchmark's helpdesk: a few hundred employees and agents in every group.

Bulk inserted with SQLAlchemy Core beside the demo directory of config.yaml, and read back
by email, so the sweeps and memory benchmarks know whom their tickets belong to.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Config  # noqa: E402
from desk.clock import FixedClock  # noqa: E402
from desk.directory import Directory  # noqa: E402
from desk.vocabulary import Role  # noqa: E402
from storage.database import unit_of_work  # noqa: E402
from storage.models import Membership, Person  # noqa: E402

SEED = 42
EMPLOYEES = 300
AGENTS_PER_GROUP = 3
TIME_ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
DEPARTMENTS = ("Sales", "Finance", "Engineering", "Marketing", "Operations", "Legal", "HR")
FIRST_NAMES = ("Ana", "Ben", "Chloe", "Dev", "Emre", "Fatima", "Goran", "Hana", "Ivan", "Jun")
LAST_NAMES = ("Alvarez", "Brown", "Costa", "Dubois", "Eze", "Fischer", "Gupta", "Haddad", "Ito")


@dataclass(frozen=True)
class Staff:
    """Who tickets can belong to: requesters, and the agents of each support group."""

    requesters: tuple[int, ...]
    agents: dict[str, tuple[int, ...]]


def add_people(engine: Engine, config: Config, now: datetime) -> Staff:
    """Add config.yaml's directory, a few hundred employees and agents in every group."""
    with unit_of_work(engine) as session:
        Directory(session, FixedClock(now)).sync(config.directory.people)
    rng = random.Random(SEED)  # noqa: S311  (reproducible test data, not security)
    rows = [_employee(number, rng, now) for number in range(1, EMPLOYEES + 1)]
    groups = sorted(config.groups)
    rows += [_agent(group, seat, now) for group in groups for seat in range(AGENTS_PER_GROUP)]
    with engine.begin() as connection:
        connection.execute(insert(table(Person)), rows)
        ids = dict(connection.execute(select(table(Person).c.email, table(Person).c.id)).all())
        memberships = [
            {"person_id": ids[_agent_email(group, seat)], "group_name": group}
            for group in groups
            for seat in range(AGENTS_PER_GROUP)
        ]
        connection.execute(insert(table(Membership)), memberships)
    return load_staff(engine)


def table(model: type[Any]) -> Table:
    """The Core table of a SQLModel class."""
    result: Table = model.__table__
    return result


def _employee(number: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    zone = rng.choice(TIME_ZONES)
    return {
        "email": f"{first}.{last}.{number}@example.com".lower(),
        "name": f"{first} {last}",
        "department": rng.choice(DEPARTMENTS),
        "time_zone": zone,
        "language": "zh" if zone == "Asia/Shanghai" else "en",
        "roles": [Role.EMPLOYEE.value],
        "active": True,
        "on_duty": False,
        "created_at": now - timedelta(days=400),
        "updated_at": now - timedelta(days=400),
    }


def _agent_email(group: str, seat: int) -> str:
    return f"agent.{group}.{seat}@example.com"


def _agent(group: str, seat: int, now: datetime) -> dict[str, Any]:
    return {
        "email": _agent_email(group, seat),
        "name": f"Agent {seat + 1} of {group}",
        "department": "IT",
        "time_zone": TIME_ZONES[seat % len(TIME_ZONES)],
        "language": "en",
        "roles": [Role.EMPLOYEE.value, Role.AGENT.value],
        "active": True,
        "on_duty": True,
        "created_at": now - timedelta(days=400),
        "updated_at": now - timedelta(days=400),
    }


def load_staff(engine: Engine) -> Staff:
    """Read back who may request tickets and which agents each group has."""
    person, membership = table(Person), table(Membership)
    with engine.connect() as connection:
        people = connection.execute(select(person.c.id, person.c.roles)).all()
        rows = connection.execute(select(membership.c.group_name, membership.c.person_id)).all()
    agents: dict[str, list[int]] = {}
    for group, person_id in rows:
        agents.setdefault(group, []).append(person_id)
    requesters = tuple(p.id for p in people if Role.AGENT.value not in p.roles)
    return Staff(requesters, {group: tuple(ids) for group, ids in agents.items()})
