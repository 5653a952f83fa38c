"""Scheduled work end to end: SLA alerts, pings, reminders, auto-close and polls, exactly once."""

from __future__ import annotations

import gc
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.config import Config
from bot.service import Helpdesk
from desk.clock import FixedClock
from desk.sla import SlaSettings
from desk.vocabulary import Status
from jobs.scheduler import Runner, jobs
from storage.models import OutboxMessage, Survey, Ticket, TicketEvent
from tests.scenarios.transcript import chat

ALEX, SAM, PRIYA, ROOT = (
    "alex@example.com",
    "sam@example.com",
    "priya@example.com",
    "root@example.com",
)
JOBS = {
    job.name: job
    for job in jobs({name: 60 for name in ("sla", "pings", "reminders", "polls", "cleanup")})
}


@pytest.fixture
def managed(helpdesk: Helpdesk, config: Config, clock: FixedClock) -> Helpdesk:
    """The demo helpdesk with root as IT management."""
    sla = SlaSettings(management=(ROOT,))
    return Helpdesk(
        helpdesk.engine, config.model_copy(update={"sla": sla}), clock, helpdesk.renderer
    )


def sweep(helpdesk: Helpdesk, name: str) -> str:
    runner = Runner(helpdesk.engine, helpdesk.rules, helpdesk.clock, batch=500)
    return str(runner.run(JOBS[name]))


def report(helpdesk: Helpdesk, urgency: str = "3", impact: str = "2") -> None:
    """Alex reports a VPN problem; impact 2 (team) and urgency 3 (cannot work) make it P2."""
    chat(
        helpdesk, ALEX, "my vpn keeps dropping since this morning, rebooted", impact, urgency, "1"
    )


def queued(helpdesk: Helpdesk, template: str) -> list[str]:
    with Session(helpdesk.engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(col(OutboxMessage.id))
        ).all()
        return [row.address for row in rows]


def test_warning_breach_and_management_fire_once_each(
    managed: Helpdesk, clock: FixedClock
) -> None:
    report(managed)

    clock.advance(timedelta(minutes=23))
    first = sweep(managed, "sla")
    again = sweep(managed, "sla")
    clock.advance(timedelta(minutes=8))
    sweep(managed, "sla")
    clock.advance(timedelta(minutes=60))
    sweep(managed, "sla")
    sweep(managed, "sla")

    assert (first, again) == ("1 due, 1 acted on", "0 due, 0 acted on")
    assert queued(managed, "notify/sla_warning") == [SAM, PRIYA]
    assert queued(managed, "notify/sla_breach") == [PRIYA]
    assert queued(managed, "notify/sla_management") == [ROOT]
    priya = chat(managed, PRIYA)
    assert (
        "Missed: the first response target of HD-1 P2 (My vpn keeps dropping) was due at" in priya
    )
    assert "Held by nobody, group service-desk." in priya
    with Session(managed.engine) as session:
        notes = session.exec(select(TicketEvent.note).where(TicketEvent.action == "sla")).all()
    assert notes == ["response target missed"]


def test_a_new_p1_alerts_management_at_once(managed: Helpdesk) -> None:
    report(managed, urgency="4", impact="4")

    assert queued(managed, "notify/p1_opened") == [ROOT]
    assert chat(managed, ROOT).startswith(
        "P1 opened: HD-1  My vpn keeps dropping (group service-desk)."
    )


