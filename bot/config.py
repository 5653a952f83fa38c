"""config.yaml, parsed once into typed objects and checked before anything starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from desk.directory import PersonEntry
from desk.errors import ConfigError
from desk.followup import FollowUpSettings
from desk.policy import DeskPolicy
from desk.rules import Rules
from desk.sla import SlaSettings
from desk.teams import GroupSettings, Routing, Teams, Vendor
from flows.conversation import ChatPolicy
from kb.index import KbSettings
from kb.triage import TriageSettings

DEFAULT_PATH = Path("config.yaml")
CONFIG_ENV = "HELPDESK_CONFIG"
DATABASE_ENV = "DATABASE_URL"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    """Where tickets live; ``DATABASE_URL`` in the environment wins over ``url``."""

    url: str = "sqlite:///helpdesk.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            scheme = value.split(":", maxsplit=1)[0]
            raise ValueError(f"'{scheme}' is not supported; use sqlite or postgresql")
        return value.replace("postgresql://", "postgresql+psycopg://", 1)


class DirectorySettings(_Section):
    """People added or updated at every start; nobody is removed when left out."""

    people: tuple[PersonEntry, ...] = ()


class ConsoleSettings(_Section):
    """The terminal chat that ``helpdesk run`` opens when no platform is configured."""

    user: str = "alex@example.com"


class JobSettings(_Section):
    """How often each scheduled sweep runs, in seconds, and how many rows one run takes."""

    sla_seconds: float = Field(default=30, ge=1)
    pings_seconds: float = Field(default=60, ge=1)
    reminders_seconds: float = Field(default=60, ge=1)
    polls_seconds: float = Field(default=60, ge=1)
    cleanup_seconds: float = Field(default=3600, ge=60)
    batch: int = Field(default=500, ge=1, le=10000)

    def intervals(self) -> dict[str, float]:
        """Return each job's interval in seconds, by job name."""
        return {
            "sla": self.sla_seconds,
            "pings": self.pings_seconds,
            "reminders": self.reminders_seconds,
            "polls": self.polls_seconds,
            "cleanup": self.cleanup_seconds,
        }


class LoggingSettings(_Section):
    """How much the process tells on standard error."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"


class Config(_Section):
    """The whole of config.yaml."""

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    desk: DeskPolicy = Field(default_factory=DeskPolicy)
    groups: dict[str, GroupSettings] = Field(default_factory=lambda: Teams().groups)
    routing: Routing = Field(default_factory=Routing)
    vendors: tuple[Vendor, ...] = ()
    sla: SlaSettings = Field(default_factory=SlaSettings)
    follow_up: FollowUpSettings = Field(default_factory=FollowUpSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    kb: KbSettings = Field(default_factory=KbSettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    chat: ChatPolicy = Field(default_factory=ChatPolicy)
    directory: DirectorySettings = Field(default_factory=DirectorySettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @model_validator(mode="after")
    def _teams_hold_together(self) -> Config:
        self.teams()
        for group in self.sla.group_calendars:
            if group not in self.groups:
                raise ValueError(f"sla.group_calendars names group '{group}', not under groups")
        for index, person in enumerate(self.directory.people):
            unknown = sorted(set(person.groups) - set(self.groups))
            if unknown:
                key = f"directory.people.{index}.groups"
                raise ValueError(f"{key} names {', '.join(unknown)}, not under groups")
        return self

    def teams(self) -> Teams:
        """Return groups, routing and vendors as one checked whole."""
        return Teams(groups=self.groups, routing=self.routing, vendors=self.vendors)

    def rules(self) -> Rules:
        """Return everything the desk is configured with."""
        return Rules.build(
            self.desk,
            teams=self.teams(),
            sla=self.sla,
            followups=self.follow_up,
            kb=self.kb,
            triage=self.triage,
        )


def config_path(explicit: Path | None = None) -> Path:
    """Return the config file to read: the one given, else HELPDESK_CONFIG, else config.yaml."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_PATH)


def load_config(path: Path, environ: dict[str, str] | None = None) -> Config:
    """Read, validate and return the configuration.

    Raises:
        ConfigError: the file cannot be read or parsed, or a key is unknown, missing or invalid;
            the message names the file, the key and the problem.
    """
    environ = dict(os.environ) if environ is None else environ
    raw = _read_yaml(path)
    database_url = environ.get(DATABASE_ENV)
    if database_url:
        raw.setdefault("database", {})
        if not isinstance(raw["database"], dict):
            raise ConfigError(f"{path}: key 'database' must be a mapping")
        raw["database"]["url"] = database_url
    try:
        return Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe(path, error)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; copy config.yaml from the project") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {problem}{where}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return raw


def _describe(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: {error.error_count()} problem(s)"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        # Checks across sections name their keys in the message itself.
        lines.append(f"  key '{key}': {message}" if key else f"  {message}")
    return "\n".join(lines)
