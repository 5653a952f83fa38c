"""Routes each message: cancel and commands first, then the conversation under way, else intake."""

from __future__ import annotations

import re

from flows import agent, employee, intake, requester
from flows.conversation import Outcome, State, Turn, say

_CANCEL = re.compile(r"^/?(cancel|stop|abort|quit|never ?mind|forget it|取消|算了)[.!]*$")

STEPS = {
    intake.FLOW: intake.step,
    employee.COMMENT_FLOW: employee.step_comment,
    requester.FIX_FLOW: requester.step_fix,
    requester.ANSWER_FLOW: requester.step_answer,
    requester.POLL_FLOW: requester.step_poll,
}

# Buttons on queued messages carry their ticket, so they work outside any conversation.
BUTTONS = {"fix": requester.handle_fix, "poll": requester.handle_poll}


def respond(state: State | None, turn: Turn) -> Outcome:
    """Answer one message, given where the person's conversation stands."""
    message = turn.message
    if message.action == "cancel" or _CANCEL.match(message.text.strip().lower()):
        return _cancel(state)
    if message.action in BUTTONS:
        return BUTTONS[message.action](turn)

    answered = _command(turn) if not message.action else None
    if answered is not None:
        return _resume(state, answered) if state is not None else answered

    if state is not None and state.flow in STEPS:
        return STEPS[state.flow](state, turn)
    if message.action:
        return Outcome(None, [say("common/stale_button")])
    return requester.answer_waiting(turn) or intake.start(turn)


def _command(turn: Turn) -> Outcome | None:
    """Answer an agent or employee command, or return None when the line is neither."""
    outcome = agent.respond(turn, turn.bench)
    if outcome is not None:
        return outcome
    command = employee.command_for(turn.message.text)
    return command(turn) if command is not None else None


def _cancel(state: State | None) -> Outcome:
    if state is None:
        return Outcome(None, [say("common/nothing_to_cancel")])
    return Outcome(None, [say(f"{state.flow}/cancelled", **state.data)])


def _resume(state: State, outcome: Outcome) -> Outcome:
    """Answer a command asked mid-conversation, then carry on where the conversation was."""
    if outcome.state is not None:
        return outcome
    return Outcome(state, [*outcome.replies, say("common/resume")])
