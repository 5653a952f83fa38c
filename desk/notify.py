"""Messages to people and vendors, queued in the outbox with the change that caused them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from desk.clock import Clock
from storage.models import OutboxMessage, Person
from storage.stores import OutboxStore, PersonStore

logger = logging.getLogger(__name__)

CONSOLE = "console"
EMAIL = "email"


def button(action: str, value: str, label: str, **label_args: Any) -> dict[str, Any]:
    """Describe a button for a queued message; the recipient's language renders its label."""
    return {"action": action, "value": value, "label": label, "label_args": label_args}


class Notifier:
    """Queues messages; a message with the same key is queued once, however often it is asked."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.outbox = OutboxStore(session)
        self.people = PersonStore(session)
        self.clock = clock

    def person(
        self,
        recipient: Person,
        template: str,
        key: str,
        context: dict[str, Any],
        buttons: Iterable[dict[str, Any]] = (),
    ) -> OutboxMessage:
        """Queue a message for one person on the channel they are reached on."""
        now = self.clock.now()
        message = OutboxMessage(
            key=f"{key}:{recipient.id}",
            channel=channel_for(recipient),
            recipient_id=recipient.id,
            address=recipient.email,
            template=template,
            payload={"context": context, "buttons": list(buttons)},
            due_at=now,
            created_at=now,
        )
        logger.debug("Message queued template=%s recipient=%s", template, recipient.id)
        return self.outbox.add(message)

    def people_by_id(
        self, person_ids: Iterable[int | None], template: str, key: str, context: dict[str, Any]
    ) -> int:
        """Queue the same message for several people; return how many were queued."""
        recipients = self.people.list_by_ids({pid for pid in person_ids if pid is not None})
        for recipient in recipients:
            self.person(recipient, template, key, context)
        return len(recipients)

    def email(self, address: str, template: str, key: str, context: dict[str, Any]) -> None:
        """Queue an e-mail to someone outside the directory, such as a vendor's contact."""
        now = self.clock.now()
        message = OutboxMessage(
            key=key,
            channel=EMAIL,
            address=address,
            template=template,
            payload={"context": context, "buttons": []},
            due_at=now,
            created_at=now,
        )
        self.outbox.add(message)


def channel_for(person: Person) -> str:
    """Return the channel a person is reached on."""
    # The console is the only channel that delivers today; a platform adapter that sends from
    # the outbox will choose by the person's identities.
    del person
    return CONSOLE
