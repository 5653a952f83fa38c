"""Two terminals, an employee and agents, carrying tickets from report to confirmed fix."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from typing import Any

from sqlmodel import Session, col, select

from bot.adapters.console import ConsoleAdapter
from bot.config import Config
from bot.service import Helpdesk
from desk.clock import FixedClock
from desk.teams import Routing, RoutingRule
from desk.vocabulary import Status
from storage.models import OutboxMessage, Person, Ticket, TicketEvent
from tests.scenarios.transcript import chat

ALEX, SAM, PRIYA, MEI = (
    "alex@example.com",
    "sam@example.com",
    "priya@example.com",
    "mei@example.com",
)


def report(
    helpdesk: Helpdesk, text: str = "my vpn keeps dropping since this morning, rebooted"
) -> str:
    """Alex reports a problem: just him, cannot work, confirmed (P3)."""
    return chat(helpdesk, ALEX, text, "1", "3", "1")


def ticket(helpdesk: Helpdesk, number: str = "HD-1") -> Ticket:
    with Session(helpdesk.engine) as session:
        row = session.exec(select(Ticket).where(Ticket.number == number)).one()
        session.expunge(row)
        return row


def history(helpdesk: Helpdesk, number: str = "HD-1") -> list[tuple[Any, ...]]:
    """The ticket's history as (actor e-mail, action, field, before, after, public) rows."""
    with Session(helpdesk.engine) as session:
        row = session.exec(select(Ticket).where(Ticket.number == number)).one()
        events = session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == row.id)
            .order_by(col(TicketEvent.id))
        ).all()
        emails = {person.id: person.email for person in session.exec(select(Person)).all()}
        return [
            (emails.get(e.actor_id), e.action, e.field, e.before, e.after, e.public)
            for e in events
        ]


def test_from_report_to_confirmed_fix(helpdesk: Helpdesk) -> None:
    report(helpdesk)

    sam_first = chat(helpdesk, SAM, "queue", "claim HD-1")
    alex_sees = chat(helpdesk, ALEX)
    sam_replies = chat(
        helpdesk, SAM, "reply HD-1 Please reinstall the VPN profile from the portal"
    )
    alex_reads = chat(helpdesk, ALEX)
    chat(helpdesk, SAM, "wait HD-1 user Did the reinstall help?")
    alex_answers = chat(helpdesk, ALEX, "it still drops after lunch")
    sam_hears = chat(helpdesk, SAM, "resolve HD-1 Replaced the expired VPN certificate")
    alex_confirms = chat(helpdesk, ALEX, "1")
    sam_told = chat(helpdesk, SAM)

    assert sam_first.startswith(
        "New in the service-desk queue: HD-1 P3  My vpn keeps dropping\n"
        'Say "claim HD-1" to take it.\n\n'
        "Unassigned in service-desk, most urgent first:\n"
        "  HD-1  P3  waiting 0m  [service-desk]  My vpn keeps dropping\n"
    )
    assert sam_first.endswith(
        "HD-1 is yours. My vpn keeps dropping (P3). The requester has been told.\n\n"
    )
    assert alex_sees == (
        "Good news: Sam Okafor is now working on your ticket HD-1 (My vpn keeps dropping).\n\n"
    )
    assert sam_replies == "Sent to the requester of HD-1.\n\n"
    assert alex_reads == (
        "Sam Okafor on HD-1 (My vpn keeps dropping):\n"
        "  Please reinstall the VPN profile from the portal\n"
        "Reply here to answer.\n\n"
    )
    assert alex_answers.startswith(
        "Sam Okafor needs something from you to go on with HD-1 (My vpn keeps dropping):\n"
        "  Did the reinstall help?\n"
    )
    assert alex_answers.endswith("Thanks, I added that to HD-1 and passed it on.\n\n")
    assert sam_hears.startswith(
        "Alex Rivera answered on HD-1 (My vpn keeps dropping):\n  it still drops after lunch\n"
    )
    assert alex_confirms.startswith(
        "Sam Okafor resolved your ticket HD-1 (My vpn keeps dropping):\n"
        "  Replaced the expired VPN certificate\n"
        "Is it fixed?\n"
        "  [1] Fixed\n"
        "  [2] Still broken\n"
    )
    assert alex_confirms.endswith(
        "Glad it is fixed! HD-1 is closed. Thank you for confirming.\n\n"
    )
    assert sam_told == "Alex Rivera confirmed the fix; HD-1 (My vpn keeps dropping) is closed.\n\n"

    closed = ticket(helpdesk)
    assert (closed.status, closed.resolution) == (
        Status.CLOSED,
        "Replaced the expired VPN certificate",
    )
    assert closed.first_response_at is not None
    assert [
        (actor, action, before, after)
        for actor, action, field, before, after, _ in history(helpdesk)
        if field == "status"
    ] == [
        (SAM, "status", "new", "in_progress"),
        (SAM, "status", "in_progress", "waiting_on_user"),
        (ALEX, "status", "waiting_on_user", "in_progress"),
        (SAM, "status", "in_progress", "resolved"),
        (ALEX, "status", "resolved", "closed"),
    ]


