"""Benchmark complete intake conversations through Helpdesk.handle on SQLite and PostgreSQL.

Generated employees (added to the directory first, not timed) each report one problem the way
people do: some give since when, the device, what they tried, who is affected and how urgent
in the first message, some give almost nothing and answer the questions. Impact, urgency, the
article offer ("none of these") and the summary (confirm) are answered as button presses. Every
message is one `Helpdesk.handle` call, so one transaction, in this one process; a FixedClock
moves a few seconds per message. Conversations are interleaved (--interleave of them under
way at once), as several people talk to the bot at the same time.

Each backend is run twice: with an empty knowledge base (no article is ever offered) and with
the shipped articles of kb/articles indexed, where the intake offers articles and the
employee presses "none of these" before carrying on. A run fails (exit 1) unless it opened
exactly one ticket per conversation and left no conversation behind.

Usage (from the repository root):

    .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --conversations 500 --backend sqlite
    .venv/bin/python bench/intake.py --backend postgresql --kb indexed \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/intake.py --backend sqlite --kb empty --profile 200

stdout gets one JSON object per (backend, knowledge base), with the SQL statements sent per
message beside the rates; stderr gets progress and, with --profile N, a profile of N
more conversations run after the timed ones. The PostgreSQL database (helpdesk_bench_<random>)
is created on the server of --postgres-url and always dropped, also on Ctrl-C; the SQLite file
lives in a temporary directory. A run that passes --limit seconds (600) stops with a message
and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import NoReturn

from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.employee_scripts import (  # noqa: E402
    QUESTIONS,
    Script,
    employees,
    make_entry,
    make_script,
)
from bench.machine import print_machine  # noqa: E402
from bench.profiling import profiled  # noqa: E402
from bench.throwaway import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    postgres_database,
    require_loopback,
    sqlite_database,
)
from bot.app import build_helpdesk  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.service import Helpdesk  # noqa: E402
from desk.clock import FixedClock  # noqa: E402
from desk.directory import Directory  # noqa: E402
from flows.messages import Inbound, Outbound, OutButton  # noqa: E402
from kb.articles import ARTICLES, load  # noqa: E402
from kb.index import SYNONYMS, KnowledgeBase  # noqa: E402
from kb.query import Synonyms  # noqa: E402
from storage.database import make_engine, unit_of_work, upgrade  # noqa: E402
from storage.models import Conversation, Person, Ticket  # noqa: E402

logger = logging.getLogger("bench.intake")

CONFIG = ROOT / "config.yaml"
PLATFORM = "console"
SEED = 42
START = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # a Thursday morning
STEP = timedelta(seconds=3)  # the clock moves this much per message
LIMIT_SECONDS = 600
MAX_TURNS = 12  # a conversation longer than this is a bug in the bot or in this script
PROGRESS_EVERY = 100
TICKET_NUMBER = re.compile(r"\bHD-\d+\b")


class BenchmarkTimeout(Exception):
    """The run took longer than --limit allows."""


class UnexpectedReply(Exception):
    """The bot answered something the scripted employee cannot answer."""


# --- one conversation ---------------------------------------------------------------------


@dataclass
class Talk:
    """A scripted employee talking to the bot: what to send next, given the bot's replies."""

    script: Script
    messages: int = 0
    offers: int = 0
    confirmed: bool = False
    transcript: list[str] = field(default_factory=list)

    def first(self) -> Inbound:
        return self._say(self.script.first)

    def answer(self, replies: Sequence[Outbound]) -> Inbound | None:
        """The next message, or None when the ticket has been confirmed and numbered."""
        self.transcript += [reply.text for reply in replies]
        if self.confirmed:
            if not any(TICKET_NUMBER.search(reply.text) for reply in replies):
                raise self._unexpected("no ticket number after the confirm press")
            return None
        if self.messages >= MAX_TURNS:
            raise self._unexpected(f"still talking after {MAX_TURNS} messages")
        buttons = [button for reply in replies for button in reply.buttons]
        return self._press(buttons) or self._type(replies)

    def _press(self, buttons: Sequence[OutButton]) -> Inbound | None:
        actions = {button.action for button in buttons}
        if "offer" in actions:
            self.offers += 1
            return self._button(buttons, "offer", "none")
        for field_name in ("impact", "urgency"):
            if field_name in actions:
                return self._button(buttons, field_name, getattr(self.script, field_name))
        if "confirm" in actions:
            self.confirmed = True
            return self._button(buttons, "confirm", "yes")
        return None

    def _type(self, replies: Sequence[Outbound]) -> Inbound:
        asked = replies[-1].text if replies else ""
        for opening, field_name in QUESTIONS:
            if opening in asked:
                return self._say(self.script.answers[field_name])
        raise self._unexpected("a question this script does not know")

    def _say(self, words: str) -> Inbound:
        self.messages += 1
        self.transcript.append(f"> {words}")
        email = self.script.email
        return Inbound(platform=PLATFORM, user_id=email, chat_id=email, text=words)

    def _button(self, buttons: Sequence[OutButton], action: str, value: str) -> Inbound:
        """Press the button of the action and value among those offered."""
        button = next((b for b in buttons if (b.action, b.value) == (action, value)), None)
        if button is None:
            raise self._unexpected(f"no {action}={value} button to press")
        self.messages += 1
        self.transcript.append(f"> [{button.action}={button.value}]")
        email = self.script.email
        return Inbound(
            platform=PLATFORM,
            user_id=email,
            chat_id=email,
            text=button.label,
            action=button.action,
            value=button.value,
        )

    def _unexpected(self, problem: str) -> UnexpectedReply:
        lines = "\n  ".join(self.transcript[-8:])
        return UnexpectedReply(f"{self.script.email}: {problem}; the end of it:\n  {lines}")


