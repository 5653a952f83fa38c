"""A credential pasted into chat appears in no table afterwards, on every backend."""

from __future__ import annotations

from sqlalchemy import inspect, text

from bot.service import Helpdesk
from tests.scenarios.transcript import chat

SECRETS = ("Hunter2!xyz", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "4111 1111 1111 1111")


def _everything_stored(helpdesk: Helpdesk) -> str:
    """Every value of every column of every table, as one text."""
    engine = helpdesk.engine
    chunks = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_pasted_credentials_are_masked_everywhere(helpdesk: Helpdesk) -> None:
    transcript = chat(
        helpdesk,
        "alex@example.com",
        f"cannot sign in to the VPN since today, my password is {SECRETS[0]}",
        f"tried the token {SECRETS[1]}",
        "1",
        "3",
        "1",
        f"comment HD-1 my card is {SECRETS[2]}",
    )

    stored = _everything_stored(helpdesk)
    assert "Ticket HD-1 is open" in transcript
    assert "I removed what looked like a password from your message" in transcript
    assert "I removed what looked like a card number from your message" in transcript
    for secret in SECRETS:
        assert secret not in stored
        assert secret not in transcript
    assert "[masked password]" in stored
    assert "[masked card number]" in stored


def test_history_records_that_something_was_masked_never_what(helpdesk: Helpdesk) -> None:
    chat(
        helpdesk,
        "alex@example.com",
        "outlook asks for my password: Pa55word99 since today",
        "nothing",
        "1",
        "2",
        "1",
    )

    with helpdesk.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT after, note FROM ticket_event WHERE action = 'masked'")
        ).all()

    assert [(str(after), note) for after, note in rows] in (
        [("{'kinds': ['password']}", None)],
        [('{"kinds": ["password"]}', None)],
    )
