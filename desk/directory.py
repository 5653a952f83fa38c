"""The directory of people: who they are, what they may do, and how platforms name them."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session

from desk.clock import Clock
from desk.errors import InvalidInput, UnknownPerson
from desk.vocabulary import Role
from storage.models import Person
from storage.stores import PersonStore, SavedConversation

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("email", "name", "department", "time_zone", "roles", "groups")
CONSOLE = "console"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GROUP = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class PersonEntry(BaseModel):
    """One person as config.yaml or a CSV row describes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    name: str = Field(min_length=1, max_length=200)
    department: str = Field(default="", max_length=200)
    time_zone: str = "UTC"
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    roles: tuple[Role, ...] = (Role.EMPLOYEE,)
    groups: tuple[str, ...] = ()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not _EMAIL.match(value) or len(value) > 320:
            raise ValueError(f"'{value}' is not an e-mail address")
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone such as Europe/Berlin") from None
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for group in value:
            if not _GROUP.match(group):
                raise ValueError(f"group '{group}' must be a lower-case name such as 'network'")
        return value


class Change(StrEnum):
    """What an upsert did to the directory."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ImportReport:
    """What a directory import added, updated, left alone and rejected (line and reason)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def count(self, change: Change, email: str) -> None:
        {Change.ADDED: self.added, Change.UPDATED: self.updated}.get(
            change, self.unchanged
        ).append(email)


class Directory:
    """Looks people up and keeps the directory in step with config.yaml and CSV files."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.store = PersonStore(session)
        self.clock = clock

    def resolve(self, platform: str, platform_user_id: str) -> Person:
        """Return the active person behind a platform identity, or raise UnknownPerson."""
        if platform == CONSOLE:
            person = self.store.get_by_email(platform_user_id)
        else:
            person = self.store.get_by_identity(platform, platform_user_id)
        return _active(person, platform, platform_user_id)

    def resolve_in_chat(
        self, platform: str, platform_user_id: str, chat_key: str
    ) -> tuple[Person, SavedConversation | None]:
        """Return the active person behind a platform identity and their conversation in a chat.

        Raises:
            UnknownPerson: no active person has that identity.
        """
        person, conversation = self.store.get_in_chat(
            platform, platform_user_id, chat_key, by_email=platform == CONSOLE
        )
        return _active(person, platform, platform_user_id), conversation

    def roles_of(self, person: Person) -> set[Role]:
        return {Role(role) for role in person.roles}

    def upsert(self, entry: PersonEntry) -> Change:
        """Add the person, or bring their record in line with the entry."""
        person = self.store.get_by_email(entry.email)
        values: dict[str, object] = {
            "name": entry.name,
            "department": entry.department,
            "time_zone": entry.time_zone,
            "language": entry.language,
            "roles": sorted(role.value for role in entry.roles),
            "active": True,
        }
        now = self.clock.now()
        if person is None:
            person = Person(email=entry.email, name=entry.name, created_at=now, updated_at=now)
            for key, value in values.items():
                setattr(person, key, value)
            self.store.update_groups(_id(self.store.add(person)), entry.groups)
            return Change.ADDED

        changed = {key: value for key, value in values.items() if getattr(person, key) != value}
        groups_changed = set(self.store.list_groups(_id(person))) != set(entry.groups)
        if not changed and not groups_changed:
            return Change.UNCHANGED
        for key, value in changed.items():
            setattr(person, key, value)
        person.updated_at = now
        self.store.update_groups(_id(person), entry.groups)
        return Change.UPDATED

    def sync(self, entries: Iterable[PersonEntry]) -> ImportReport:
        """Upsert every entry; people not listed are left as they are."""
        report = ImportReport()
        for entry in entries:
            report.count(self.upsert(entry), entry.email)
        return report

    def import_csv(self, path: Path) -> ImportReport:
        """Upsert each row of a CSV file; bad rows are reported with their line and reason.

        Raises:
            InvalidInput: the file cannot be read or lacks the required columns.
        """
        report = ImportReport()
        seen: dict[str, int] = {}
        for line, row in _read_rows(path):
            try:
                entry = _entry_from_row(row)
            except ValidationError as error:
                report.rejected.append((line, _describe(row, error)))
                continue
            if entry.email in seen:
                reason = f"{entry.email}: already on line {seen[entry.email]}"
                report.rejected.append((line, reason))
                continue
            seen[entry.email] = line
            report.count(self.upsert(entry), entry.email)
        logger.info(
            "Directory imported added=%d updated=%d rejected=%d",
            len(report.added),
            len(report.updated),
            len(report.rejected),
        )
        return report


def _active(person: Person | None, platform: str, platform_user_id: str) -> Person:
    if person is None or not person.active:
        raise UnknownPerson(f"No one in the directory is {platform} user '{platform_user_id}'.")
    return person


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"Cannot read {path}: {error}") from error
    reader = csv.DictReader(text.splitlines())
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("email", "name") if name not in header]
    if missing:
        expected = ", ".join(CSV_COLUMNS)
        raise InvalidInput(f"{path} has no {' or '.join(missing)} column; expected {expected}.")
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput(
            f"{path} has unknown columns {', '.join(unknown)}; expected {', '.join(CSV_COLUMNS)}."
        )
    reader.fieldnames = header
    return [
        (reader.line_num, row) for row in reader if any((v or "").strip() for v in row.values())
    ]


def _entry_from_row(row: dict[str, str]) -> PersonEntry:
    values: dict[str, object] = {}
    for column in ("email", "name", "department", "time_zone"):
        value = (row.get(column) or "").strip()
        if value:
            values[column] = value
    for column in ("roles", "groups"):
        items = tuple(item.strip() for item in (row.get(column) or "").split(";") if item.strip())
        if items:
            values[column] = items
    return PersonEntry.model_validate(values)


def _describe(row: dict[str, str], error: ValidationError) -> str:
    who = (row.get("email") or "").strip() or "(no e-mail)"
    problems = []
    for item in error.errors():
        column = ".".join(str(part) for part in item["loc"][:1]) or "row"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{column}: {message}")
    return f"{who}: {'; '.join(problems)}"


def _id(person: Person) -> int:
    if person.id is None:
        raise ValueError("person has not been saved yet")
    return person.id
