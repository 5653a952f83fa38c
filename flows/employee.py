"""What an employee can ask for outside the intake: help, their tickets, one ticket, a comment."""

from __future__ import annotations

import re
from collections.abc import Callable

from desk.errors import HelpdeskError
from flows.conversation import Outcome, State, Turn, say

COMMENT_FLOW = "comment"

_HELP = re.compile(r"^/?(help|\?|menu|start|hi|hello|hey|帮助|你好)[.!]*$")
_LIST = re.compile(r"^/?((my|open|my open)\s+)?(tickets|requests)$|^/?list$|^我的工单$")
_SHOW = re.compile(r"^/?(?:show|status|view|ticket|查看)\s+(\S+)$")
_COMMENT = re.compile(r"^/?(?:comment|add)\s+(\S+?)(?:\s*[:,-]?\s+(.+))?$", re.DOTALL)


def command_for(text: str) -> Callable[[Turn], Outcome] | None:
    """Return the handler for an employee command, or None when the text is not one."""
    words = text.strip()
    lowered = words.lower()
    if _HELP.match(lowered):
        return handle_help
    if _LIST.match(lowered):
        return handle_list
    if _SHOW.match(lowered):
        return handle_show
    if _COMMENT.match(words) and words.split(maxsplit=1)[0].lower().lstrip("/") in {
        "comment",
        "add",
    }:
        return handle_comment
    return None


def handle_help(turn: Turn) -> Outcome:
    return Outcome(None, [say("common/help", name=turn.person.name)])


def handle_list(turn: Turn) -> Outcome:
    tickets = turn.desk.list_open(turn.person)
    return Outcome(None, [say("tickets/list", tickets=tickets)])


def handle_show(turn: Turn) -> Outcome:
    match = _SHOW.match(turn.message.text.strip().lower())
    if match is None:
        return Outcome(None, [say("common/help", name=turn.person.name)])
    try:
        ticket = turn.desk.get_own(turn.person, match.group(1))
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    events = turn.desk.history(ticket, public_only=True, limit=turn.policy.recent_updates)
    names = turn.desk.names_of({ticket.assignee_id, *(event.actor_id for event in events)})
    return Outcome(None, [say("tickets/show", ticket=ticket, events=events, names=names)])


def handle_comment(turn: Turn) -> Outcome:
    match = _COMMENT.match(turn.message.text.strip())
    if match is None:
        return Outcome(None, [say("common/help", name=turn.person.name)])
    try:
        ticket = turn.desk.get_own(turn.person, match.group(1))
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    text = (match.group(2) or "").strip()
    if not text:
        state = State(COMMENT_FLOW, "text", {"number": ticket.number})
        return Outcome(state, [say("tickets/ask_comment", number=ticket.number)])
    return _add_comment(turn, ticket.number, text)


def step_comment(state: State, turn: Turn) -> Outcome:
    """Take the text of a comment asked for by handle_comment."""
    text = turn.message.text.strip()
    if not text:
        return Outcome(state, [say("tickets/ask_comment", number=state.data["number"])])
    return _add_comment(turn, state.data["number"], text)


def _add_comment(turn: Turn, number: str, text: str) -> Outcome:
    try:
        ticket = turn.desk.get_own(turn.person, number)
        turn.desk.add_comment(turn.person, ticket, text, turn.message.masked)
    except HelpdeskError as error:
        return Outcome(None, [say("common/error", message=str(error))])
    return Outcome(None, [say("tickets/comment_added", number=ticket.number)])
