"""The outbox dispatcher on every backend, against a fake platform, in fake time only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.clock import FixedClock
from jobs.dispatcher import (
    Dispatcher,
    DispatchReport,
    DispatchSettings,
    RateLimits,
    Sender,
    TokenBucket,
)
from storage.database import make_engine, unit_of_work
from storage.models import OutboxMessage, Person
from storage.outbox import OutboxQueue
from tests.fakes.platform import TOLERANCE, FakeSender, FakeTime

# The fake platform keeps Telegram's published limits, as the dispatcher's defaults do.
TELEGRAM = {"per_second": 30, "per_chat_per_second": 1, "group_per_minute": 20}


@pytest.fixture
def fake_time(clock: FixedClock) -> FakeTime:
    return FakeTime(clock)


@pytest.fixture
def telegram(fake_time: FakeTime) -> FakeSender:
    return FakeSender("telegram", fake_time, **TELEGRAM)


def _dispatcher(
    engine: Engine,
    clock: FixedClock,
    fake_time: FakeTime,
    *senders: Sender,
    settings: DispatchSettings | None = None,
) -> Dispatcher:
    return Dispatcher(
        engine,
        {sender.channel: sender for sender in senders},
        clock,
        settings,
        RateLimits(),
        monotonic=fake_time.monotonic,
        sleep=fake_time.sleep,
        jitter=lambda: 0.5,
    )


def _queue(
    engine: Engine, clock: FixedClock, *addresses: str, channel: str = "telegram"
) -> list[str]:
    """Queue one message per address, in order, due now; return their keys."""
    now = clock.now()
    keys = [f"{channel}:{index}:{address}" for index, address in enumerate(addresses)]
    with unit_of_work(engine) as session:
        for key, address in zip(keys, addresses, strict=True):
            session.add(
                OutboxMessage(
                    key=key,
                    channel=channel,
                    address=address,
                    template="notify/reminder",
                    payload={"context": {"number": "INC-1"}, "buttons": []},
                    due_at=now,
                    created_at=now,
                )
            )
    return keys


def _row(engine: Engine, key: str) -> OutboxMessage:
    with Session(engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def _waiting(engine: Engine) -> int:
    with Session(engine) as session:
        statement = select(OutboxMessage.id).where(
            OutboxMessage.channel != "console",
            col(OutboxMessage.status).in_(("pending", "sending")),
        )
        return len(session.exec(statement).all())


async def _drain(dispatcher: Dispatcher, engine: Engine, fake_time: FakeTime) -> DispatchReport:
    """Run rounds until nothing waits, resting a fake idle poll after empty rounds."""
    total = DispatchReport()
    for _ in range(500):
        report = await dispatcher.run_once()
        for field in ("claimed", "sent", "retried", "rate_limited", "failed", "deferred"):
            setattr(total, field, getattr(total, field) + getattr(report, field))
        if await asyncio.to_thread(_waiting, engine) == 0:
            return total
        if report.claimed == 0:
            await fake_time.sleep(1.0)
    raise AssertionError("the outbox never drained")


def _by_address(sender: FakeSender) -> Mapping[str, list[float]]:
    times: dict[str, list[float]] = {}
    for call in sender.deliveries:
        times.setdefault(call.address, []).append(call.at)
    return times


async def test_every_message_is_sent_exactly_once(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    slack = FakeSender("slack", fake_time, per_chat_per_second=1)
    telegram_keys = _queue(engine, clock, "1", "2", "1", "3", "1", "-100")
    slack_keys = _queue(engine, clock, "C1", "C2", "C1", channel="slack")
    dispatcher = _dispatcher(engine, clock, fake_time, telegram, slack)

    total = await _drain(dispatcher, engine, fake_time)

    assert [call.key for call in telegram.deliveries if call.address == "1"] == [
        telegram_keys[0],
        telegram_keys[2],
        telegram_keys[4],
    ]
    assert sorted(call.key for call in telegram.deliveries) == sorted(telegram_keys)
    assert sorted(call.key for call in slack.deliveries) == sorted(slack_keys)
    assert telegram.rate_limited + slack.rate_limited == []
    assert (total.sent, total.failed, total.retried, total.rate_limited) == (9, 0, 0, 0)
    with Session(engine) as session:
        assert OutboxQueue(session).count_by_status() == {"sent": 9}
    assert {_row(engine, key).attempts for key in telegram_keys + slack_keys} == {1}


async def test_one_busy_chat_does_not_hold_up_the_others(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    _queue(engine, clock, "busy", "busy", "busy", "2", "3")
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    first = await dispatcher.run_once()
    await _drain(dispatcher, engine, fake_time)

    times = _by_address(telegram)
    assert (first.sent, first.deferred) == (3, 2)
    assert max(times["2"] + times["3"]) < 0.1
    busy = times["busy"]
    assert len(busy) == 3
    assert min(later - earlier for earlier, later in pairwise(busy)) >= 1.0 - TOLERANCE
    assert telegram.rate_limited == []


async def test_a_group_chat_gets_twenty_messages_a_minute(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    _queue(engine, clock, *["-100"] * 4)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    await _drain(dispatcher, engine, fake_time)

    times = _by_address(telegram)["-100"]
    assert len(times) == 4
    assert min(later - earlier for earlier, later in pairwise(times)) >= 3.0 - TOLERANCE
    assert telegram.rate_limited == []


async def test_retry_after_is_honoured(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    slack = FakeSender("slack", fake_time)
    limited, *others = _queue(engine, clock, "1", "2", "3")
    _queue(engine, clock, "C1", channel="slack")
    telegram.rate_limit_next(retry_after=5)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram, slack)
    start = clock.now()

    first = await dispatcher.run_once()

    assert (first.rate_limited, first.deferred, first.sent) == (1, 2, 1)
    row = _row(engine, limited)
    assert (row.status, row.due_at, row.attempts) == ("pending", start + timedelta(seconds=5), 1)
    refused_at = telegram.rate_limited[0].at

    await _drain(dispatcher, engine, fake_time)

    assert [call.outcome for call in telegram.calls[1:]] == ["delivered"] * 3
    assert min(call.at for call in telegram.calls[1:]) >= refused_at + 5
    assert [_row(engine, key).attempts for key in [limited, *others]] == [2, 1, 1]


async def test_temporary_failures_back_off_then_succeed(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    (key,) = _queue(engine, clock, "1")
    telegram.fail("1", times=2)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    first = await dispatcher.run_once()
    after_first = _row(engine, key)
    too_soon = await dispatcher.run_once()
    await fake_time.sleep(1.5)
    second = await dispatcher.run_once()
    after_second = _row(engine, key)
    await fake_time.sleep(3.0)
    third = await dispatcher.run_once()

    # With the jitter at one half, waits are three quarters of 2 s, then of 4 s.
    assert (first.retried, too_soon.claimed, second.retried, third.sent) == (1, 0, 1, 1)
    assert after_first.due_at - after_first.created_at == timedelta(seconds=1.5)
    assert (after_first.status, after_first.last_error) == ("pending", "502 bad gateway")
    assert after_second.due_at - after_second.created_at == timedelta(seconds=4.5)
    row = _row(engine, key)
    assert (row.status, row.attempts) == ("sent", 3)
    assert [call.outcome for call in telegram.calls] == ["failed", "failed", "delivered"]


@pytest.mark.parametrize(
    ("attempts", "jitter", "expected"),
    [
        (1, 0.0, 1.0),
        (1, 1.0, 2.0),
        (2, 1.0, 4.0),
        (4, 0.5, 12.0),
        (9, 1.0, 300.0),
        (99, 0.0, 150.0),
    ],
)
def test_backoff_doubles_from_the_base_up_to_the_cap(
    attempts: int, jitter: float, expected: float
) -> None:
    assert DispatchSettings().backoff(attempts, jitter) == expected


def _people(engine: Engine, now: datetime) -> list[int]:
    """Add two admins and an agent; return the admins' ids."""
    people = [
        Person(email=f"{name}@example.com", name=name, roles=roles, created_at=now, updated_at=now)
        for name, roles in (("ada", ["admin"]), ("bob", ["agent"]), ("cy", ["lead", "admin"]))
    ]
    with unit_of_work(engine) as session:
        session.add_all(people)
    return [people[0].id or 0, people[2].id or 0]


