"""The intake conversation: ask only for what is missing, summarise, then open the ticket."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desk.tickets import TicketDraft
from desk.vocabulary import Impact, Urgency
from flows import offer
from flows.conversation import Outcome, State, Turn, say
from flows.extract import Details, extract_details, parse_impact, parse_tried, parse_urgency
from flows.messages import Button, Reply
from flows.when import parse_since

FLOW = "intake"
FIELDS = ("symptom", "since", "device", "tried", "impact", "urgency")
# The category is never asked: triage suggests it, and the person may change it.
EDITABLE = (*FIELDS, "category")
CONFIRM = "confirm"
EDIT = "edit"
CONFIRM_CHOICES = ("yes", "edit", "cancel")
# Chinese names of the default categories, as people may type them.
CATEGORY_WORDS = {
    "网络": "network",
    "系统": "system",
    "应用": "application",
    "软件": "application",
    "安全": "security",
    "硬件": "hardware",
    "权限": "access",
    "账号": "access",
}
# Words that name a field when the person types rather than presses a button.
FIELD_WORDS = {
    "symptom": {"symptom", "problem", "what is wrong", "description", "问题"},
    "since": {"since", "since when", "when", "time", "时间"},
    "device": {"device", "application", "app", "device or application", "设备"},
    "tried": {"tried", "already tried", "what i tried", "尝试"},
    "impact": {"impact", "who is affected", "affected", "影响"},
    "urgency": {"urgency", "how urgent", "urgent", "紧急"},
    "category": {"category", "type", "kind", "类别", "分类"},
}

_YES = re.compile(
    r"^(y|yes|yep|ok|okay|confirm|submit|send|correct|looks good|好|好的|确认|是)[.!]*$"
)
_EDIT = re.compile(r"^(edit|change|fix|modify|修改|更改)[.!]*$")
_UNKNOWN = re.compile(r"^(not sure|no idea|unknown|don'?t know|idk|不知道|不清楚)[.!]*$")
_CHOICE_FIELDS = {"impact": Impact, "urgency": Urgency}
# What the since field holds when the person does not know; it names no moment.
NOT_SURE = "not sure"


def start(turn: Turn) -> Outcome:
    """Begin an intake from the person's first message, keeping every detail it already gave."""
    details = extract_details(turn.message.text)
    data = _merge({}, details, turn)
    _remember_masked(data, turn)
    return _ask_next(State(FLOW, FIELDS[0], data), turn, noted=_noted(details))


def step(state: State, turn: Turn) -> Outcome:
    """Take the answer to the current question and move on."""
    _remember_masked(state.data, turn)
    if state.step == CONFIRM:
        return _confirm(state, turn)
    if state.step == EDIT:
        return _choose_edit(state, turn)
    if state.step == offer.OFFER:
        return offer.step(state, turn, _ask_next)
    return _answer(state, turn)


def _answer(state: State, turn: Turn) -> Outcome:
    field = state.step
    value = _CHOICE_PARSERS.get(field, _parse_free_text)(field, turn)
    if value is None:
        if field == "category":
            return Outcome(state, [_category_question(turn, retry=True)])
        return Outcome(state, [_question(field, retry=True)])

    if field == "symptom":
        state.data = _merge(state.data, extract_details(turn.message.text), turn)
        # Articles found for agents were found for the old words.
        state.data.pop(offer.AGENT_ARTICLES_KEY, None)
    state.data[field] = value
    if field == "category":
        state.data["category_chosen"] = True
    if field == "since":
        state.data["since_at"] = _since_at(value, turn)
    if state.data.pop("editing", False):
        return _summary(state)
    return _ask_next(state, turn)


def _parse_free_text(field: str, turn: Turn) -> str | None:
    text = turn.message.text.strip()
    if not text:
        return None
    if field == "tried":
        return parse_tried(text) or text
    if field == "since" and _UNKNOWN.match(text.lower()):
        return NOT_SURE
    if field == "symptom":
        return text if len(text) >= 3 else None
    if field == "device":
        return extract_details(text).device or text
    return text


def _parse_choice(field: str, turn: Turn) -> str | None:
    values = [member.value for member in _CHOICE_FIELDS[field]]
    chosen = _chosen(turn, field, values)
    if chosen is not None:
        return chosen
    parser = parse_impact if field == "impact" else parse_urgency
    parsed = parser(turn.message.text)
    return parsed.value if parsed else None


def _chosen(turn: Turn, action: str, values: Sequence[str]) -> str | None:
    """Return the value of a pressed button, or of the one whose number was typed.

    A number is accepted too because buttons may be gone (after a restart, in plain e-mail).
    """
    message = turn.message
    if message.action == action and message.value in values:
        return message.value
    text = message.text.strip()
    if text.isdigit() and 1 <= int(text) <= len(values):
        return values[int(text) - 1]
    return None


def _confirm(state: State, turn: Turn) -> Outcome:
    choice = _chosen(turn, "confirm", CONFIRM_CHOICES) or turn.message.text.strip().lower()
    if choice == "cancel":
        return Outcome(None, [say("intake/cancelled")])
    if choice == "yes" or _YES.match(choice):
        ticket = turn.desk.open_ticket(turn.person, _draft(state.data))
        return Outcome(None, [say("intake/created", ticket=ticket)])
    if choice == "edit" or _EDIT.match(choice):
        return Outcome(State(FLOW, EDIT, state.data), [_edit_question()])
    return Outcome(state, [say("intake/choose"), _summary(state).replies[0]])


