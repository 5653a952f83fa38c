"""Two real `helpdesk` processes sweeping one database, and one killed midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from bot.app import build_helpdesk
from bot.config import Config
from desk.clock import FixedClock
from desk.tickets import TicketDraft
from desk.vocabulary import Impact, Urgency
from desk.work import Workbench
from storage.database import unit_of_work
from storage.models import OutboxMessage
from storage.stores import PersonStore

TICKETS = 60
# Per P1 ticket two hours old: a warning to each of the two service-desk agents, the breach
# to the group's lead, and the alert to management.
ALERTS_PER_TICKET = 4
SHIPPED = Path(__file__).parent.parent.parent / "config.yaml"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["jobs"]["batch"] = 7
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture
def overdue(config: Config) -> str:
    """Sixty P1 tickets opened two hours ago, so their response checkpoints are all due."""
    helpdesk = build_helpdesk(config, FixedClock(datetime.now(UTC) - timedelta(hours=2)))
    draft = TicketDraft(
        symptom="the whole company is offline", impact=Impact.COMPANY, urgency=Urgency.STOPPED
    )
    with unit_of_work(helpdesk.engine) as session:
        bench = Workbench(session, helpdesk.rules, helpdesk.clock)
        alex = PersonStore(session).get_by_email("alex@example.com")
        assert alex is not None
        for _ in range(TICKETS):
            bench.desk.open_ticket(alex, draft)
    helpdesk.engine.dispose()
    return config.database.url


def _sweep(config_file: Path, database_url: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config_file), "jobs", "run", "sla"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _alerts(database_url: str) -> Counter[str]:
    from storage.database import make_engine

    engine = make_engine(database_url)
    with Session(engine) as session:
        keys = session.exec(
            select(OutboxMessage.key).where(OutboxMessage.key.startswith("sla:"))
        ).all()  # type: ignore[attr-defined]
    engine.dispose()
    return Counter(key.split(":")[1] for key in keys)


def test_two_processes_sweeping_at_once_send_each_alert_once(
    overdue: str, config_file: Path
) -> None:
    processes = [_sweep(config_file, overdue) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    per_ticket = _alerts(overdue)
    assert len(per_ticket) == TICKETS
    assert set(per_ticket.values()) == {ALERTS_PER_TICKET}


def test_a_process_killed_mid_sweep_loses_and_duplicates_nothing(
    overdue: str, config_file: Path
) -> None:
    victim = _sweep(config_file, overdue)
    try:
        victim.wait(timeout=1.5)
    except subprocess.TimeoutExpired:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        victim.communicate()

    rerun = _sweep(config_file, overdue)
    rerun.communicate(timeout=120)

    assert rerun.returncode == 0
    per_ticket = _alerts(overdue)
    assert len(per_ticket) == TICKETS
    assert set(per_ticket.values()) == {ALERTS_PER_TICKET}
