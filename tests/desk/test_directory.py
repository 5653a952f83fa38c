from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from desk.clock import FixedClock
from desk.directory import Change, Directory, PersonEntry
from desk.errors import InvalidInput, UnknownPerson
from desk.vocabulary import Role
from storage.models import Identity
from storage.stores import ConversationStore, SavedConversation


@pytest.fixture
def directory(engine: Engine, clock: FixedClock) -> Iterator[Directory]:
    with Session(engine, expire_on_commit=False) as session:
        yield Directory(session, clock)


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_import_reports_added_updated_and_rejected_with_reasons(
    directory: Directory, tmp_path: Path
) -> None:
    directory.upsert(PersonEntry(email="sam@example.com", name="Sam"))
    path = _csv(
        tmp_path,
        "email,name,department,time_zone,roles,groups\n"
        "alex@example.com,Alex Rivera,Sales,Europe/Berlin,employee,\n"
        "SAM@example.com,Sam Okafor,IT,Europe/London,employee;agent,service-desk;network\n"
        "not-an-address,Nobody,,,,\n"
        "kim@example.com,Kim,,Mars/Olympus,,\n"
        "lee@example.com,Lee,,,wizard,\n"
        "alex@example.com,Alex Again,,,,\n"
        ",,,,,\n",
    )

    report = directory.import_csv(path)

    assert report.added == ["alex@example.com"]
    assert report.updated == ["sam@example.com"]
    assert report.rejected == [
        (4, "not-an-address: email: 'not-an-address' is not an e-mail address"),
        (5, "kim@example.com: time_zone: 'Mars/Olympus' is not a time zone such as Europe/Berlin"),
        (6, "lee@example.com: roles: Input should be 'employee', 'agent', 'lead' or 'admin'"),
        (7, "alex@example.com: already on line 2"),
    ]
    sam = directory.store.get_by_email("sam@example.com")
    assert sam is not None
    assert (sam.name, sam.roles) == ("Sam Okafor", ["agent", "employee"])
    assert directory.store.list_groups(sam.id or 0) == ["network", "service-desk"]


def test_importing_the_same_file_twice_changes_nothing(
    directory: Directory, tmp_path: Path
) -> None:
    path = _csv(tmp_path, "email,name,groups\nalex@example.com,Alex,service-desk\n")
    directory.import_csv(path)

    again = directory.import_csv(path)

    assert (again.added, again.updated, again.unchanged) == ([], [], ["alex@example.com"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("mail,name\nx@example.com,X\n", "has no email column"),
        ("email,name,shoe_size\nx@example.com,X,42\n", "unknown columns shoe_size"),
    ],
)
def test_unusable_files_are_refused_whole(
    directory: Directory, tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        directory.import_csv(_csv(tmp_path, body))


def test_missing_file_is_named(directory: Directory, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"Cannot read .*nowhere\.csv"):
        directory.import_csv(tmp_path / "nowhere.csv")


def test_resolve_by_console_email_and_by_platform_identity(
    directory: Directory, clock: FixedClock
) -> None:
    directory.upsert(PersonEntry(email="alex@example.com", name="Alex", roles=(Role.AGENT,)))
    alex = directory.store.get_by_email("alex@example.com")
    assert alex is not None
    directory.store.add_identity(
        Identity(
            platform="slack",
            platform_user_id="U123",
            person_id=alex.id or 0,
            created_at=clock.now(),
        )
    )

    assert directory.resolve("console", "Alex@Example.com").id == alex.id
    assert directory.resolve("slack", "U123").id == alex.id
    with pytest.raises(UnknownPerson, match="No one in the directory is slack user 'U999'"):
        directory.resolve("slack", "U999")


def test_resolve_in_chat_brings_the_conversation_of_that_chat_only(
    directory: Directory, clock: FixedClock
) -> None:
    directory.upsert(PersonEntry(email="alex@example.com", name="Alex"))
    alex = directory.store.get_by_email("alex@example.com")
    assert alex is not None
    directory.store.add_identity(
        Identity(
            platform="slack",
            platform_user_id="U123",
            person_id=alex.id or 0,
            created_at=clock.now(),
        )
    )
    later = clock.now() + timedelta(minutes=30)
    ConversationStore(directory.store.session).save(
        alex.id or 0,
        "console:alex@example.com",
        None,
        flow="intake",
        step="since",
        data={"symptom": "vpn drops"},
        now=clock.now(),
        expires_at=later,
    )

    person, saved = directory.resolve_in_chat(
        "console", "Alex@Example.com", "console:alex@example.com"
    )
    elsewhere = directory.resolve_in_chat("console", "alex@example.com", "console:other")
    on_slack = directory.resolve_in_chat("slack", "U123", "slack:D123")

    assert person.id == alex.id
    assert saved == SavedConversation(1, "intake", "since", {"symptom": "vpn drops"}, later)
    assert elsewhere == (alex, None)
    assert on_slack == (alex, None)


def test_resolve_in_chat_refuses_strangers_and_people_who_left(directory: Directory) -> None:
    directory.upsert(PersonEntry(email="alex@example.com", name="Alex"))
    alex = directory.store.get_by_email("alex@example.com")
    assert alex is not None
    alex.active = False

    with pytest.raises(UnknownPerson, match="No one in the directory is slack user 'U999'"):
        directory.resolve_in_chat("slack", "U999", "slack:C1")
    with pytest.raises(UnknownPerson, match=r"console user 'alex@example\.com'"):
        directory.resolve_in_chat("console", "alex@example.com", "console:alex@example.com")


def test_upsert_reports_what_changed(directory: Directory) -> None:
    entry = PersonEntry(email="alex@example.com", name="Alex")

    changes = [
        directory.upsert(entry),
        directory.upsert(entry),
        directory.upsert(entry.model_copy(update={"department": "Sales"})),
    ]

    assert changes == [Change.ADDED, Change.UNCHANGED, Change.UPDATED]