def _choose_edit(state: State, turn: Turn) -> Outcome:
    field = _chosen(turn, "edit", EDITABLE) or _field_by_label(turn.message.text)
    if field is None:
        return Outcome(state, [say("intake/choose"), _edit_question()])
    state.data["editing"] = True
    question = _category_question(turn) if field == "category" else _question(field)
    return Outcome(State(FLOW, field, state.data), [question])


def _category_question(turn: Turn, *, retry: bool = False) -> Reply:
    categories = turn.desk.policy.categories
    buttons = tuple(
        Button("category", name, "category.name", {"name": name}) for name in categories
    )
    return Reply(template="intake/ask_category", context={"retry": retry}, buttons=buttons)


def _parse_category(field: str, turn: Turn) -> str | None:
    categories = list(turn.desk.policy.categories)
    chosen = _chosen(turn, field, categories)
    text = turn.message.text.strip().lower()
    text = CATEGORY_WORDS.get(text, text)
    return chosen or (text if text in categories else None)


def _field_by_label(text: str) -> str | None:
    words = text.strip().lower()
    return next((field for field, names in FIELD_WORDS.items() if words in names), None)


def _ask_next(state: State, turn: Turn, noted: list[tuple[str, str]] | None = None) -> Outcome:
    offered = offer.maybe_offer(state, turn)
    if offered is not None:
        if noted:
            offered.replies.insert(0, say("intake/noted", noted=noted))
        return offered
    missing = [field for field in FIELDS if not state.data.get(field)]
    if not missing:
        outcome = _summary(state)
        if noted:
            outcome.replies.insert(0, say("intake/noted", noted=noted))
        return outcome
    state.step = missing[0]
    return Outcome(state, [_question(missing[0], noted=noted or [])])


def _question(
    field: str, *, retry: bool = False, noted: list[tuple[str, str]] | None = None
) -> Reply:
    buttons: tuple[Button, ...] = ()
    enum = _CHOICE_FIELDS.get(field)
    if enum is not None:
        buttons = tuple(Button(field, member.value, f"{field}.{member.value}") for member in enum)
    context = {"retry": retry, "noted": noted or []}
    return Reply(template=f"intake/ask_{field}", context=context, buttons=buttons)


def _edit_question() -> Reply:
    buttons = tuple(Button("edit", field, f"field.{field}") for field in EDITABLE)
    return Reply(template="intake/ask_edit", buttons=buttons)


def _summary(state: State) -> Outcome:
    state.step = CONFIRM
    buttons = tuple(Button("confirm", value, f"confirm.{value}") for value in CONFIRM_CHOICES)
    reply = Reply(template="intake/summary", context={"draft": dict(state.data)}, buttons=buttons)
    return Outcome(state, [reply])


def _merge(data: dict[str, Any], details: Details, turn: Turn) -> dict[str, Any]:
    found = {
        "symptom": details.symptom,
        "since": details.since,
        "device": details.device,
        "tried": details.tried,
        "impact": details.impact.value if details.impact else None,
        "urgency": details.urgency.value if details.urgency else None,
    }
    merged = dict(data)
    for key, value in found.items():
        if value and not merged.get(key):
            merged[key] = value
    if details.since and "since_at" not in merged:
        merged["since_at"] = _since_at(details.since, turn)
    return merged


def _noted(details: Details) -> list[tuple[str, str]]:
    """Return the details the first message already gave, as (field, value) pairs."""
    found = {
        "since": details.since,
        "device": details.device,
        "tried": details.tried,
        "impact": details.impact.value if details.impact else None,
        "urgency": details.urgency.value if details.urgency else None,
    }
    return [(field, value) for field, value in found.items() if value]


def _since_at(words: str, turn: Turn) -> str | None:
    if words == NOT_SURE:
        return None
    moment = parse_since(words, turn.now, turn.person.time_zone)
    return moment.isoformat() if moment else None


def _remember_masked(data: dict[str, Any], turn: Turn) -> None:
    if turn.message.masked:
        data["masked"] = sorted(set(data.get("masked", [])) | set(turn.message.masked))


def _draft(data: dict[str, Any]) -> TicketDraft:
    since_at = data.get("since_at")
    return TicketDraft(
        symptom=data["symptom"],
        impact=Impact(data["impact"]),
        urgency=Urgency(data["urgency"]),
        since_text=data.get("since", ""),
        since_at=datetime.fromisoformat(since_at) if since_at else None,
        device=data.get("device", ""),
        tried=data.get("tried", ""),
        masked=tuple(data.get("masked", ())),
        category=data.get("category"),
        offered=tuple(data.get("offered", ())),
        articles=_articles(data.get(offer.AGENT_ARTICLES_KEY)),
    )


def _articles(pairs: list[list[str]] | None) -> tuple[tuple[str, str], ...] | None:
    """The articles for agents kept in the conversation, or None when none were looked for."""
    if pairs is None:
        return None
    return tuple((article_id, title) for article_id, title in pairs)


_CHOICE_PARSERS = {
    "impact": _parse_choice,
    "urgency": _parse_choice,
    "category": _parse_category,
}
