"""What every flow step sees and returns: the conversation's state, the turn and the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from desk.tickets import TicketDesk
from desk.work import Workbench
from flows.messages import Message, Reply
from storage.models import Person


class ChatPolicy(BaseModel):
    """Limits and defaults of conversations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    max_message_length: int = Field(default=4000, ge=100, le=40000)
    conversation_timeout_minutes: int = Field(default=30, ge=1, le=10080)
    recent_updates: int = Field(default=5, ge=1, le=50)


@dataclass
class State:
    """Where a conversation stands: which flow, which step, and what it collected."""

    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One message to answer, with who sent it and the desk to act through."""

    person: Person
    message: Message
    bench: Workbench
    policy: ChatPolicy
    now: datetime

    @property
    def desk(self) -> TicketDesk:
        """The requester-side operations."""
        return self.bench.desk


@dataclass
class Outcome:
    """What a step decided: the next state (None when the conversation ends) and replies."""

    state: State | None
    replies: list[Reply] = field(default_factory=list)


def say(template: str, **context: Any) -> Reply:
    """Build a reply without buttons."""
    return Reply(template=template, context=context)
