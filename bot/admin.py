"""Text for the operator commands: how a ticket's due times were computed, and the jobs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Config
from desk.clock import Clock
from desk.errors import TicketNotFound
from desk.rules import Rules
from desk.tickets import TicketDesk
from desk.vocabulary import Priority, Status
from jobs.scheduler import jobs, list_runs, next_due
from storage.models import Ticket, TicketEvent


def explain_sla(engine: Engine, rules: Rules, clock: Clock, reference: str) -> str:
    """Say how a ticket's due times were computed: calendar, targets, pauses, checkpoints."""
    with Session(engine) as session:
        desk = TicketDesk(session, rules, clock)
        number = desk.normalise_number(reference)
        ticket = desk.store.get_by_number(number)
        if ticket is None:
            raise TicketNotFound(f"There is no ticket {number}.")
        events = desk.history(ticket, public_only=False)
        return "\n".join(_explain(rules, ticket, events, clock.now()))


def _explain(
    rules: Rules, ticket: Ticket, events: Sequence[TicketEvent], now: datetime
) -> Iterator[str]:
    levels = rules.levels
    calendar = levels.calendar_for(ticket)
    target = levels.target_for(ticket)
    zone = ZoneInfo(calendar.settings.time_zone)

    def at(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "-"

    status = Status(ticket.status).value
    yield f"{ticket.number} {ticket.priority} {status}, group {ticket.group_name}"
    yield f"Calendar: {calendar.name}: {calendar.describe()}"
    yield (
        f"Targets for {Priority(ticket.priority).value}: first response {_span(target.response)}, "
        f"resolution {_span(target.resolution)} of calendar time"
    )
    yield f"Opened:          {at(ticket.created_at)}"
    pauses = list(_pauses(events, now))
    for start, end in pauses:
        spent = _span(calendar.elapsed(start, end).total_seconds() / 60)
        until = at(end) if end != now else "now"
        yield f"Paused:          {at(start)} to {until} ({spent} of calendar time given back)"
    if not pauses:
        yield "Paused:          never"
    response = "met at " + at(ticket.first_response_at) if ticket.first_response_at else "not yet"
    yield f"First response:  due {at(ticket.response_due_at)}; {response}"
    yield f"Resolution:      due {at(ticket.resolution_due_at)}; " + (
        "resolved at " + at(ticket.resolved_at) if ticket.resolved_at else "not yet"
    )
    fired = ", ".join(ticket.sla_fired) or "none"
    yield f"Fired:           {fired}"
    yield f"Next check:      {at(ticket.sla_check_at)}"


def _pauses(events: Sequence[TicketEvent], now: datetime) -> Iterator[tuple[datetime, datetime]]:
    started: datetime | None = None
    for event in events:
        if event.field != "status":
            continue
        if event.after == Status.WAITING_ON_USER and started is None:
            started = event.at
        elif event.before == Status.WAITING_ON_USER and started is not None:
            yield started, event.at
            started = None
    if started is not None:
        yield started, now


def _span(minutes: float) -> str:
    hours, rest = divmod(round(minutes), 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


def describe_jobs(engine: Engine, config: Config) -> str:
    """List every scheduled job with its interval and its last and next runs."""
    runs = list_runs(engine)
    lines = [f"{'job':<10} {'every':>7}  {'last run':<20} {'next run':<20} last result"]
    for job in jobs(config.jobs.intervals()):
        run = runs.get(job.name)
        last = _when(run.last_started_at if run else None)
        upcoming = _when(next_due(run, job.seconds))
        result = run.last_result if run else "never ran"
        lines.append(
            f"{job.name:<10} {_every(job.seconds):>7}  {last:<20} {upcoming:<20} {result}"
        )
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _every(seconds: float) -> str:
    span = timedelta(seconds=seconds)
    if span >= timedelta(hours=1):
        return f"{span.total_seconds() / 3600:g}h"
    if span >= timedelta(minutes=1):
        return f"{span.total_seconds() / 60:g}m"
    return f"{seconds:g}s"
