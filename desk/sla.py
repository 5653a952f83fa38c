"""Service-level clocks: due times from business calendars, pauses, warnings and breaches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from desk.calendar import BusinessCalendar, CalendarSettings
from desk.vocabulary import Priority, Status
from storage.models import Ticket, TicketView

RESPONSE = "response"
RESOLUTION = "resolution"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|hours?)\s*$", re.IGNORECASE)


def _minutes(value: object) -> object:
    """Accept 90, "90m" or "1.5h" for a duration in minutes."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"'{value}' is not a duration such as 30m or 8h")
        number = float(match.group(1))
        return number * 60 if match.group(2).lower().startswith("h") else number
    return value


Minutes = Annotated[float, BeforeValidator(_minutes), Field(gt=0)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Settings):
    """A priority's promise: first response and resolution, counted on a calendar."""

    response: Minutes
    resolution: Minutes
    calendar: str = "business"


def _default_policies() -> dict[Priority, Target]:
    return {
        Priority.P1: Target(response=15, resolution=240, calendar="always"),
        Priority.P2: Target(response=30, resolution=480),
        Priority.P3: Target(response=240, resolution=3 * 480),
        Priority.P4: Target(response=480, resolution=5 * 480),
    }


def _default_calendars() -> dict[str, CalendarSettings]:
    return {"business": CalendarSettings(), "always": CalendarSettings(always_open=True)}


class SlaSettings(_Settings):
    """Targets per priority, the calendars they count on, and who hears about trouble."""

    calendars: dict[str, CalendarSettings] = Field(default_factory=_default_calendars)
    policies: dict[Priority, Target] = Field(default_factory=_default_policies)
    # A group may count on its own calendar, whatever the priority says.
    group_calendars: dict[str, str] = Field(default_factory=dict)
    warn_at: tuple[float, ...] = (0.75,)
    first_response: Literal["claim_or_reply", "reply"] = "claim_or_reply"
    pause_on_vendor: bool = False
    management: tuple[str, ...] = ()
    management_after: Minutes = 60

    @model_validator(mode="after")
    def _consistent(self) -> SlaSettings:
        missing = [p.value for p in Priority if p not in self.policies]
        if missing:
            raise ValueError(f"sla.policies has no target for {', '.join(missing)}")
        named = [
            (f"sla.policies.{p.value}.calendar", t.calendar) for p, t in self.policies.items()
        ]
        named += [(f"sla.group_calendars.{g}", c) for g, c in self.group_calendars.items()]
        for key, calendar in named:
            if calendar not in self.calendars:
                raise ValueError(
                    f"{key} names calendar '{calendar}', which is not under calendars"
                )
        if any(not 0 < fraction < 1 for fraction in self.warn_at):
            raise ValueError("sla.warn_at fractions must lie between 0 and 1, such as 0.75")
        return self


@dataclass(frozen=True)
class Checkpoint:
    """A moment the sweep must act at: a warning, a breach or an alert to management.

    `at` is when it fires; `due` is when its target falls due, which messages name.
    """

    name: str
    target: str
    kind: Literal["warn", "breach", "management"]
    at: datetime
    due: datetime


@dataclass(frozen=True)
class Firing:
    """The checkpoints a sweep fires on a ticket, and its clock's columns afterwards."""

    due: list[Checkpoint]
    sla_fired: list[str]
    sla_check_at: datetime | None


