"""The `helpdesk` command as a person or a script uses it: real processes, piped input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.database import head_revision

CONFIG = Path(__file__).parent.parent.parent / "config.yaml"


def helpdesk(
    *args: str, stdin: str = "", database_url: str | None = None, config: Path = CONFIG
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url:
        environment["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = helpdesk("--help")

    assert result.returncode == 0
    for command in ("run", "chat", "db", "people", "check"):
        assert f"  {command} " in result.stdout


def test_a_piped_chat_opens_a_ticket(database_url: str) -> None:
    lines = "outlook will not start since yesterday, tried restarting\n2\n3\n1\nmy tickets\n"

    result = helpdesk("chat", "--as", "alex@example.com", stdin=lines, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert "Ticket HD-1 is open, priority P2 (high)." in result.stdout
    assert "  HD-1  P2  new  Outlook will not start\n" in result.stdout
    assert result.stderr == ""


def test_run_without_platforms_is_the_console_as_the_demo_employee(database_url: str) -> None:
    result = helpdesk("run", stdin="help\n", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Hi Alex Rivera, I am the IT helpdesk.")
    assert "this is the console. You are alex@example.com" in result.stderr
    assert "Knowledge base: 30 articles indexed from" in result.stderr


def test_a_broken_config_stops_at_start_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("chat:\n  conversation_timeout_minutes: -5\n", encoding="utf-8")

    result = helpdesk("chat", "--as", "alex@example.com", config=config)

    assert result.returncode == 2
    assert result.stderr == (
        f"helpdesk: {config}: 1 problem(s)\n"
        "  key 'chat.conversation_timeout_minutes': Input should be greater than or equal to 1\n"
    )


def test_an_unreachable_database_is_one_line_and_no_traceback() -> None:
    url = "postgresql://helpdesk:s3cret@127.0.0.1:1/helpdesk"

    result = helpdesk("chat", "--as", "alex@example.com", database_url=url)

    assert result.returncode == 3
    assert result.stderr.startswith(
        "helpdesk: Cannot reach the database at "
        "postgresql+psycopg://helpdesk:***@127.0.0.1:1/helpdesk: "
    )
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr


def test_people_import_reports_each_row(database_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name,department,time_zone,roles,groups\n"
        "kim@example.com,Kim Lee,Ops,Europe/Paris,employee;agent,service-desk\n"
        "alex@example.com,Alex Rivera,Marketing,Europe/Berlin,employee,\n"
        "broken,Nobody,,,,\n",
        encoding="utf-8",
    )

    result = helpdesk("people", "import", str(csv), database_url=database_url)
    listing = helpdesk("people", "list", database_url=database_url)

    assert result.returncode == 4
    assert result.stdout == (
        "Added 1, updated 1, unchanged 0, rejected 1.\n"
        "  added: kim@example.com\n"
        "  updated: alex@example.com\n"
        "  rejected line 4: broken: email: 'broken' is not an e-mail address\n"
    )
    assert "kim@example.com\tKim Lee\tagent,employee\tservice-desk\n" in listing.stdout


def test_people_import_of_a_missing_file_is_a_clear_error(
    database_url: str, tmp_path: Path
) -> None:
    result = helpdesk("people", "import", str(tmp_path / "nope.csv"), database_url=database_url)

    assert result.returncode == 4
    assert result.stderr.startswith("helpdesk: Cannot read ")


@pytest.mark.parametrize("command", [("db", "status"), ("db", "upgrade")])
def test_db_commands_report_the_revision(database_url: str, command: tuple[str, ...]) -> None:
    result = helpdesk(*command, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert f"{head_revision()} (current)" in result.stdout or result.stdout.endswith(
        f" -> {head_revision()}\n"
    )


def test_db_status_of_an_empty_database_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    status = helpdesk("db", "status", database_url=url)
    upgrade = helpdesk("db", "upgrade", database_url=url)

    assert status.returncode == 3
    assert f"revision none, code needs {head_revision()} (empty)" in status.stdout
    assert upgrade.stdout.endswith(f": empty -> {head_revision()}\n")


def test_two_terminals_carry_a_ticket_from_report_to_fix(database_url: str) -> None:
    def as_person(email: str, lines: str) -> str:
        result = helpdesk("chat", "--as", email, stdin=lines, database_url=database_url)
        assert result.returncode == 0, result.stderr
        return result.stdout

    as_person("alex@example.com", "printer jams since monday, tried a new cartridge\n1\n2\n1\n")
    agent = as_person("sam@example.com", "claim HD-1\nresolve HD-1 Cleaned the feed roller\n")
    employee = as_person("alex@example.com", "1\n")

    assert "HD-1 is yours." in agent
    assert "HD-1 is resolved. The requester has been asked to confirm the fix." in agent
    assert employee.startswith(
        "Good news: Sam Okafor is now working on your ticket HD-1 (Printer jams).\n\n"
        "Sam Okafor resolved your ticket HD-1 (Printer jams):\n  Cleaned the feed roller\n"
    )
    assert employee.endswith("Glad it is fixed! HD-1 is closed. Thank you for confirming.\n\n")


def test_sla_explain_shows_calendar_targets_and_pauses(database_url: str) -> None:
    as_alex = "my vpn keeps dropping since this morning, rebooted\n2\n3\n1\n"
    helpdesk("chat", "--as", "alex@example.com", stdin=as_alex, database_url=database_url)
    helpdesk(
        "chat",
        "--as",
        "sam@example.com",
        stdin="claim HD-1\nwait HD-1 user which office?\n",
        database_url=database_url,
    )

    result = helpdesk("sla", "explain", "hd1", database_url=database_url)
    missing = helpdesk("sla", "explain", "HD-77", database_url=database_url)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "HD-1 P2 waiting_on_user, group service-desk"
    assert lines[1] == "Calendar: business: UTC, Mon-Fri 09:00-17:00"
    assert lines[2] == "Targets for P2: first response 30m, resolution 8h 00m of calendar time"
    assert lines[4].startswith("Paused:          ")
    assert lines[4].endswith(" to now (0m of calendar time given back)")
    assert lines[5].startswith("First response:  due ")
    assert "; met at " in lines[5]
    assert lines[-1] == "Next check:      -"
    assert (missing.returncode, missing.stderr) == (4, "helpdesk: There is no ticket HD-77.\n")


def test_jobs_lists_every_job_and_runs_one(database_url: str) -> None:
    ran = helpdesk("jobs", "run", "polls", database_url=database_url)
    listing = helpdesk("jobs", database_url=database_url)
    unknown = helpdesk("jobs", "run", "laundry", database_url=database_url)

    assert ran.stdout == "polls: 0 due, 0 acted on\n"
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert names == ["sla", "pings", "reminders", "polls", "cleanup"]
    assert "0 due, 0 acted on" in listing.stdout.splitlines()[4]
    assert "never ran" in listing.stdout.splitlines()[1]
    assert unknown.returncode == 2
    assert (
        "'laundry' is not one of 'sla', 'pings', 'reminders', 'polls', 'cleanup'" in unknown.stderr
    )


def test_kb_index_search_eval_and_triage(database_url: str, tmp_path: Path) -> None:
    indexed = helpdesk("kb", "index", database_url=database_url)
    again = helpdesk("kb", "index", database_url=database_url)
    found = helpdesk(
        "kb", "search", "outlok not syncing", "--json", "--limit", "2", database_url=database_url
    )
    nothing = helpdesk("kb", "search", "i need a new chair", "--json", database_url=database_url)
    triaged = helpdesk("triage", "my vpn keeps dropping", "--json", database_url=database_url)
    predictions = tmp_path / "predictions.jsonl"
    figures = helpdesk(
        "kb",
        "eval",
        "kb/eval/queries.jsonl",
        "--json",
        "--predictions",
        str(predictions),
        database_url=database_url,
    )

    assert indexed.stdout.endswith("added 30, updated 0, unchanged 0, removed 0, skipped 0.\n")
    assert again.stdout.endswith("added 0, updated 0, unchanged 30, removed 0, skipped 0.\n")
    rows = json.loads(found.stdout)
    assert [set(row) for row in rows] == [{"id", "title", "score"}] * len(rows)
    assert rows[0]["id"] == "outlook-not-syncing"
    assert json.loads(nothing.stdout) == []
    suggestion = json.loads(triaged.stdout)
    assert suggestion["category"] == "network"
    assert 0 < suggestion["confidence"] <= 1
    report = json.loads(figures.stdout)
    assert report["queries"] == 126
    assert report["hit_at_3"] >= 0.88
    lines = predictions.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 126
    assert set(json.loads(lines[0])) == {"id", "articles", "category"}


def test_kb_commands_refuse_bad_input_clearly(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1", "text": "vpn"}\nnot json\n', encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "broken.md").write_text("no front matter", encoding="utf-8")

    evaluated = helpdesk("kb", "eval", str(bad), database_url=database_url)
    missing = helpdesk("kb", "index", str(tmp_path / "nowhere"), database_url=database_url)
    broken = helpdesk("kb", "index", str(folder), database_url=database_url)

    assert evaluated.returncode == 4
    assert f"helpdesk: {bad}, line 2: not a labelled query" in evaluated.stderr
    assert (
        missing.returncode,
        missing.stderr.endswith("nowhere is not a folder of articles\n"),
    ) == (
        4,
        True,
    )
    assert broken.returncode == 4
    assert "skipped broken.md: no front matter" in broken.stdout
