"""Keeping people informed: progress pings, confirmation reminders, auto-close and polls."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from desk.calendar import BusinessCalendar, CalendarSettings
from desk.sla import Minutes
from desk.vocabulary import Priority
from storage.models import Person, Ticket, TicketView


def _default_pings() -> dict[Priority, float]:
    return {Priority.P1: 60, Priority.P2: 240, Priority.P3: 1440, Priority.P4: 2880}


class FollowUpSettings(BaseModel):
    """When requesters hear from the desk without asking, and when tickets close by themselves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A requester whose ticket had no public update for this long gets a status message, and
    # its assignee a nudge. Counted in wall-clock time; sent only in the requester's working
    # hours (the business calendar's hours, in the requester's time zone), except for P1.
    ping_after: dict[Priority, Minutes] = Field(default_factory=_default_pings)
    # Business time after a resolution before the requester is reminded to confirm it.
    confirm_reminder_after: Minutes = 480
    # Business days after a resolution before an unconfirmed ticket closes by itself.
    auto_close_after_days: int = Field(default=3, ge=1, le=60)
    # Share of closed tickets whose requester is asked how satisfied they were (0 to 1).
    poll_rate: float = Field(default=1.0, ge=0, le=1)
    # Nobody is polled more often than this.
    poll_cooldown_days: int = Field(default=14, ge=0, le=365)


class FollowUps:
    """The arithmetic of follow-ups; the sweeps decide what to send."""

    def __init__(self, settings: FollowUpSettings, business: CalendarSettings) -> None:
        self.settings = settings
        self.business = business
        self.calendar = BusinessCalendar(business, "business")
        # The business hours in each requester's time zone, made once per zone.
        self._local: dict[str, BusinessCalendar] = {}

    def next_ping(self, ticket: TicketView, now: datetime) -> datetime:
        """Return when the requester should next hear how the ticket stands."""
        return now + timedelta(minutes=self.settings.ping_after[Priority(ticket.priority)])

    def ping_window(self, requester: Person, ticket: TicketView, at: datetime) -> datetime:
        """Return `at`, or the requester's next working moment when it falls outside (not P1)."""
        if ticket.priority == Priority.P1:
            return at
        return self._local_calendar(_zone(requester.time_zone)).next_open(at)

    def _local_calendar(self, zone: str) -> BusinessCalendar:
        calendar = self._local.get(zone)
        if calendar is None:
            local = self.business.model_copy(update={"time_zone": zone})
            calendar = self._local[zone] = BusinessCalendar(local, "requester")
        return calendar

    def reminder_at(self, resolved_at: datetime) -> datetime:
        return self.calendar.add(
            resolved_at, timedelta(minutes=self.settings.confirm_reminder_after)
        )

    def close_at(self, resolved_at: datetime) -> datetime:
        """Return the end of the configured number of business days after a resolution."""
        day = self._day_length()
        return self.calendar.add(resolved_at, day * self.settings.auto_close_after_days)

    def _day_length(self) -> timedelta:
        if self.business.always_open:
            return timedelta(days=1)
        monday = datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))
        start = self.calendar.next_open(monday)
        end_of_week = self.calendar.elapsed(start, start + timedelta(days=7))
        open_days = sum(1 for offset in range(7) if self._opens_on(start + timedelta(days=offset)))
        return end_of_week / max(open_days, 1)

    def _opens_on(self, day: datetime) -> bool:
        return self.calendar.elapsed(day, day + timedelta(days=1)) > timedelta(0)

    def should_poll(self, ticket: Ticket, last_asked: datetime | None, now: datetime) -> bool:
        """Sample closed tickets at the configured rate, sparing recently polled people."""
        cooldown = timedelta(days=self.settings.poll_cooldown_days)
        if last_asked is not None and now - last_asked < cooldown:
            return False
        # A stable hash, so a retried sweep samples the same tickets.
        digest = hashlib.sha256(ticket.number.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < self.settings.poll_rate


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return "UTC"
    return name