# --- databases ----------------------------------------------------------------------------


@contextmanager
def migrated_database(backend: str, postgres_url: str) -> Iterator[str]:
    """Yield the URL of a fresh database of the backend, migrated with upgrade(engine)."""
    urls = sqlite_database() if backend == "sqlite" else postgres_database(postgres_url)
    with urls as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url


# --- preparing (not timed) ----------------------------------------------------------------


def add_people(engine: Engine, clock: FixedClock, emails: Sequence[str]) -> None:
    """Put the generated employees into the directory, in one transaction."""
    rng = random.Random(SEED)  # noqa: S311  (reproducible test data, not security)
    with unit_of_work(engine) as session:
        directory = Directory(session, clock)
        for email in emails:
            directory.upsert(make_entry(rng, email))


def index_articles(engine: Engine, clock: FixedClock) -> int:
    """Index the shipped articles; return how many the knowledge base holds."""
    articles, problems = load(ARTICLES)
    for problem in problems:
        logger.warning("skipping article: %s", problem)
    with unit_of_work(engine, writing=True) as session:
        knowledge = KnowledgeBase(session, Synonyms.load(SYNONYMS))
        knowledge.index(articles, clock.now())
        return knowledge.count()


# --- talking (timed) ----------------------------------------------------------------------


@dataclass
class Tally:
    """What the conversations did: one duration per message, offers seen, conversations."""

    durations: list[int] = field(default_factory=list)
    offers: int = 0
    finished: int = 0


