"""Chat transcripts of the intake, through the console adapter, on every backend."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.app import build_helpdesk
from bot.config import Config
from bot.service import Helpdesk
from desk.clock import FixedClock
from storage.models import Conversation, Ticket
from tests.scenarios.transcript import chat

IMPACT_BUTTONS = """\
  [1] Just me
  [2] My team
  [3] My department
  [4] The whole company
"""
URGENCY_BUTTONS = """\
  [1] I can work normally
  [2] I can work, with difficulty
  [3] I cannot work
  [4] Business has stopped
"""
CONFIRM_BUTTONS = """\
  [1] Confirm
  [2] Edit
  [3] Cancel
"""


def _tickets(helpdesk: Helpdesk) -> list[Ticket]:
    with Session(helpdesk.engine) as session:
        return list(session.exec(select(Ticket)).all())


def test_details_in_the_first_message_are_not_asked_again(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk,
        "alex@example.com",
        "my vpn keeps dropping since this morning, already rebooted",
        "1",
        "I cannot work",
        "confirm",
    )

    assert transcript == (
        "Thanks, I noted: since when: this morning; device or application: VPN; "
        "already tried: rebooted.\n"
        "Who is affected?\n" + IMPACT_BUTTONS + "\n"
        "How much does it stop your work?\n" + URGENCY_BUTTONS + "\n"
        "Here is your report. Shall I open a ticket?\n"
        "  What is wrong: my vpn keeps dropping\n"
        "  Since when: this morning\n"
        "  Device or application: VPN\n"
        "  Already tried: rebooted\n"
        "  Who is affected: Just me\n"
        "  How urgent: I cannot work\n"
        "  Category: network (suggested; change it with Edit)\n" + CONFIRM_BUTTONS + "\n"
        "Ticket HD-1 is open, priority P3 (medium).\n"
        "What happens next: the service desk has it in their queue, and you will hear from me "
        "here as soon as someone picks it up.\n"
        'You can say "show HD-1" to see how it stands, "comment HD-1 ..." to add something, '
        'or "my tickets" for all of them.\n\n'
    )
    [ticket] = _tickets(helpdesk)
    assert (ticket.device, ticket.since_text, ticket.tried) == ("VPN", "this morning", "rebooted")
    assert ticket.since_at is not None


def test_a_vague_start_asks_every_question_in_turn(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk,
        "alex@example.com",
        "I have a problem",
        "excel freezes when I open the budget file",
        "yesterday",
        "nothing",
        "2",
        "2",
        "1",
    )

    assert "What is going wrong?" in transcript
    assert "Since when has this been happening?" in transcript
    assert "What have you tried so far?" in transcript
    assert "Which device or application" not in transcript
    assert "Ticket HD-1 is open, priority P3 (medium)." in transcript
    [ticket] = _tickets(helpdesk)
    assert (ticket.device, ticket.impact, ticket.urgency) == ("Excel", "team", "difficult")


def test_cancel_works_at_every_step_and_opens_nothing(helpdesk: Helpdesk) -> None:
    steps = ["printer is broken", "since monday", "tried turning it off", "1", "2"]
    for count in range(1, len(steps) + 1):
        transcript = chat(helpdesk, "alex@example.com", *steps[:count], "cancel")

        assert transcript.endswith(
            "Cancelled: no ticket was opened. Write to me any time you need help.\n\n"
        )
    assert _tickets(helpdesk) == []


def test_edit_changes_one_answer_and_returns_to_the_summary(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk,
        "alex@example.com",
        "teams crashes since this morning, tried reinstalling",
        "just me",
        "2",
        "edit",
        "Since when",
        "last friday",
        "1",
    )

    assert "What would you like to change?\n  [1] What is wrong\n  [2] Since when\n" in transcript
    assert transcript.count("Here is your report.") == 2
    assert "  Since when: last friday\n" in transcript
    [ticket] = _tickets(helpdesk)
    assert ticket.since_text == "last friday"


def test_a_wrong_choice_is_asked_again(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk, "alex@example.com", "outlook will not start", "today", "nothing", "9"
    )

    assert transcript.endswith(
        "Please pick one of these: who is affected?\n" + IMPACT_BUTTONS + "\n"
    )


def test_strangers_are_refused_kindly_and_nothing_is_opened(helpdesk: Helpdesk) -> None:
    transcript = chat(helpdesk, "eve@elsewhere.org", "my laptop is broken")

    assert transcript == (
        "Sorry, I don't know who you are yet, so I can't open tickets for you. Please ask your "
        "IT administrator to add you to the helpdesk directory "
        "(console user eve@elsewhere.org).\n\n"
    )
    assert _tickets(helpdesk) == []


def test_empty_and_over_long_messages_get_a_clear_note(helpdesk: Helpdesk) -> None:
    transcript = chat(helpdesk, "alex@example.com", "   ", "x" * 4001)

    assert transcript == (
        'I didn\'t get any text. Tell me what is wrong, or say "help".\n\n'
        "That message is 4001 characters long; I can take up to 4000. Please shorten it, "
        "or send it in parts.\n\n"
    )


def test_an_idle_conversation_expires_and_says_so(helpdesk: Helpdesk, clock: FixedClock) -> None:
    chat(helpdesk, "alex@example.com", "wifi keeps disconnecting")
    clock.advance(timedelta(minutes=31))

    transcript = chat(helpdesk, "alex@example.com", "yesterday")

    assert transcript.startswith(
        "Our previous conversation was idle for more than 30 minutes, so I closed it without "
        "opening a ticket. Let's start again.\n"
    )


def test_a_conversation_survives_a_restart(
    helpdesk: Helpdesk, config: Config, clock: FixedClock
) -> None:
    chat(helpdesk, "alex@example.com", "zoom has no sound since this morning, restarted it")
    helpdesk.engine.dispose()

    restarted = build_helpdesk(config, clock)
    transcript = chat(restarted, "alex@example.com", "1", "1", "1")
    with Session(restarted.engine) as session:
        conversations = session.exec(select(Conversation)).all()
    restarted.engine.dispose()

    assert "Ticket HD-1 is open, priority P4 (low)." in transcript
    assert conversations == []


def test_employees_see_only_their_own_tickets(helpdesk: Helpdesk) -> None:
    chat(helpdesk, "alex@example.com", "vpn broken since today, tried nothing", "1", "3", "1")

    mine = chat(
        helpdesk, "alex@example.com", "my tickets", "show hd1", "comment HD-1 still broken"
    )
    theirs = chat(helpdesk, "mei@example.com", "my tickets", "show HD-1", "comment HD-1 hello")

    assert "  HD-1  P3  new  Vpn broken\n" in mine
    assert "  Status: new\n  Priority: P3 (medium)\n  Handled by: not assigned yet\n" in mine
    assert mine.endswith("Added to HD-1. Whoever handles it will see it.\n\n")
    assert theirs.count("HD-1 is not one of your tickets, so I can't show it.") == 2
    assert "Vpn broken" not in theirs


def test_a_comment_without_text_is_asked_for(helpdesk: Helpdesk) -> None:
    chat(
        helpdesk,
        "alex@example.com",
        "mouse not working since today, tried new batteries",
        "1",
        "2",
        "1",
    )

    transcript = chat(
        helpdesk, "alex@example.com", "comment HD-1", "it is the left button", "show HD-1"
    )

    assert transcript.startswith("What would you like to add to HD-1?\n\nAdded to HD-1.")
    assert "Alex Rivera: it is the left button\n" in transcript


def test_commands_mid_intake_answer_then_resume(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk, "alex@example.com", "printer jams since monday", "my tickets", "nothing"
    )

    assert "You have no open tickets." in transcript
    assert (
        'Now, back to your report: please answer my last question, or say "cancel"' in transcript
    )
    assert transcript.endswith("Who is affected?\n" + IMPACT_BUTTONS + "\n")


def test_help_and_nothing_to_cancel(helpdesk: Helpdesk) -> None:
    transcript = chat(helpdesk, "alex@example.com", "hi", "cancel")

    assert transcript.startswith("Hi Alex Rivera, I am the IT helpdesk.")
    assert transcript.endswith(
        "There is nothing to cancel. Tell me what is wrong whenever you are ready, "
        'or say "help".\n\n'
    )