class ServiceLevels:
    """Computes and moves a ticket's due times; knows which checkpoints are due."""

    def __init__(self, settings: SlaSettings) -> None:
        self.settings = settings
        self.calendars = {
            name: BusinessCalendar(calendar, name) for name, calendar in settings.calendars.items()
        }

    def calendar_for(self, ticket: TicketView) -> BusinessCalendar:
        name = self.settings.group_calendars.get(ticket.group_name or "")
        return self.calendars[name or self.target_for(ticket).calendar]

    def target_for(self, ticket: TicketView) -> Target:
        return self.settings.policies[Priority(ticket.priority)]

    def start(self, ticket: Ticket) -> None:
        """Set the due times of a new ticket (or of one whose priority changed)."""
        calendar = self.calendar_for(ticket)
        target = self.target_for(ticket)
        ticket.response_due_at = calendar.add(
            ticket.created_at, timedelta(minutes=target.response)
        )
        ticket.resolution_due_at = calendar.add(
            ticket.created_at, timedelta(minutes=target.resolution)
        )
        self.schedule(ticket)

    def pause(self, ticket: Ticket, now: datetime) -> None:
        """Stop the clock while the ticket waits on its requester."""
        if ticket.paused_at is None:
            ticket.paused_at = now
        ticket.sla_check_at = None

    def resume(self, ticket: Ticket, now: datetime) -> None:
        """Start the clock again; each due time moves by the business time spent paused."""
        paused_at = ticket.paused_at
        if paused_at is None:
            return
        calendar = self.calendar_for(ticket)
        ticket.response_due_at = _shift(calendar, ticket.response_due_at, paused_at, now)
        ticket.resolution_due_at = _shift(calendar, ticket.resolution_due_at, paused_at, now)
        ticket.paused_at = None
        self.schedule(ticket)

    def pauses_for(self, status: Status) -> bool:
        """Tell whether the clock stands still in this state."""
        if status is Status.WAITING_ON_USER:
            return True
        return status is Status.WAITING_ON_VENDOR and self.settings.pause_on_vendor

    def schedule(self, ticket: Ticket) -> None:
        """Point sla_check_at at the next checkpoint not yet fired, or clear it."""
        _point_at_next(ticket, list(self.checkpoints(ticket, unfired=True)))

    def fire_due(self, ticket: TicketView, now: datetime) -> Firing:
        """Return the checkpoints that have come, and the ticket's clock once they have fired.

        This is `due_now` and then `schedule` with the checkpoints computed once, which is
        what a sweep over thousands of tickets spends its time on. The ticket is left as it
        is: the sweep writes the new `sla_fired` and `sla_check_at` for its whole batch.
        """
        points = list(self.checkpoints(ticket, unfired=True))
        due = _due(points, ticket.sla_fired, now)
        fired = [*ticket.sla_fired, *(checkpoint.name for checkpoint in due)]
        return Firing(due, fired, _next_at(ticket, points, fired))

    def checkpoints(self, ticket: TicketView, *, unfired: bool = False) -> Iterator[Checkpoint]:
        """Every checkpoint of the targets still running, in no particular order.

        With `unfired`, only those not fired yet: a fired warning's moment is not worked out.
        """
        status = Status(ticket.status)
        if status in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
            return
        target = self.target_for(ticket)
        calendar = self.calendar_for(ticket)
        fired = frozenset(ticket.sla_fired if unfired else ())
        if ticket.first_response_at is None and ticket.response_due_at is not None:
            due = ticket.response_due_at
            yield from self._points(calendar, RESPONSE, due, target.response, fired)
        if ticket.resolution_due_at is not None:
            due = ticket.resolution_due_at
            yield from self._points(calendar, RESOLUTION, due, target.resolution, fired)

    def _points(
        self,
        calendar: BusinessCalendar,
        name: str,
        due: datetime,
        minutes: float,
        fired: frozenset[str],
    ) -> Iterator[Checkpoint]:
        for fraction in self.settings.warn_at:
            warning = f"{name}:warn:{round(fraction * 100)}"
            if warning not in fired:
                left = timedelta(minutes=minutes * (1 - fraction))
                yield Checkpoint(warning, name, "warn", _before(calendar, due, left), due)
        if f"{name}:breach" not in fired:
            yield Checkpoint(f"{name}:breach", name, "breach", due, due)
        if f"{name}:management" not in fired:
            after = timedelta(minutes=self.settings.management_after)
            yield Checkpoint(f"{name}:management", name, "management", due + after, due)

    def due_now(self, ticket: TicketView, now: datetime) -> list[Checkpoint]:
        """Checkpoints that have come and not yet fired, earliest first."""
        return _due(list(self.checkpoints(ticket, unfired=True)), ticket.sla_fired, now)


def _due(points: list[Checkpoint], fired: list[str], now: datetime) -> list[Checkpoint]:
    due = [point for point in points if point.at <= now and point.name not in fired]
    return sorted(due, key=lambda checkpoint: checkpoint.at)


def _point_at_next(ticket: Ticket, points: list[Checkpoint]) -> None:
    ticket.sla_check_at = _next_at(ticket, points, ticket.sla_fired)


def _next_at(ticket: TicketView, points: list[Checkpoint], fired: list[str]) -> datetime | None:
    pending = [point.at for point in points if point.name not in fired]
    return min(pending) if pending and ticket.paused_at is None else None


def _shift(
    calendar: BusinessCalendar, due: datetime | None, paused_at: datetime, now: datetime
) -> datetime | None:
    if due is None or due <= paused_at:
        return due
    return calendar.add(now, calendar.elapsed(paused_at, due))


def _before(calendar: BusinessCalendar, due: datetime, left: timedelta) -> datetime:
    """Return the moment, to the second, that leaves `left` business time before `due`."""
    if left <= timedelta(0):
        return due
    return calendar.subtract(due, left).replace(microsecond=0)
