"""The one message model: what arrives from a platform, what a flow answers, what goes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; the adapter keeps the bytes, we keep the reference."""

    name: str
    url: str
    size: int = 0


@dataclass(frozen=True)
class Inbound:
    """A message or a button press from a person, as any adapter reports it.

    ``user_id`` is the platform's identity of the sender (for the console, an e-mail); the
    service resolves it to a person before any flow sees the message.
    """

    platform: str
    user_id: str
    chat_id: str
    text: str = ""
    action: str | None = None
    value: str | None = None
    thread: str | None = None
    message_id: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @property
    def chat_key(self) -> str:
        """Identify the chat across platforms, for conversation state."""
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Message:
    """An inbound message after the service checked it: sender known, credentials masked."""

    person_id: int
    text: str
    action: str | None = None
    value: str | None = None
    masked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Button:
    """A choice offered with a reply; ``label`` is a key in the language's label catalogue."""

    action: str
    value: str
    label: str
    label_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What a flow wants said: a template name, its values, and the choices to offer."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class OutButton:
    """A rendered choice: the words shown, and the action and value sent back when pressed."""

    label: str
    action: str
    value: str


@dataclass(frozen=True)
class Outbound:
    """A rendered message, ready for an adapter to put in its platform's own form."""

    text: str
    buttons: tuple[OutButton, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    thread: str | None = None
