"""Benchmark the peak resident memory of `helpdesk run` over a database of many tickets.

Fills a fresh throwaway database with N tickets in a realistic mix of states (half closed, two
fifths open on the service-level clock, some resolved, a few P1s in progress), 1 % of each
timer due, the people of config.yaml and a few hundred employees. Then starts the helpdesk as
a child process, as an operator would:

    DATABASE_URL=<the database> python -m bot --config <copy of config.yaml> run

The copy of config.yaml runs the sla, pings, reminders and polls sweeps every 2 seconds. The
child's standard input is a pipe kept open (the console chat of config.yaml's console.user).
Once every sweep has run (so the knowledge base is indexed and the scheduler started), a few
chat lines go in ("my tickets", a short intake that opens a ticket); after at least 20 s more,
with every sweep run again since the chat, the child's VmHWM is read from /proc/<pid>/status,
its input is closed and it exits. Its ru_maxrss (from wait4 for this child, and from
getrusage(RUSAGE_CHILDREN)) is read after it exits; peak_rss_mib is the larger of VmHWM and
the child's own ru_maxrss.

Usage (from the repository root):

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --tickets 100000 --backend sqlite
    .venv/bin/python bench/memory.py --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

stdout gets one JSON object per backend; stderr gets progress, the sweeps' last results and
whether the target (under 200 MiB) is met. The PostgreSQL database (helpdesk_bench_<random>)
is created on the server of --postgres-url and always dropped, also on Ctrl-C; the SQLite file
and the config copy live in a temporary directory. Runtime is bounded: the child gets
--start-limit seconds to start its sweeps and is stopped if it does not exit after its input
closes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import print_machine  # noqa: E402
from bench.population import (  # noqa: E402
    CONFIG,
    SWEEPS,
    TicketRows,
    Workspace,
    due_ids,
    fill_tickets,
    workspace,
)
from bench.staff import table  # noqa: E402
from bench.sweeps import configure_logging, terminate  # noqa: E402
from bench.throwaway import POSTGRES_ADMIN_URL, require_loopback  # noqa: E402
from bot.config import load_config  # noqa: E402
from storage.models import JobRun, OutboxMessage  # noqa: E402

logger = logging.getLogger("bench.memory")

DUE_SHARE = 0.01
SWEEP_SECONDS = 2
SETTLE_SECONDS = 20.0
START_LIMIT_SECONDS = 180.0
EXIT_LIMIT_SECONDS = 60.0
TARGET_MIB = 200.0
CHAT = (
    "my tickets",
    "my vpn keeps dropping since this morning, already rebooted",
    "read 1",
    "None of these, open a ticket",
    "Just me",
    "I can work, with difficulty",
    "Confirm",
    "my tickets",
)


@dataclass(frozen=True)
class MemoryResult:
    """One backend's measurement, as printed on stdout."""

    backend: str
    tickets: int
    peak_rss_mib: float
    vm_hwm_mib: float
    ru_maxrss_mib: float
    children_maxrss_mib: float
    seconds_running: float

    def to_json(self) -> str:
        return json.dumps({"benchmark": "memory", **asdict(self)})


# --- the database -------------------------------------------------------------------------


def fill(space: Workspace, rows: TicketRows, count: int) -> Engine:
    """Fill the workspace with a mix of tickets, 1 % of every timer due."""
    engine = space.reset()
    seconds = fill_tickets(engine, rows.maker("mixed"), count, due_ids(count, DUE_SHARE))
    logger.info("%s: %d tickets filled in %.1f s", space.backend, count, seconds)
    return engine


def job_runs(engine: Engine) -> dict[str, JobRun]:
    """The recorded runs of the sweeps, by job name (read with a short-lived connection)."""
    job_run = table(JobRun)
    with engine.connect() as connection:
        rows = connection.execute(select(job_run)).all()
    return {row.name: JobRun(**row._asdict()) for row in rows if row.name in SWEEPS}


