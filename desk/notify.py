"""Messages to people and vendors, queued in the outbox with the change that caused them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from desk.clock import Clock
from storage.models import Person
from storage.stores import OutboxStore, PersonStore

logger = logging.getLogger(__name__)

CONSOLE = "console"
EMAIL = "email"


def button(action: str, value: str, label: str, **label_args: Any) -> dict[str, Any]:
    """Describe a button for a queued message; the recipient's language renders its label."""
    return {"action": action, "value": value, "label": label, "label_args": label_args}


class Roster:
    """The people messages go to, each read once per transaction instead of once a message.

    People are kept by id, which is safe: the session hands back the same objects anyway.
    After `keep_directory()` the members of groups and the people of e-mail addresses are
    kept too, for callers such as the sweeps, which change nobody's memberships or address.
    """

    def __init__(self, people: PersonStore) -> None:
        self.people = people
        self._by_id: dict[int, Person] = {}
        self._unknown: set[int] = set()
        self._members: dict[str, list[Person]] | None = None
        self._by_email: dict[str, Person | None] | None = None

    def keep_directory(self) -> None:
        """Keep group members and e-mail lookups until this roster is dropped."""
        if self._members is None:
            self._members, self._by_email = {}, {}

    def load(self, person_ids: Iterable[int | None]) -> None:
        """Read the people of these ids not read yet, in one query."""
        wanted = {pid for pid in person_ids if pid is not None}
        wanted -= self._by_id.keys() | self._unknown
        if not wanted:
            return
        for person in self.people.list_by_ids(wanted):
            if person.id is not None:
                self._by_id[person.id] = person
        self._unknown |= wanted - self._by_id.keys()

    def get(self, person_id: int | None) -> Person | None:
        if person_id is None:
            return None
        person = self._by_id.get(person_id)
        if person is None and person_id not in self._unknown:
            self.load([person_id])
            person = self._by_id.get(person_id)
        return person

    def many(self, person_ids: Iterable[int | None]) -> list[Person]:
        """Return the people of these ids that exist, each once, by id."""
        wanted = {pid for pid in person_ids if pid is not None}
        if any(pid not in self._by_id for pid in wanted):
            self.load(wanted)
        return [self._by_id[pid] for pid in sorted(wanted) if pid in self._by_id]

    def members(self, group: str) -> list[Person]:
        """Return a group's active members, by id."""
        if self._members is None:
            return list(self.people.list_members(group))
        if group not in self._members:
            self._members[group] = list(self.people.list_members(group))
        return self._members[group]

    def by_email(self, email: str) -> Person | None:
        if self._by_email is None:
            return self.people.get_by_email(email)
        if email not in self._by_email:
            self._by_email[email] = self.people.get_by_email(email)
        return self._by_email[email]


class Notifier:
    """Queues messages; a message with the same key is queued once, however often it is asked.

    Messages are written to the outbox in one statement before the transaction's next query
    or its commit, so they commit or roll back with the change that caused them.
    """

    def __init__(self, session: Session, clock: Clock) -> None:
        self.outbox = OutboxStore(session)
        self.people = PersonStore(session)
        self.roster = Roster(self.people)
        self.clock = clock

    def person(
        self,
        recipient: Person,
        template: str,
        key: str,
        context: dict[str, Any],
        buttons: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Queue a message for one person on the channel they are reached on."""
        now = self.clock.now()
        self.outbox.queue(
            {
                "key": f"{key}:{recipient.id}",
                "channel": channel_for(recipient),
                "recipient_id": recipient.id,
                "address": recipient.email,
                "template": template,
                "payload": {"context": context, "buttons": list(buttons)},
                "due_at": now,
                "created_at": now,
            }
        )
        logger.debug("Message queued template=%s recipient=%s", template, recipient.id)

    def people_by_id(
        self, person_ids: Iterable[int | None], template: str, key: str, context: dict[str, Any]
    ) -> int:
        """Queue the same message for several people; return how many were queued."""
        recipients = self.roster.many(person_ids)
        for recipient in recipients:
            self.person(recipient, template, key, context)
        return len(recipients)

    def email(self, address: str, template: str, key: str, context: dict[str, Any]) -> None:
        """Queue an e-mail to someone outside the directory, such as a vendor's contact."""
        now = self.clock.now()
        self.outbox.queue(
            {
                "key": key,
                "channel": EMAIL,
                "recipient_id": None,
                "address": address,
                "template": template,
                "payload": {"context": context, "buttons": []},
                "due_at": now,
                "created_at": now,
            }
        )


def channel_for(person: Person) -> str:
    """Return the channel a person is reached on."""
    # The console is the only channel that delivers today; a platform adapter that sends from
    # the outbox will choose by the person's identities.
    del person
    return CONSOLE