def test_still_broken_reopens_to_the_same_agent_with_the_requesters_words(
    helpdesk: Helpdesk,
) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1", "resolve HD-1 Restarted the VPN gateway")

    alex = chat(helpdesk, ALEX, "2", "it still drops every hour")
    sam = chat(helpdesk, SAM)

    assert "What is still wrong with HD-1?" in alex
    assert alex.endswith(
        "HD-1 is open again and back with the same person; they have your message.\n\n"
    )
    assert sam == (
        "Alex Rivera says HD-1 (My vpn keeps dropping) is still broken, so it is open again:\n"
        "  it still drops every hour\n\n"
    )
    reopened = ticket(helpdesk)
    assert (reopened.status, reopened.assignee_id) == (
        Status.IN_PROGRESS,
        ticket(helpdesk).assignee_id,
    )
    assert reopened.assignee_id is not None


def test_escalation_moves_the_ticket_and_tells_everyone(helpdesk: Helpdesk) -> None:
    report(helpdesk)
    chat(helpdesk, PRIYA)
    chat(helpdesk, SAM, "claim HD-1")
    chat(helpdesk, ALEX)

    sam = chat(
        helpdesk, SAM, "escalate HD-1 network VPN concentrator drops sessions", "claim HD-1"
    )
    priya = chat(helpdesk, PRIYA, "claim HD-1", "resolve HD-1 Concentrator firmware updated")
    alex = chat(helpdesk, ALEX)
    sam_later = chat(helpdesk, SAM)

    assert sam == (
        "HD-1 moved to the network queue. The group and the requester have been told.\n\n"
        "HD-1 is in the network queue; only that group's members, its leads and admins can "
        "work on it.\n\n"
    )
    assert priya.startswith(
        "Escalated to network by Sam Okafor: HD-1 P3  My vpn keeps dropping\n"
        "Reason: VPN concentrator drops sessions\n"
    )
    assert "HD-1 is yours." in priya
    assert alex.startswith(
        "Your ticket HD-1 (My vpn keeps dropping) has been passed to our network specialists"
    )
    assert "Priya Nair is now working on your ticket HD-1" in alex
    assert sam_later == (
        "HD-1 (My vpn keeps dropping), which you worked on, was resolved by Priya Nair: "
        "Concentrator firmware updated\n\n"
    )
    fields = [
        (actor, field, before, after)
        for actor, _, field, before, after, _ in history(helpdesk)
        if field in ("group", "assignee")
    ]
    assert fields[1:3] == [
        (SAM, "group", "service-desk", "network"),
        (SAM, "assignee", fields[0][3], None),
    ]