def every_sweep_ran(engine: Engine, since: datetime) -> bool:
    runs = job_runs(engine)
    finished = [runs[name].last_finished_at if name in runs else None for name in SWEEPS]
    return all(at is not None and at >= since for at in finished)


# --- the child process --------------------------------------------------------------------


def write_config(directory: Path) -> Path:
    """Copy config.yaml with every sweep running every two seconds."""
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    jobs = dict(raw.get("jobs") or {})
    jobs.update({f"{name}_seconds": SWEEP_SECONDS for name in SWEEPS})
    raw["jobs"] = jobs
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_config(path, environ={})  # the copy must be valid before a child is started on it
    return path


def start_child(config: Path, url: str, out: IO[str], err: IO[str]) -> subprocess.Popen[str]:
    environment = {key: value for key, value in os.environ.items() if key != "HELPDESK_CONFIG"}
    environment["DATABASE_URL"] = url
    command = [sys.executable, "-m", "bot", "--config", str(config), "run"]
    return subprocess.Popen(  # noqa: S603  (our own interpreter and module, no shell)
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=out,
        stderr=err,
        text=True,
    )


class ChildFailed(Exception):
    """The helpdesk exited or stalled before it could be measured."""


def wait_for_sweeps(
    child: subprocess.Popen[str], engine: Engine, since: datetime, limit: float
) -> None:
    """Wait until every sweep has finished a run that started after `since`."""
    deadline = time.monotonic() + limit
    while not every_sweep_ran(engine, since):
        if child.poll() is not None:
            raise ChildFailed(f"the helpdesk exited with status {child.returncode}")
        if time.monotonic() > deadline:
            raise ChildFailed(f"not every sweep ran within {limit:.0f} s")
        time.sleep(0.5)


def chat(child: subprocess.Popen[str], lines: Sequence[str]) -> None:
    """Type the chat lines into the child's console, one message a line."""
    if child.stdin is None:
        raise ChildFailed("the helpdesk has no input pipe")
    for line in lines:
        child.stdin.write(line + "\n")
        child.stdin.flush()
        time.sleep(0.5)


def vm_hwm_kib(pid: int) -> int:
    """The peak resident set size of a live process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise ChildFailed(f"no VmHWM for process {pid}")


def reap(child: subprocess.Popen[str], limit: float) -> resource.struct_rusage:
    """Wait for the child to exit (stopping it after `limit` seconds); return its usage."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return usage
        time.sleep(0.1)
    logger.warning("the helpdesk did not exit %.0f s after its input closed; stopping it", limit)
    os.kill(child.pid, signal.SIGTERM)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage


def stop(child: subprocess.Popen[str]) -> None:
    """Stop a child still running after a failure, and reap it."""
    if child.returncode is None and child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# --- one measurement ----------------------------------------------------------------------


@dataclass(frozen=True)
class Peaks:
    """What the child's memory reached, in KiB, and how long it ran."""

    vm_hwm: int
    ru_maxrss: int
    seconds: float


def measure(engine: Engine, url: str, directory: Path, settle: float, limit: float) -> Peaks:
    """Run the helpdesk on the database, chat with it, and read its peak memory."""
    config = write_config(directory)
    with (
        (directory / "stdout.txt").open("w", encoding="utf-8") as out,
        (directory / "stderr.txt").open("w", encoding="utf-8") as err,
    ):
        started, clock = datetime.now(UTC), time.monotonic()
        child = start_child(config, url, out, err)
        try:
            logger.info("helpdesk started (pid %d); waiting for every sweep to run", child.pid)
            wait_for_sweeps(child, engine, started, limit)
            logger.info("sweeps running after %.1f s; chatting", time.monotonic() - clock)
            chatted = datetime.now(UTC)
            chat(child, CHAT)
            time.sleep(settle)
            wait_for_sweeps(child, engine, chatted, limit)
            hwm = vm_hwm_kib(child.pid)
            if child.stdin is not None:
                child.stdin.close()
            usage = reap(child, EXIT_LIMIT_SECONDS)
        finally:
            stop(child)
    report_child(engine, directory)
    return Peaks(hwm, usage.ru_maxrss, time.monotonic() - clock)