def _notices(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.channel == "console")
            .order_by(col(OutboxMessage.id))
        )
        return list(session.exec(statement).all())


async def test_gives_up_after_max_attempts_and_tells_each_admin_once(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    admins = _people(engine, clock.now())
    (key,) = _queue(engine, clock, "1")
    telegram.fail("1", times=99)
    settings = DispatchSettings(max_attempts=3)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram, settings=settings)

    total = await _drain(dispatcher, engine, fake_time)

    row = _row(engine, key)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "502 bad gateway")
    assert (total.retried, total.failed, len(telegram.calls)) == (2, 1, 3)
    notices = _notices(engine)
    assert [(n.key, n.recipient_id) for n in notices] == [
        (f"delivery_failed:{key}:{admin}", admin) for admin in admins
    ]
    assert {n.template for n in notices} == {"notify/delivery_failed"}
    assert notices[0].payload["context"] == {
        "channel": "telegram",
        "address": "1",
        "message_template": "notify/reminder",
        "error": "502 bad gateway",
        "key": key,
    }
    assert [n.status for n in notices] == ["pending", "pending"]


async def test_a_permanent_failure_fails_at_once(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    admins = _people(engine, clock.now())
    key, other = _queue(engine, clock, "gone", "2")
    telegram.fail("gone", permanent=True)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    report = await dispatcher.run_once()

    assert (report.failed, report.sent) == (1, 1)
    row = _row(engine, key)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "chat not found")
    assert _row(engine, other).status == "sent"
    assert [n.recipient_id for n in _notices(engine)] == admins