@dataclass
class Statements:
    """How many SQL statements an engine ran while it was watched."""

    count: int = 0

    def seen(self, *_event: object) -> None:
        self.count += 1


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Count the statements the engine sends to the database meanwhile."""
    statements = Statements()
    event.listen(engine, "before_cursor_execute", statements.seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", statements.seen)


@dataclass(frozen=True)
class Pace:
    """How the conversations are driven: how many at once, and until when."""

    interleave: int
    deadline: float
    limit: float


def converse(
    helpdesk: Helpdesk, clock: FixedClock, scripts: Sequence[Script], pace: Pace
) -> Tally:
    """Hold every scripted conversation to its end, a few at a time, timing each message."""
    tally = Tally()
    waiting = iter(scripts)
    under_way: deque[tuple[Talk, Inbound]] = deque()
    for script in waiting:
        talk = Talk(script)
        under_way.append((talk, talk.first()))
        if len(under_way) >= pace.interleave:
            break
    while under_way:
        talk, inbound = under_way.popleft()
        following = talk.answer(_send(helpdesk, clock, inbound, tally))
        if following is not None:
            under_way.append((talk, following))
            continue
        _finish(talk, tally, len(scripts), pace)
        another = next(waiting, None)
        if another is not None:
            talk = Talk(another)
            under_way.append((talk, talk.first()))
    return tally


def _send(helpdesk: Helpdesk, clock: FixedClock, inbound: Inbound, tally: Tally) -> list[Outbound]:
    clock.advance(STEP)
    started = time.perf_counter_ns()
    replies = helpdesk.handle(inbound)
    tally.durations.append(time.perf_counter_ns() - started)
    return replies


def _finish(talk: Talk, tally: Tally, total: int, pace: Pace) -> None:
    tally.finished += 1
    tally.offers += talk.offers
    if tally.finished % PROGRESS_EVERY == 0:
        logger.info(
            "  %d/%d conversations, %d messages", tally.finished, total, len(tally.durations)
        )
    if time.perf_counter() > pace.deadline:
        raise BenchmarkTimeout(
            f"passed the {pace.limit:.0f} s limit after {tally.finished} of {total} "
            "conversations; run with fewer --conversations"
        )


def profile(helpdesk: Helpdesk, clock: FixedClock, scripts: Sequence[Script], pace: Pace) -> None:
    """Run more conversations under the profiler; write their call tree to stderr."""
    with profiled(f"{len(scripts)} more conversations"):
        converse(helpdesk, clock, scripts, pace)


# --- checking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the database holds after the conversations."""

    tickets: int
    requesters: int
    open_conversations: int


def count_outcome(engine: Engine, emails: Sequence[str]) -> Outcome:
    """Count the tickets of the benchmark's employees and the conversations still open."""
    with Session(engine) as session:
        ids = select(Person.id).where(col(Person.email).in_(list(emails)))
        mine = col(Ticket.requester_id).in_(ids)
        tickets = session.exec(select(func.count()).select_from(Ticket).where(mine)).one()
        requesters = session.exec(
            select(func.count(func.distinct(Ticket.requester_id))).where(mine)
        ).one()
        left = session.exec(
            select(func.count())
            .select_from(Conversation)
            .where(col(Conversation.person_id).in_(ids))
        ).one()
    return Outcome(tickets, requesters, left)


def problems_with(outcome: Outcome, conversations: int) -> list[str]:
    problems = []
    if outcome.tickets != conversations:
        problems.append(f"{outcome.tickets} tickets for {conversations} conversations")
    if outcome.requesters != conversations:
        problems.append(f"{outcome.requesters} employees with a ticket, not {conversations}")
    if outcome.open_conversations:
        problems.append(f"{outcome.open_conversations} conversations left open")
    return problems


# --- one run and the whole job ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What the command line asked for."""

    backends: tuple[str, ...]
    knowledge: tuple[str, ...]
    conversations: int
    interleave: int
    postgres_url: str
    limit: float
    profile: int


@dataclass(frozen=True)
class RunResult:
    """One (backend, knowledge base) measurement, as printed on stdout."""

    backend: str
    kb: str
    conversations: int
    messages: int
    messages_per_second: float
    p50_ms: float
    p99_ms: float
    tickets: int
    tickets_per_second: float
    offers: int
    articles: int
    statements_per_message: float

    def to_json(self) -> str:
        return json.dumps({"benchmark": "intake", **self.__dict__}, ensure_ascii=False)


class VerificationFailed(Exception):
    """The run did not open exactly one ticket per conversation."""


