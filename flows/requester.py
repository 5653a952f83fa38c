"""The requester's side of a worked ticket: confirming a fix, and answering when asked."""

from __future__ import annotations

from dataclasses import replace

from desk.errors import HelpdeskError
from flows import intake
from flows.conversation import Outcome, State, Turn, say
from flows.messages import Button, Reply

FIX_FLOW = "fix"
POLL_FLOW = "poll"
_SKIP = {"skip", "no", "no comment", "none", "nothing", "不用", "没有"}
ANSWER_FLOW = "answer"
NEW_PROBLEM = "new"


def handle_fix(turn: Turn) -> Outcome:
    """Take the requester's "Fixed" or "Still broken" on a resolved ticket."""
    number, _, verdict = (turn.message.value or "").partition(":")
    try:
        ticket = turn.desk.get_own(turn.person, number)
        if verdict == "yes":
            turn.desk.confirm_fixed(turn.person, ticket)
            return Outcome(None, [say("fix/closed", number=ticket.number)])
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    state = State(FIX_FLOW, "why", {"number": ticket.number})
    return Outcome(state, [say("fix/ask_why", number=ticket.number)])


def step_fix(state: State, turn: Turn) -> Outcome:
    """Reopen the ticket with the requester's account of what is still wrong."""
    text = turn.message.text.strip()
    if not text:
        return Outcome(state, [say("fix/ask_why", number=state.data["number"])])
    try:
        ticket = turn.desk.get_own(turn.person, state.data["number"])
        turn.desk.still_broken(turn.person, ticket, text, turn.message.masked)
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    return Outcome(None, [say("fix/reopened", number=ticket.number)])


def answer_waiting(turn: Turn) -> Outcome | None:
    """Send a free-text message to the ticket waiting on the person, if one is."""
    waiting = turn.desk.list_waiting_on(turn.person)
    if not waiting:
        return None
    if len(waiting) == 1:
        return _answer(turn, waiting[0].number, turn.message.text)

    choices = [*(ticket.number for ticket in waiting), NEW_PROBLEM]
    buttons = (
        *(
            Button(ANSWER_FLOW, t.number, "answer.ticket", {"number": t.number, "title": t.title})
            for t in waiting
        ),
        Button(ANSWER_FLOW, NEW_PROBLEM, "answer.new"),
    )
    data = {"text": turn.message.text, "masked": list(turn.message.masked), "choices": choices}
    reply = Reply(template="answer/which", buttons=buttons)
    return Outcome(State(ANSWER_FLOW, "which", data), [reply])


def step_answer(state: State, turn: Turn) -> Outcome:
    """Take the requester's choice of ticket for the answer they gave."""
    choices: list[str] = state.data["choices"]
    choice = (
        turn.message.value if turn.message.action == ANSWER_FLOW else turn.message.text.strip()
    )
    if choice and choice.isdigit() and 1 <= int(choice) <= len(choices):
        choice = choices[int(choice) - 1]
    if choice == NEW_PROBLEM:
        message = replace(turn.message, text=state.data["text"], action=None, value=None)
        return intake.start(replace(turn, message=message))
    return _answer(turn, choice or "", state.data["text"], tuple(state.data.get("masked", ())))


def _answer(turn: Turn, number: str, text: str, masked: tuple[str, ...] | None = None) -> Outcome:
    try:
        ticket = turn.desk.get_own(turn.person, number)
        turn.desk.answer(
            turn.person, ticket, text, turn.message.masked if masked is None else masked
        )
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    return Outcome(None, [say("answer/added", number=ticket.number)])


def handle_poll(turn: Turn) -> Outcome:
    """Take a rating from the satisfaction poll, then offer room for a comment."""
    number, _, rating = (turn.message.value or "").partition(":")
    try:
        ticket = turn.desk.get_own(turn.person, number)
        turn.desk.rate(turn.person, ticket, int(rating) if rating.isdigit() else 0)
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    state = State(POLL_FLOW, "comment", {"number": ticket.number, "rating": int(rating)})
    skip = Button("poll_skip", "skip", "poll.skip")
    return Outcome(state, [Reply(template="poll/ask_comment", buttons=(skip,))])


def step_poll(state: State, turn: Turn) -> Outcome:
    """Keep the optional comment that follows a rating."""
    text = turn.message.text.strip()
    if turn.message.action == "poll_skip" or text.lower() in _SKIP:
        return Outcome(None, [say("poll/thanks")])
    try:
        ticket = turn.desk.get_own(turn.person, state.data["number"])
        turn.desk.rate(turn.person, ticket, state.data["rating"], comment=text)
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    return Outcome(None, [say("poll/thanks")])