def report_child(engine: Engine, directory: Path) -> None:
    """Say on stderr what the sweeps did and whether the chat opened a ticket."""
    for name, run in sorted(job_runs(engine).items()):
        logger.info("  last %s run: %s", name, run.last_result)
    outbox = table(OutboxMessage)
    with engine.connect() as connection:
        queued = connection.execute(
            select(outbox.c.template, func.count()).group_by(outbox.c.template)
        ).all()
    logger.info("  queued by the sweeps and the chat: %s", dict(sorted(queued)))
    transcript = (directory / "stdout.txt").read_text(encoding="utf-8")
    lines = transcript.splitlines()
    opened = [line for line in lines if line.startswith("Ticket ") and " is open" in line]
    if opened:
        logger.info("  chat: %d lines of replies; %s", len(lines), opened[0])
    else:
        logger.warning("  chat opened no ticket; its replies:\n%s", transcript[-3000:])
    errors = (directory / "stderr.txt").read_text(encoding="utf-8").strip()
    if "Traceback" in errors or "ERROR" in errors:
        logger.warning("  the helpdesk's stderr:\n%s", errors[-3000:])


def run(backend: str, options: Options) -> MemoryResult:
    """Fill a fresh database of the backend, run the helpdesk on it and measure it."""
    config = load_config(CONFIG, environ={})
    now = datetime.now(UTC).replace(microsecond=0)
    count = options.tickets
    with workspace(backend, options.postgres_url, config, now) as (space, staff):
        engine = fill(space, TicketRows(config.rules(), staff, now), count)
        with tempfile.TemporaryDirectory(prefix="helpdesk-bench-memory-") as directory:
            peaks = measure(
                engine, space.case_url, Path(directory), options.settle, options.start_limit
            )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return MemoryResult(
        backend=backend,
        tickets=count,
        peak_rss_mib=round(max(peaks.vm_hwm, peaks.ru_maxrss) / 1024, 1),
        vm_hwm_mib=round(peaks.vm_hwm / 1024, 1),
        ru_maxrss_mib=round(peaks.ru_maxrss / 1024, 1),
        children_maxrss_mib=round(children / 1024, 1),
        seconds_running=round(peaks.seconds, 1),
    )


# --- the whole job ------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    backends: tuple[str, ...]
    tickets: int
    postgres_url: str
    settle: float
    start_limit: float


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument(
        "--settle", type=float, default=SETTLE_SECONDS, help="seconds after the chat (20)"
    )
    parser.add_argument(
        "--start-limit",
        type=float,
        default=START_LIMIT_SECONDS,
        help="seconds the helpdesk may take to run every sweep (180)",
    )
    args = parser.parse_args(argv)
    if args.tickets < 1:
        parser.error("--tickets must be positive")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Options(backends, args.tickets, args.postgres_url, args.settle, args.start_limit)


def report(result: MemoryResult) -> None:
    sys.stdout.write(result.to_json() + "\n")
    sys.stdout.flush()
    met = "met" if result.peak_rss_mib < TARGET_MIB else "MISSED"
    logger.info(
        "target %s: %s peak %.1f MiB (limit %.0f MiB)",
        met,
        result.backend,
        result.peak_rss_mib,
        TARGET_MIB,
    )


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging("memory")
    options = parse_args(argv)
    if "postgresql" in options.backends:
        require_loopback(options.postgres_url)
    signal.signal(signal.SIGTERM, terminate)
    print_machine()
    try:
        for backend in options.backends:
            report(run(backend, options))
    except ChildFailed as error:
        logger.error("stopped: %s", error)
        return 2
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