def test_waiting_on_a_vendor_queues_a_message_to_their_contact(helpdesk: Helpdesk) -> None:
    report(helpdesk)

    sam = chat(helpdesk, SAM, "claim HD-1", "wait HD-1 vendor contoso networks CASE-77")
    alex = chat(helpdesk, ALEX)

    assert sam.endswith(
        "HD-1 now waits on Contoso Networks (their ref CASE-77); a message to their contact is "
        "queued.\n\n"
    )
    assert alex.endswith(
        "Your ticket HD-1 (My vpn keeps dropping) is waiting on Contoso Networks; we have "
        "contacted them and will tell you when we hear back.\n\n"
    )
    with Session(helpdesk.engine) as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    assert (mail.address, mail.template, mail.status) == (
        "support@contoso.example",
        "vendor/request",
        "pending",
    )
    assert mail.payload["context"]["their_ref"] == "CASE-77"
    waiting = ticket(helpdesk)
    assert (waiting.status, waiting.vendor, waiting.vendor_ref) == (
        Status.WAITING_ON_VENDOR,
        "Contoso Networks",
        "CASE-77",
    )


def test_refusals_say_why(helpdesk: Helpdesk) -> None:
    report(helpdesk)
    chat(helpdesk, SAM)

    alex = chat(helpdesk, ALEX, "claim HD-1")
    mei = chat(helpdesk, MEI, "show HD-1")
    sam = chat(
        helpdesk,
        SAM,
        "clam HD-1",
        "claim HD-99",
        "assign HD-1 nobody",
        "escalate HD-1 netwrk the vpn",
        "escalate HD-1 network",
        "priority HD-1 P9 because",
        "resolve HD-1",
        "wait HD-1 vendor Initech",
        "reopen HD-1 not done",
    )

    assert alex == (
        "That is a support-team command, and you are not on the support team. Ask your IT "
        "administrator if you should be.\n\n"
    )
    assert "HD-1 is not one of your tickets" in mei
    assert sam == (
        'I don\'t know that command. Did you mean "claim HD-1"? Say "help" for the list.\n\n'
        "There is no ticket HD-99. Did you mean HD-1?\n\n"
        "No agent of the service-desk group is called 'nobody'.\n\n"
        "There is no group 'netwrk'. Did you mean network?\n\n"
        "Please give a reason: escalate HD-1 network <reason>.\n\n"
        "'P9' is not a priority; use P1, P2, P3 or P4.\n\n"
        "Please give a resolution: resolve HD-1 <resolution>.\n\n"
        "There is no vendor 'Initech'. Known vendors: Contoso Networks, Fabrikam Laptops.\n\n"
        "Ticket HD-1 is new; it cannot be moved by 'reopen'.\n\n"
    )
    assert ticket(helpdesk).status == Status.NEW


def test_claiming_a_taken_ticket_names_who_has_it(helpdesk: Helpdesk) -> None:
    report(helpdesk)
    chat(helpdesk, SAM, "claim HD-1")
    chat(helpdesk, PRIYA)

    priya = chat(helpdesk, PRIYA, "claim HD-1")

    assert priya.endswith("HD-1 is already taken by Sam Okafor.\n\n")


def test_assign_priority_note_cancel_and_reopen(helpdesk: Helpdesk) -> None:
    report(helpdesk)

    priya = chat(
        helpdesk,
        PRIYA,
        "assign HD-1 sam",
        "priority HD-1 P2 whole sales floor affected",
        "note HD-1 probably the certificate",
        "cancel HD-1 duplicate of a major incident",
        "reopen HD-1 not a duplicate after all",
        "show HD-1",
    )
    sam = chat(helpdesk, SAM, "mine")
    alex = chat(helpdesk, ALEX, "show HD-1")

    assert "HD-1 is now assigned to Sam Okafor; they and the requester have been told." in priya
    assert "HD-1 is now P2 (high)." in priya
    assert "Priya Nair noted (internal): probably the certificate" in priya
    assert "Priya Nair: priority P3 -> P2 (whole sales floor affected)" in priya
    assert "HD-1 was assigned to you: P3  My vpn keeps dropping\n\n" in sam
    assert "  HD-1  P2  in progress  My vpn keeps dropping\n" in sam
    assert "Your ticket HD-1 (My vpn keeps dropping) was cancelled by Priya Nair" in alex
    assert "probably the certificate" not in alex


