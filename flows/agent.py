"""The support team's commands: one grammar on every platform, with help for each."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from desk.articles import Drafts
from desk.errors import AccessDenied, HelpdeskError, InvalidInput
from desk.tickets import is_agent
from desk.work import Workbench
from flows.conversation import Outcome, Turn, say

_TICKET = re.compile(r"^#?[A-Za-z]{0,10}-?\d{1,9}$")


@dataclass(frozen=True)
class Command:
    """One agent command: its words, how it is written, and what it does."""

    name: str
    usage: str
    summary: str
    run: Callable[[Workbench, Turn, str], Outcome]


def _words(rest: str, count: int) -> list[str]:
    """Split the first count words off, keeping the remainder whole as the last item."""
    parts = rest.split(maxsplit=count)
    return parts + [""] * (count + 1 - len(parts))


def _queue(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    groups, tickets = bench.queue(turn.person, rest.strip() or None)
    return _done("agent/queue", groups=groups, tickets=tickets, now=turn.now)


def _mine(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    return _done("agent/mine", tickets=bench.mine(turn.person))


def _show(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    view = bench.show(turn.person, _number(rest, "show"))
    return _done("agent/show", ticket=view.ticket, events=view.events, names=view.names)


def _claim(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    return _done("agent/claimed", ticket=bench.claim(turn.person, _number(rest, "claim")))


def _assign(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, who = _words(rest, 1)
    _need(who, "assign")
    ticket, agent = bench.assign(turn.person, number, who)
    return _done("agent/assigned", ticket=ticket, agent=agent.name)


def _escalate(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, group, reason = _words(rest, 2)
    _need(group, "escalate")
    ticket = bench.escalate(turn.person, number, group, reason)
    return _done("agent/escalated", ticket=ticket)


def _priority(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, priority, reason = _words(rest, 2)
    _need(priority, "priority")
    ticket = bench.set_priority(turn.person, number, priority, reason)
    return _done("agent/priority", ticket=ticket)


def _reply(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, text = _words(rest, 1)
    return _done("agent/replied", ticket=bench.reply(turn.person, _number(number, "reply"), text))


def _note(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, text = _words(rest, 1)
    return _done("agent/noted", ticket=bench.note(turn.person, _number(number, "note"), text))


def _wait(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, whom, more = _words(rest, 2)
    if whom.lower() == "user":
        ticket = bench.wait_on_user(turn.person, number, more)
        return _done("agent/waiting", ticket=ticket, on="user")
    if whom.lower() == "vendor":
        vendor, their_ref = _split_vendor(bench, more)
        ticket = bench.wait_on_vendor(turn.person, number, vendor, their_ref)
        return _done("agent/waiting", ticket=ticket, on="vendor")
    raise InvalidInput(f"Wait on whom? {COMMANDS['wait'].usage}")


def _split_vendor(bench: Workbench, text: str) -> tuple[str, str]:
    """Take the longest configured vendor name off the front; the rest is their reference."""
    for vendor in sorted(bench.teams.vendors, key=lambda v: -len(v.name)):
        if text.lower().startswith(vendor.name.lower()):
            return vendor.name, text[len(vendor.name) :].strip()
    name, _, ref = text.partition(" ")
    _need(name, "wait")
    return name, ref.strip()


def _resolve(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, text = _words(rest, 1)
    return _done(
        "agent/resolved", ticket=bench.resolve(turn.person, _number(number, "resolve"), text)
    )


def _reopen(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, reason = _words(rest, 1)
    return _done(
        "agent/reopened", ticket=bench.reopen(turn.person, _number(number, "reopen"), reason)
    )


def _cancel(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    number, reason = _words(rest, 1)
    return _done(
        "agent/cancelled", ticket=bench.cancel(turn.person, _number(number, "cancel"), reason)
    )


def _duty(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    state = rest.strip().lower()
    if state not in ("on", "off"):
        raise InvalidInput(f"Say 'duty on' or 'duty off'. {COMMANDS['duty'].usage}")
    bench.set_duty(turn.person, state == "on")
    return _done("agent/duty", on=state == "on")


def _kb(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    bench.require_agent(turn.person)
    action, _, argument = rest.strip().partition(" ")
    argument = argument.strip()
    _need(argument, "kb")
    drafts = Drafts(bench.tickets.session, bench)
    if action == "search":
        hits = bench.desk.knowledge().search(argument, limit=5, audience="agents")
        return _done("agent/kb_results", query=argument, hits=hits)
    if action == "draft":
        return _done("agent/kb_draft", draft=drafts.draft(turn.person, argument))
    if action == "publish":
        article = drafts.publish(turn.person, argument, bench.desk.rules.kb.articles)
        return _done("agent/kb_published", article=article)
    raise InvalidInput(f"Usage: {COMMANDS['kb'].usage}")


def _help(bench: Workbench, turn: Turn, rest: str) -> Outcome:
    command = COMMANDS.get(rest.strip().lower())
    return _done("agent/help", commands=list(COMMANDS.values()), command=command)


def _number(text: str, command: str) -> str:
    number = text.split(maxsplit=1)[0] if text.strip() else ""
    _need(number, command)
    return number


def _need(value: str, command: str) -> None:
    if not value.strip():
        raise InvalidInput(f"Something is missing. Usage: {COMMANDS[command].usage}")


def _done(template: str, **context: object) -> Outcome:
    return Outcome(None, [say(template, **context)])


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("queue", "queue [group]", "unassigned tickets, most urgent first", _queue),
        Command("mine", "mine", "tickets assigned to you", _mine),
        Command("show", "show HD-1", "a ticket with its whole history", _show),
        Command("claim", "claim HD-1", "take a ticket", _claim),
        Command("assign", "assign HD-1 PERSON", "give a ticket to an agent of its group", _assign),
        Command("escalate", "escalate HD-1 GROUP reason", "move to a specialist group", _escalate),
        Command("priority", "priority HD-1 P2 reason", "change the priority", _priority),
        Command("reply", "reply HD-1 text", "answer the requester", _reply),
        Command("note", "note HD-1 text", "an internal note the requester never sees", _note),
        Command(
            "wait",
            "wait HD-1 user [question] | wait HD-1 vendor VENDOR [their ref]",
            "pause until the requester or a vendor answers",
            _wait,
        ),
        Command("resolve", "resolve HD-1 resolution", "resolve and ask the requester", _resolve),
        Command("reopen", "reopen HD-1 reason", "reopen a resolved or closed ticket", _reopen),
        Command("cancel", "cancel HD-1 reason", "cancel a ticket", _cancel),
        Command("duty", "duty on | duty off", "take or stop taking assigned tickets", _duty),
        Command(
            "kb",
            "kb search QUERY | kb draft HD-1 | kb publish DRAFT",
            "search articles; draft one from a resolved ticket; publish a draft (leads)",
            _kb,
        ),
        Command("help", "help [command]", "this list, or one command", _help),
    )
}


def command_for(text: str) -> tuple[Command, str] | None:
    """Return the agent command a line names, with the rest of the line; None if it names none."""
    head, _, rest = text.strip().partition(" ")
    command = COMMANDS.get(head.lower().lstrip("/"))
    if command is None:
        return None
    if command.name in ("cancel", "help", "show") and not rest.strip():
        # A bare "cancel", "help" or "show" belongs to the conversation, not to a ticket.
        return None if command.name != "help" else (command, rest)
    return command, rest


def suggestion(text: str) -> str | None:
    """Return the command a mistyped line probably meant, when it looks like an agent command."""
    head, _, rest = text.strip().partition(" ")
    first = rest.split(maxsplit=1)[0] if rest.strip() else ""
    if not _TICKET.match(first) and head.lower() not in ("mine", "queue", "duty"):
        return None
    close = difflib.get_close_matches(head.lower(), list(COMMANDS), n=1, cutoff=0.75)
    return f"{close[0]} {rest}".strip() if close else None


def respond(turn: Turn, bench: Workbench) -> Outcome | None:
    """Answer an agent command, or return None when the line is not one."""
    found = command_for(turn.message.text)
    if found is None:
        guess = suggestion(turn.message.text) if is_agent(turn.person) else None
        return _done("agent/suggest", guess=guess) if guess else None

    command, rest = found
    if not is_agent(turn.person) and not _aimed_at_a_ticket(command, rest):
        return None
    try:
        return command.run(bench, turn, rest)
    except AccessDenied as error:
        # An agent outside the ticket's group may still be its requester, who may look.
        return None if command.name == "show" else _done("common/error", message=str(error))
    except HelpdeskError as error:
        return _done("common/error", message=str(error))


def _aimed_at_a_ticket(command: Command, rest: str) -> bool:
    """Tell whether a non-agent's line reads as a ticket command, so they hear why not."""
    first = rest.split(maxsplit=1)[0] if rest.strip() else ""
    return command.name not in ("show", "help") and bool(_TICKET.match(first))
