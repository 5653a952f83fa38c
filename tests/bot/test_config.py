from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from desk.errors import ConfigError
from desk.vocabulary import Impact, Priority, Urgency

SHIPPED = Path(__file__).parent.parent.parent / "config.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid_and_has_a_demo_directory() -> None:
    config = load_config(SHIPPED, environ={})

    assert config.database.url == "sqlite:///helpdesk.db"
    assert config.desk.priority_for(Impact.TEAM, Urgency.BLOCKED) == Priority.P2
    assert "alex@example.com" in {person.email for person in config.directory.people}


def test_an_empty_file_means_every_default(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, ""), environ={})

    assert (config.desk.ticket_prefix, config.chat.max_message_length) == ("HD", 4000)


def test_database_url_from_the_environment_wins(tmp_path: Path) -> None:
    path = _write(tmp_path, "database:\n  url: sqlite:///a.db\n")

    config = load_config(path, environ={"DATABASE_URL": "postgresql://u@h/db"})

    assert config.database.url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chat:\n  max_message_lenght: 10\n", "key 'chat.max_message_lenght': unknown key"),
        (
            "chat:\n  max_message_length: lots\n",
            "key 'chat.max_message_length': Input should be a valid integer",
        ),
        ("desk:\n  ticket_prefix: hd\n", "key 'desk.ticket_prefix': String should match pattern"),
        ("database:\n  url: mysql://x\n", "key 'database.url': 'mysql' is not supported"),
        (
            "directory:\n  people:\n    - {email: x}\n",
            "key 'directory.people.0.email': 'x' is not an e-mail address",
        ),
        ("logging: {level: LOUD}\n", "key 'logging.level': Input should be"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("chat: [unclosed\n", "at line 2, column 1"),
    ],
)
def test_a_broken_config_names_the_key_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: no such file"):
        load_config(tmp_path / "nowhere.yaml", environ={})