def test_an_answer_with_several_waiting_tickets_asks_which(helpdesk: Helpdesk) -> None:
    report(helpdesk)
    report(helpdesk, "outlook crashes since yesterday, tried safe mode")
    chat(
        helpdesk,
        SAM,
        "claim HD-1",
        "claim HD-2",
        "wait HD-1 user which office?",
        "wait HD-2 user which version?",
    )
    chat(helpdesk, ALEX)

    alex = chat(helpdesk, ALEX, "the Berlin office", "1")

    assert alex.startswith(
        "Several of your tickets are waiting for your answer. Which one is this about?\n"
        "  [1] HD-2: Outlook crashes\n"
        "  [2] HD-1: My vpn keeps dropping\n"
        "  [3] It is a new problem\n"
    )
    assert alex.endswith("Thanks, I added that to HD-2 and passed it on.\n\n")
    assert (ticket(helpdesk, "HD-2").status, ticket(helpdesk, "HD-1").status) == (
        Status.IN_PROGRESS,
        Status.WAITING_ON_USER,
    )


def test_agent_help_lists_every_command(helpdesk: Helpdesk) -> None:
    transcript = chat(helpdesk, SAM, "help", "help escalate")

    for word in (
        "queue",
        "mine",
        "show",
        "claim",
        "assign",
        "escalate",
        "priority",
        "reply",
        "note",
        "wait",
        "resolve",
        "reopen",
        "cancel",
        "duty",
    ):
        assert f"\n  {word}" in transcript
    assert transcript.endswith("escalate HD-1 GROUP reason\n  move to a specialist group\n\n")


def test_routing_rules_send_new_tickets_straight_to_a_group(
    helpdesk: Helpdesk, config: Config, clock: FixedClock
) -> None:
    rules = (
        RoutingRule(group="security", keywords=("phishing",)),
        RoutingRule(group="network", department="Sales", keywords=("vpn",)),
    )
    routed = config.model_copy(update={"routing": Routing(rules=rules)})
    bot = Helpdesk(helpdesk.engine, routed, clock, helpdesk.renderer)

    report(bot, "got a phishing mail this morning, tried nothing")
    report(bot)
    report(bot, "outlook crashes since yesterday, tried safe mode")

    groups = [ticket(bot, number).group_name for number in ("HD-1", "HD-2", "HD-3")]
    assert groups == ["security", "network", "service-desk"]


def test_duty_on_and_off(helpdesk: Helpdesk) -> None:
    transcript = chat(helpdesk, SAM, "duty on", "duty off", "duty maybe")

    assert transcript == (
        "You are on duty: groups that assign tickets automatically may give you new ones.\n\n"
        "You are off duty: no tickets will be assigned to you automatically.\n\n"
        "Say 'duty on' or 'duty off'. duty on | duty off\n\n"
    )


def test_a_queued_message_appears_at_once_in_an_open_terminal(helpdesk: Helpdesk) -> None:
    report(helpdesk)
    read_end, write_end = os.pipe()
    stdout = io.StringIO()
    with os.fdopen(read_end) as stdin:
        adapter = ConsoleAdapter(helpdesk, ALEX, stdin, stdout, interactive=True)
        runner = threading.Thread(target=asyncio.run, args=(adapter.run(poll_seconds=0.05),))
        runner.start()

        chat(helpdesk, SAM, "claim HD-1")
        deadline = time.monotonic() + 10
        while "is now working on your ticket HD-1" not in stdout.getvalue():
            assert time.monotonic() < deadline, stdout.getvalue()
            time.sleep(0.02)
        os.close(write_end)
        runner.join(timeout=10)

    assert not runner.is_alive()