def test_a_claim_is_the_first_response_and_waiting_on_the_user_pauses_the_clock(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1", "wait HD-1 user which office are you in?")
    paused = _ticket(helpdesk)
    clock.advance(timedelta(hours=5))
    chat(helpdesk, ALEX, "Berlin")

    resumed = _ticket(helpdesk)
    assert paused.first_response_at is not None
    assert (paused.sla_check_at, paused.paused_at) == (None, clock.now() - timedelta(hours=5))
    assert resumed.paused_at is None
    assert paused.resolution_due_at is not None
    assert resumed.resolution_due_at is not None
    # Of the five hours waited, 14:00 to 17:00 on Thursday were business hours: given back.
    assert resumed.resolution_due_at - paused.resolution_due_at == timedelta(hours=3)


def test_pings_wait_for_the_requesters_working_hours(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1")

    clock.advance(timedelta(hours=4))
    evening = sweep(helpdesk, "pings")
    moved = _ticket(helpdesk).ping_at
    clock.advance(timedelta(hours=14))
    morning = sweep(helpdesk, "pings")

    assert evening == "1 due, 0 acted on"
    # Alex works in Berlin: 18:00 UTC is 19:00 there, so the ping waits for 09:00 Berlin time.
    assert moved is not None
    assert moved.strftime("%d %H:%M") == "04 08:00"
    assert morning == "1 due, 1 acted on"
    update = "An update on your ticket HD-1 (My vpn keeps dropping): it is in progress"
    assert f"{update}, with Sam Okafor." in chat(helpdesk, ALEX)
    assert queued(helpdesk, "notify/nudge") == [SAM]


def test_unconfirmed_resolutions_are_reminded_then_closed_then_polled(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1", "resolve HD-1 Replaced the certificate")
    chat(helpdesk, ALEX)

    clock.advance(timedelta(days=1))
    sweep(helpdesk, "reminders")
    reminded = chat(helpdesk, ALEX)
    clock.advance(timedelta(days=4))
    sweep(helpdesk, "reminders")
    sweep(helpdesk, "polls")
    sweep(helpdesk, "polls")
    closed = chat(helpdesk, ALEX, "4", "quick and friendly")

    assert reminded.startswith(
        "A reminder about HD-1 (My vpn keeps dropping), resolved with: Replaced the certificate\n"
    )
    assert "is now closed, as it was resolved and we did not hear otherwise" in closed
    assert "How satisfied are you with how it was handled?\n  [1] 1 (very unhappy)\n" in closed
    assert closed.endswith("Thank you for your feedback.\n\n")
    assert _ticket(helpdesk).status == Status.CLOSED
    with Session(helpdesk.engine) as session:
        surveys = session.exec(select(Survey)).all()
    assert [(s.rating, s.comment) for s in surveys] == [(4, "quick and friendly")]


def test_a_person_is_not_polled_again_within_the_cooldown(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    for _ in range(2):
        report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1", "claim HD-2", "resolve HD-1 done", "resolve HD-2 done")
    chat(helpdesk, ALEX, "1")
    sweep(helpdesk, "polls")
    chat(helpdesk, ALEX, "5", "no comment")
    clock.advance(timedelta(days=1))
    chat(helpdesk, ALEX, "1")

    sweep(helpdesk, "polls")

    assert queued(helpdesk, "notify/poll") == [ALEX]


def test_two_sweepers_at_once_queue_each_alert_once(helpdesk: Helpdesk, clock: FixedClock) -> None:
    for _ in range(20):
        report(helpdesk)
    clock.advance(timedelta(minutes=23))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sweep(helpdesk, "sla")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with Session(helpdesk.engine) as session:
        count = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.template == "notify/sla_warning")
        ).one()
    assert count == 20 * 2


def test_a_sweep_that_dies_midway_loses_and_duplicates_nothing(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    report(helpdesk)
    clock.advance(timedelta(minutes=23))
    runner = Runner(helpdesk.engine, helpdesk.rules, clock, batch=500)

    def crash(sweeper: object, limit: int) -> object:
        JOBS["sla"].sweep(sweeper, limit)  # type: ignore[arg-type]
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        runner.run(JOBS["sla"].__class__("sla", "", 60, crash))  # type: ignore[arg-type]
    after_crash = queued(helpdesk, "notify/sla_warning")
    sweep(helpdesk, "sla")
    sweep(helpdesk, "sla")

    assert after_crash == []
    assert queued(helpdesk, "notify/sla_warning") == [SAM, PRIYA]


def test_a_sweep_holds_the_cycle_collector_back_and_always_lets_it_go(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    runner = Runner(helpdesk.engine, helpdesk.rules, clock, batch=500)
    seen = []

    def crash(sweeper: object, limit: int) -> object:
        seen.append(gc.isenabled())
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        runner.run(JOBS["sla"].__class__("sla", "", 60, crash))  # type: ignore[arg-type]

    assert (seen, gc.isenabled()) == ([False], True)


def _ticket(helpdesk: Helpdesk) -> Ticket:
    with Session(helpdesk.engine) as session:
        row = session.exec(select(Ticket).where(Ticket.number == "HD-1")).one()
        session.expunge(row)
        return row


def test_jobs_record_their_runs(helpdesk: Helpdesk) -> None:
    from jobs.scheduler import list_runs

    sweep(helpdesk, "sla")

    runs = list_runs(helpdesk.engine)
    assert runs["sla"].last_result == "0 due, 0 acted on"
    assert runs["sla"].last_started_at == helpdesk.clock.now()


def test_a_priority_change_keeps_the_credit_for_past_pauses(
    helpdesk: Helpdesk, clock: FixedClock
) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1", "wait HD-1 user which office?")
    clock.advance(timedelta(hours=2))
    chat(helpdesk, ALEX, "Berlin")
    before = _ticket(helpdesk).resolution_due_at

    chat(helpdesk, SAM, "priority HD-1 P3 only one person affected after all")

    after = _ticket(helpdesk).resolution_due_at
    assert before is not None
    assert after is not None
    # P2 gives 8 business hours and P3 24; the two hours waited count for neither.
    assert after.strftime("%Y-%m-%d %H:%M") == "2026-12-08 16:00"
    assert before.strftime("%Y-%m-%d %H:%M") == "2026-12-04 16:00"
