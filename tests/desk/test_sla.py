"""Service-level clocks on their own: due times, pauses, checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from desk.calendar import CalendarSettings
from desk.followup import FollowUps, FollowUpSettings
from desk.sla import ServiceLevels, SlaSettings
from desk.vocabulary import Priority, Status
from storage.models import Person, Ticket

# Thursday 3 December 2026; the default business calendar is UTC, Monday to Friday 09-17.
THURSDAY = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def _ticket(
    priority: Priority, created: datetime = THURSDAY, group: str = "service-desk"
) -> Ticket:
    return Ticket(
        number="HD-1",
        requester_id=1,
        title="t",
        impact="team",
        urgency="blocked",
        priority=priority,
        status=Status.NEW,
        group_name=group,
        created_at=created,
        updated_at=created,
    )


@pytest.mark.parametrize(
    ("priority", "created", "response", "resolution"),
    [
        # P1 counts around the clock: 15 minutes and 4 hours, even at night.
        (
            Priority.P1,
            datetime(2026, 12, 5, 3, 0, tzinfo=UTC),
            "2026-12-05 03:15",
            "2026-12-05 07:00",
        ),
        # P2: 30 minutes and 8 business hours, over the evening.
        (Priority.P2, THURSDAY, "2026-12-03 14:30", "2026-12-04 14:00"),
        # P3 from Friday afternoon: 4 hours reach into Monday, 3 business days into Wednesday.
        (
            Priority.P3,
            datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
            "2026-12-07 11:00",
            "2026-12-09 15:00",
        ),
        # P4 from Saturday: counting starts on Monday at nine.
        (
            Priority.P4,
            datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
            "2026-12-07 17:00",
            "2026-12-11 17:00",
        ),
    ],
)
def test_default_targets(
    priority: Priority, created: datetime, response: str, resolution: str
) -> None:
    ticket = _ticket(priority, created)

    ServiceLevels(SlaSettings()).start(ticket)

    assert ticket.response_due_at is not None
    assert ticket.resolution_due_at is not None
    assert ticket.response_due_at.strftime("%Y-%m-%d %H:%M") == response
    assert ticket.resolution_due_at.strftime("%Y-%m-%d %H:%M") == resolution


def test_a_pause_moves_the_due_times_by_the_business_time_spent_waiting() -> None:
    levels = ServiceLevels(SlaSettings())
    ticket = _ticket(Priority.P3, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    levels.start(ticket)
    before = ticket.resolution_due_at

    levels.pause(ticket, datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    paused_check = ticket.sla_check_at
    levels.resume(ticket, datetime(2026, 12, 8, 12, 0, tzinfo=UTC))

    assert paused_check is None
    assert before == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    assert ticket.resolution_due_at == datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    assert ticket.paused_at is None
    assert ticket.sla_check_at is not None


def test_checkpoints_warn_then_breach_then_tell_management() -> None:
    levels = ServiceLevels(SlaSettings(management_after=60))
    ticket = _ticket(Priority.P2)
    levels.start(ticket)

    points = sorted((c.at, c.name) for c in levels.checkpoints(ticket))

    assert [(at.strftime("%d %H:%M:%S"), name) for at, name in points] == [
        ("03 14:22:30", "response:warn:75"),
        ("03 14:30:00", "response:breach"),
        ("03 15:30:00", "response:management"),
        ("04 12:00:00", "resolution:warn:75"),
        ("04 14:00:00", "resolution:breach"),
        ("04 15:00:00", "resolution:management"),
    ]
    assert ticket.sla_check_at == points[0][0]


def test_a_first_response_stops_the_response_clock_and_fired_points_stay_fired() -> None:
    levels = ServiceLevels(SlaSettings())
    ticket = _ticket(Priority.P2)
    levels.start(ticket)

    ticket.first_response_at = THURSDAY + timedelta(minutes=5)
    ticket.sla_fired = ["resolution:warn:75"]
    levels.schedule(ticket)

    assert ticket.sla_check_at == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    assert levels.due_now(ticket, THURSDAY + timedelta(days=2))[0].name == "resolution:breach"


@pytest.mark.parametrize("priority", list(Priority))
@pytest.mark.parametrize("responded", [False, True])
def test_fire_due_is_due_now_then_schedule(priority: Priority, responded: bool) -> None:
    levels = ServiceLevels(SlaSettings(warn_at=(0.5, 0.75), management_after=30))
    for hours in (0, 1, 5, 20, 30, 60, 200):
        ticket = _ticket(priority)
        levels.start(ticket)
        if responded:
            ticket.first_response_at = THURSDAY + timedelta(minutes=3)
        now = THURSDAY + timedelta(hours=hours)
        expected = levels.due_now(ticket, now)
        fired = [*ticket.sla_fired, *(checkpoint.name for checkpoint in expected)]

        before = (list(ticket.sla_fired), ticket.sla_check_at)
        firing = levels.fire_due(ticket, now)

        assert firing.due == expected
        assert firing.sla_fired == fired
        assert (ticket.sla_fired, ticket.sla_check_at) == before
        ticket.sla_fired = firing.sla_fired
        levels.schedule(ticket)
        assert firing.sla_check_at == ticket.sla_check_at
        assert levels.due_now(ticket, now) == []


def test_warnings_fall_on_the_second_that_leaves_their_share_of_business_time() -> None:
    levels = ServiceLevels(SlaSettings(warn_at=(0.9,)))
    # Created Friday 16:30 UTC: P3's four business hours end Monday 12:30, and its
    # warning leaves 24 minutes of them, which the weekend does not count.
    ticket = _ticket(Priority.P3, created=datetime(2026, 12, 4, 16, 30, 1, 500000, tzinfo=UTC))
    levels.start(ticket)

    warning = next(c for c in levels.checkpoints(ticket) if c.name == "response:warn:90")

    assert ticket.response_due_at == datetime(2026, 12, 7, 12, 30, 1, 500000, tzinfo=UTC)
    assert warning.at == datetime(2026, 12, 7, 12, 6, 1, tzinfo=UTC)


def test_resolved_tickets_have_no_checkpoints() -> None:
    levels = ServiceLevels(SlaSettings())
    ticket = _ticket(Priority.P2)
    levels.start(ticket)
    ticket.status = Status.RESOLVED

    levels.schedule(ticket)

    assert ticket.sla_check_at is None


def test_a_group_may_count_on_its_own_calendar() -> None:
    berlin = CalendarSettings(time_zone="Europe/Berlin")
    settings = SlaSettings(
        calendars={**SlaSettings().calendars, "berlin": berlin},
        group_calendars={"network": "berlin"},
    )
    ticket = _ticket(Priority.P2, group="network")

    ServiceLevels(settings).start(ticket)

    # 14:00 UTC is 15:00 in Berlin; 8 business hours end at 15:00 Berlin the next day.
    assert ticket.resolution_due_at == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"policies": {"P1": {"response": "15m", "resolution": "4h"}}},
            "no target for P2, P3, P4",
        ),
        ({"group_calendars": {"network": "moon"}}, "names calendar 'moon'"),
        ({"warn_at": [1.5]}, "between 0 and 1"),
        ({"management_after": "soon"}, "'soon' is not a duration"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaSettings.model_validate(settings)


def test_durations_read_minutes_and_hours() -> None:
    settings = SlaSettings.model_validate(
        {"policies": {p.value: {"response": "90m", "resolution": "1.5h"} for p in Priority}}
    )

    assert (
        settings.policies[Priority.P1].response,
        settings.policies[Priority.P1].resolution,
    ) == (90, 90)


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0), (1.0, 200)])
def test_poll_sampling_takes_the_configured_share(rate: float, expected: int) -> None:
    followups = FollowUps(FollowUpSettings(poll_rate=rate), CalendarSettings())
    tickets = [_ticket(Priority.P3) for _ in range(200)]
    for index, ticket in enumerate(tickets):
        ticket.number = f"HD-{index}"

    polled = sum(followups.should_poll(ticket, None, THURSDAY) for ticket in tickets)

    assert polled == expected


def test_poll_sampling_of_a_half_is_near_a_half_and_stable() -> None:
    followups = FollowUps(FollowUpSettings(poll_rate=0.5), CalendarSettings())
    tickets = [_ticket(Priority.P3) for _ in range(1000)]
    for index, ticket in enumerate(tickets):
        ticket.number = f"HD-{index}"

    first = [followups.should_poll(ticket, None, THURSDAY) for ticket in tickets]
    second = [followups.should_poll(ticket, None, THURSDAY) for ticket in tickets]

    assert first == second
    assert 450 < sum(first) < 550


def test_p1_pings_ignore_the_requesters_working_hours() -> None:
    followups = FollowUps(FollowUpSettings(), CalendarSettings())
    requester = Person(
        email="a@example.com",
        name="A",
        time_zone="Europe/Berlin",
        created_at=THURSDAY,
        updated_at=THURSDAY,
    )
    midnight = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)

    assert followups.ping_window(requester, _ticket(Priority.P1), midnight) == midnight
    assert followups.ping_window(requester, _ticket(Priority.P2), midnight) == datetime(
        2026, 12, 7, 8, 0, tzinfo=UTC
    )


def test_pings_wait_for_each_requesters_own_working_hours() -> None:
    followups = FollowUps(FollowUpSettings(), CalendarSettings())
    zones = ["Europe/Berlin", "America/New_York", "Europe/Berlin", "Mars/Olympus_Mons"]
    requesters = [
        Person(
            email="a@example.com",
            name="A",
            time_zone=zone,
            created_at=THURSDAY,
            updated_at=THURSDAY,
        )
        for zone in zones
    ]
    evening = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)

    moments = [followups.ping_window(r, _ticket(Priority.P3), evening) for r in requesters]

    assert moments == [
        datetime(2026, 12, 4, 8, 0, tzinfo=UTC),
        evening,
        datetime(2026, 12, 4, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    ]