def run(job: Job, backend: str, knowledge: str, started: float) -> RunResult:
    """Talk every conversation through a fresh database of the backend and check the result."""
    label = f"{backend}, kb {knowledge}"
    rng = random.Random(SEED)  # noqa: S311  (reproducible test data, not security)
    timed, extra = employees("employee", job.conversations), employees("profiled", job.profile)
    scripts = [make_script(rng, email) for email in [*timed, *extra]]
    pace = Pace(job.interleave, started + job.limit, job.limit)
    with migrated_database(backend, job.postgres_url) as url:
        config = load_config(CONFIG, environ={"DATABASE_URL": url})
        clock = FixedClock(START)
        helpdesk = build_helpdesk(config, clock)
        try:
            add_people(helpdesk.engine, clock, [*timed, *extra])
            articles = index_articles(helpdesk.engine, clock) if knowledge == "indexed" else 0
            logger.info("%s: %d employees, %d articles; talking", label, len(scripts), articles)
            with counting(helpdesk.engine) as statements:
                began = time.perf_counter()
                tally = converse(helpdesk, clock, scripts[: len(timed)], pace)
                seconds = time.perf_counter() - began
            if job.profile:
                profile(helpdesk, clock, scripts[len(timed) :], pace)
            outcome = count_outcome(helpdesk.engine, timed)
            extra_outcome = count_outcome(helpdesk.engine, extra)
        finally:
            helpdesk.engine.dispose()
    problems = problems_with(outcome, len(timed)) + problems_with(extra_outcome, len(extra))
    if problems:
        raise VerificationFailed(f"{label}: " + "; ".join(problems))
    return _result(
        backend,
        knowledge,
        tally=tally,
        outcome=outcome,
        seconds=seconds,
        articles=articles,
        statements=statements.count,
    )


def _result(
    backend: str,
    knowledge: str,
    *,
    tally: Tally,
    outcome: Outcome,
    seconds: float,
    articles: int,
    statements: int,
) -> RunResult:
    ordered = sorted(tally.durations)
    return RunResult(
        backend=backend,
        kb=knowledge,
        conversations=tally.finished,
        messages=len(ordered),
        messages_per_second=round(len(ordered) / seconds, 1),
        p50_ms=round(percentile(ordered, 0.50) / 1e6, 3),
        p99_ms=round(percentile(ordered, 0.99) / 1e6, 3),
        tickets=outcome.tickets,
        tickets_per_second=round(outcome.tickets / seconds, 1),
        offers=tally.offers,
        articles=articles,
        statements_per_message=round(statements / len(ordered), 2),
    )


def percentile(sorted_values: Sequence[int], share: float) -> int:
    """Nearest-rank percentile of sorted values (share 0.5 is the median)."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def run_all(job: Job) -> None:
    """Run every (backend, knowledge base) pair, writing each result as soon as it is known."""
    started = time.perf_counter()
    for backend in job.backends:
        for knowledge in job.knowledge:
            result = run(job, backend, knowledge, started)
            sys.stdout.write(result.to_json() + "\n")
            sys.stdout.flush()


def parse_args(argv: Sequence[str] | None) -> Job:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--kb", choices=("empty", "indexed", "both"), default="both")
    parser.add_argument("--interleave", type=int, default=20, help="conversations at once")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="admin URL")
    parser.add_argument("--limit", type=float, default=LIMIT_SECONDS, help="seconds (600)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N more conversations"
    )
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.interleave < 1 or args.profile < 0 or args.limit <= 0:
        parser.error("--conversations, --interleave and --limit must be positive")
    both = args.backend == "both"
    return Job(
        backends=("sqlite", "postgresql") if both else (args.backend,),
        knowledge=("empty", "indexed") if args.kb == "both" else (args.kb,),
        conversations=args.conversations,
        interleave=args.interleave,
        postgres_url=args.postgres_url,
        limit=args.limit,
        profile=args.profile,
    )


def _terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    """Turn SIGTERM into an exception, so the throwaway database is still dropped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s intake: %(message)s"
    )
    for noisy in ("alembic", "bot", "desk", "flows", "kb", "storage"):
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
    except (VerificationFailed, UnexpectedReply) as error:
        logger.error("failed: %s", error)
        return 1
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