async def test_console_rows_are_left_alone(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    (console,) = _queue(engine, clock, "alex@example.com", channel="console")
    before = _row(engine, console)
    _queue(engine, clock, "1")
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    report = await dispatcher.run_once()

    after = _row(engine, console)
    assert (report.claimed, report.sent) == (1, 1)
    assert (after.status, after.attempts, after.due_at) == ("pending", 0, before.due_at)


def test_a_console_sender_is_refused(clock: FixedClock) -> None:
    console = FakeSender("console", FakeTime())

    with pytest.raises(ValueError, match="console messages are pulled by the console"):
        Dispatcher(make_engine("sqlite://"), {"console": console}, clock)


async def test_a_claim_that_never_finished_is_sent_after_its_lease(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    (key,) = _queue(engine, clock, "1")
    with unit_of_work(engine) as session:
        # A dispatcher that claimed the row and died before it could say how the send went.
        OutboxQueue(session).claim_due(["telegram"], clock.now(), 10, timedelta(seconds=60))
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    while_leased = await dispatcher.run_once()
    await fake_time.sleep(60)
    after_lease = await dispatcher.run_once()

    assert (while_leased.claimed, after_lease.sent) == (0, 1)
    row = _row(engine, key)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [call.key for call in telegram.deliveries] == [key]


async def test_fan_out_to_200_chats_keeps_to_telegram_limits(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    keys = _queue(engine, clock, *(str(1000 + n) for n in range(200)))
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    await _drain(dispatcher, engine, fake_time)

    bound = 200 / 30
    assert abs(fake_time.now - bound) <= bound * 0.1
    assert telegram.rate_limited == []
    assert sorted(call.key for call in telegram.deliveries) == sorted(keys)


async def test_run_sends_until_stopped(
    engine: Engine, clock: FixedClock, fake_time: FakeTime, telegram: FakeSender
) -> None:
    keys = _queue(engine, clock, "1", "2", "1")
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)
    stop = asyncio.Event()

    running = asyncio.create_task(dispatcher.run(stop))
    async with asyncio.timeout(5):
        while len(telegram.deliveries) < len(keys):
            await asyncio.sleep(0)
        stop.set()
        await running

    assert sorted(call.key for call in telegram.deliveries) == sorted(keys)


async def test_a_bucket_spaces_tokens_by_its_rate() -> None:
    fake_time = FakeTime()
    bucket = TokenBucket(4.0, monotonic=fake_time.monotonic, sleep=fake_time.sleep)
    taken = []

    for _ in range(5):
        await bucket.take()
        taken.append(fake_time.now)

    assert taken == [0.0, 0.25, 0.5, 0.75, 1.0]


async def test_a_bucket_lets_a_burst_through_up_to_its_capacity() -> None:
    fake_time = FakeTime()
    bucket = TokenBucket(1.0, 3.0, monotonic=fake_time.monotonic, sleep=fake_time.sleep)

    for _ in range(4):
        await bucket.take()

    assert fake_time.now == 1.0
    assert bucket.idle is False
    await fake_time.sleep(3)
    assert bucket.idle is True


def test_limits_are_checked() -> None:
    with pytest.raises(ValidationError):
        RateLimits.model_validate({"telegram": {"overall_per_second": 0}})
    with pytest.raises(ValidationError):
        DispatchSettings.model_validate({"batch": 10})

    limits = RateLimits.model_validate({"slack": {"per_address_per_second": 2}})

    assert limits.slack.per_address_per_second == 2
    assert limits.telegram.overall_per_second == 30
    assert limits.for_channel("pager").overall_per_second is None


async def test_logs_warn_of_retries_and_never_show_a_payload(
    engine: Engine,
    clock: FixedClock,
    fake_time: FakeTime,
    telegram: FakeSender,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _people(engine, clock.now())
    _queue(engine, clock, "1", "2", "gone")
    telegram.rate_limit_next(retry_after=2)
    telegram.fail("2")
    telegram.fail("gone", permanent=True)
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)

    with caplog.at_level(logging.DEBUG):
        await _drain(dispatcher, engine, fake_time)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [message.split(";")[0] for message in warnings] == ["Rate limited", "Delivery failed"]
    assert [r for r in caplog.records if "INC-1" in r.getMessage()] == []


async def test_a_failed_round_does_not_end_the_run(
    engine: Engine,
    clock: FixedClock,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    telegram = FakeSender("telegram", fake_time, **TELEGRAM)
    (key,) = _queue(engine, clock, "1")
    dispatcher = _dispatcher(engine, clock, fake_time, telegram)
    rounds = iter([RuntimeError("database went away")])
    real_round = dispatcher.run_once

    async def flaky_round() -> DispatchReport:
        for error in rounds:
            raise error
        return await real_round()

    monkeypatch.setattr(dispatcher, "run_once", flaky_round)
    stop = asyncio.Event()

    running = asyncio.create_task(dispatcher.run(stop))
    async with asyncio.timeout(5):
        while not telegram.deliveries:
            await asyncio.sleep(0)
        stop.set()
        await running

    assert [call.key for call in telegram.deliveries] == [key]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "Outbox round failed; trying again after the idle poll"
    ]
