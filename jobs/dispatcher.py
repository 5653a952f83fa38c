"""Sends due outbox messages within each platform's rate limits, retries them and gives up."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from desk.clock import Clock
from desk.errors import HelpdeskError
from storage.database import unit_of_work
from storage.models import OutboxMessage
from storage.outbox import CONSOLE_CHANNEL, OutboxQueue

logger = logging.getLogger(__name__)

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Refills are float arithmetic: a bucket this close to a whole token has one.
_EPSILON = 1e-9
# Beyond this many doublings every base delay is past any sensible cap.
_MAX_DOUBLINGS = 32


class DeliveryError(HelpdeskError):
    """A sender could not deliver a message."""


class RateLimited(DeliveryError):
    """The platform refused a message for going too fast (HTTP 429) and said when to retry."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Rate limited by the platform; retry after {retry_after:g} s.")
        self.retry_after = max(0.0, retry_after)


class TemporaryFailure(DeliveryError):
    """The message may go through later: a network error or a 5xx answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(DeliveryError):
    """The message can never be delivered as it is, such as to a chat that does not exist."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    """Renders and delivers outbox messages on one channel; the bot adapters provide them."""

    channel: str

    async def send(self, message: OutboxMessage) -> None:
        """Deliver one message, or raise RateLimited, TemporaryFailure or PermanentFailure."""
        ...


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelLimits(_Settings):
    """How fast one platform accepts messages; a limit left empty is no limit of that kind.

    Each bucket holds a single token, so messages are spaced evenly and no window of the
    platform's own length ever sees more than its limit, however the platform counts.
    """

    overall_per_second: float | None = Field(
        default=None, gt=0, description="Messages per second across every address of the channel."
    )
    per_address_per_second: float | None = Field(
        default=None, gt=0, description="Messages per second to any one address (chat, channel)."
    )
    group_per_minute: float | None = Field(
        default=None,
        gt=0,
        description="Messages per minute to any one group chat, on top of the per-address limit.",
    )
    group_prefix: str | None = Field(
        default=None,
        min_length=1,
        description="How a group chat's address starts (Telegram group ids start with '-').",
    )

    def is_group(self, address: str) -> bool:
        """Tell whether an address is a group chat."""
        return self.group_prefix is not None and address.startswith(self.group_prefix)


_UNLIMITED = ChannelLimits()


class RateLimits(_Settings):
    """Send limits per channel; the defaults are the limits the platforms publish."""

    slack: ChannelLimits = Field(
        default_factory=lambda: ChannelLimits(per_address_per_second=1.0),
        description="Slack's chat.postMessage: one message per second per channel.",
    )
    telegram: ChannelLimits = Field(
        default_factory=lambda: ChannelLimits(
            overall_per_second=30.0,
            per_address_per_second=1.0,
            group_per_minute=20.0,
            group_prefix="-",
        ),
        description="Telegram's Bot API: 30 per second overall, 1 per second per chat and "
        "20 per minute per group chat.",
    )
    email: ChannelLimits = Field(
        default_factory=ChannelLimits,
        description="E-mail: no limit unless the mail server asks for one.",
    )

    def for_channel(self, channel: str) -> ChannelLimits:
        """Return a channel's limits; a channel not listed here has none."""
        known = {"slack": self.slack, "telegram": self.telegram, "email": self.email}
        return known.get(channel, _UNLIMITED)


class DispatchSettings(_Settings):
    """How the dispatcher batches, leases, retries and waits."""

    batch_size: int = Field(default=50, ge=1, description="Rows claimed per round.")
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a claimed row stays this dispatcher's before another may take it "
        "over; a send starts only in the lease's first half and is cut off after half a lease.",
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries a message gets; a temporary failure on the last one is final. "
        "A try the platform refused with a 429 counts; a row given back untried does not.",
    )
    backoff_base_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Wait after the first temporary failure; doubles after each.",
    )
    backoff_cap_seconds: float = Field(
        default=300.0, gt=0, description="The longest wait between two attempts."
    )
    idle_poll_seconds: float = Field(
        default=1.0, gt=0, description="Pause between rounds when nothing was due."
    )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def backoff(self, attempts: int, jitter: float) -> float:
        """Seconds to wait after the n-th attempt failed; ``jitter`` in [0, 1] spreads retries.

        The ceiling doubles from the base up to the cap and the wait falls in its upper half,
        so retries never come sooner than half the ceiling yet do not all arrive together.
        """
        doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2.0**doublings)
        return ceiling / 2 + ceiling / 2 * min(max(jitter, 0.0), 1.0)


class TokenBucket:
    """Tokens refill at ``rate`` per second up to ``capacity``; every message takes one."""

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError(
                f"a bucket needs a positive rate and room for one token: {rate=}, {capacity=}"
            )
        self.rate = rate
        self.capacity = capacity
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = capacity
        self._updated = monotonic()

    def delay(self) -> float:
        """Seconds until a token is there; 0 when there is one now."""
        self._refill()
        missing = 1.0 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate

    def consume(self) -> None:
        """Take the token that ``delay()`` found."""
        self._refill()
        self._tokens = max(0.0, self._tokens - 1.0)

    async def take(self) -> None:
        """Wait until a token is there, then take it."""
        while (wait := self.delay()) > 0:
            await self._sleep(wait)

        self.consume()

    @property
    def idle(self) -> bool:
        """Whether the bucket is full again, so forgetting it changes nothing."""
        self._refill()
        return self._tokens >= self.capacity - _EPSILON

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


@dataclass
class DispatchReport:
    """What one round did; ``deferred`` rows were given back untried, to wait for a limit."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    failed: int = 0
    deferred: int = 0


_Address = tuple[str, str]
_Outcome = Callable[[OutboxQueue], None]


class _OutcomeWriter:
    """Records outcomes in the background while sending goes on, in one transaction a turn.

    An outcome waits only for the transaction before it, so each is written about as soon as
    it is known (a crash then resends little), yet outcomes that pile up while the database
    is busy share a commit instead of queueing for one each.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._waiting: list[_Outcome] = []
        self._writing: asyncio.Task[None] | None = None
        self._errors: list[Exception] = []

    def add(self, outcome: _Outcome) -> None:
        self._waiting.append(outcome)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())

    async def flush(self) -> None:
        """Wait until every outcome added so far is written; raise the first failed write."""
        while self._writing is not None and not self._writing.done():
            await self._writing
        if self._errors:
            raise self._errors[0]

    async def _write(self) -> None:
        while self._waiting:
            outcomes, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._commit, outcomes)
            except Exception as error:
                # Those rows stay leased and go out again once the lease expires.
                self._errors.append(error)

    def _commit(self, outcomes: list[_Outcome]) -> None:
        with unit_of_work(self._engine) as session:
            queue = OutboxQueue(session)
            for outcome in outcomes:
                outcome(queue)


class Dispatcher:
    """Claims due outbox rows, sends them through the channels' senders and records outcomes.

    Delivery is at least once: a row is marked sent after its send returns, so a process that
    dies in between leaves the row leased, and it is sent again once the lease expires. One
    round runs at a time; rows are sent one after another, in the order they were claimed.
    """

    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        clock: Clock,
        settings: DispatchSettings | None = None,
        limits: RateLimits | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        _check_senders(senders)
        self._engine = engine
        self._senders = dict(senders)
        self._clock = clock
        self._settings = settings or DispatchSettings()
        self._limits = limits or RateLimits()
        self._monotonic = monotonic
        self._sleep = sleep
        self._jitter = jitter
        self._overall = {
            channel: self._bucket(rate)
            for channel in self._senders
            if (rate := self._limits.for_channel(channel).overall_per_second) is not None
        }
        self._per_address: dict[_Address, tuple[TokenBucket, ...]] = {}
        self._paused_until: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Send rounds until ``stop`` is set, resting between rounds that found nothing due."""
        logger.info("Outbox dispatcher started channels=%s", ",".join(sorted(self._senders)))
        while not stop.is_set():
            report = await self._round()
            if report.claimed == 0:
                await self._rest(stop)
        logger.info("Outbox dispatcher stopped")

    async def _round(self) -> DispatchReport:
        try:
            return await self.run_once()
        except Exception:
            # A database that is briefly away must not end the dispatcher; leases cover rows.
            logger.exception("Outbox round failed; trying again after the idle poll")
            return DispatchReport()

    async def _rest(self, stop: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        napped = asyncio.ensure_future(self._sleep(self._settings.idle_poll_seconds))
        _, pending = await asyncio.wait({stopped, napped}, return_when=asyncio.FIRST_COMPLETED)

        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def run_once(self) -> DispatchReport:
        """Claim one batch for the channels that are not paused, send it, record how it went."""
        report = DispatchReport()
        channels = self._ready_channels()
        if not channels:
            return report

        rows = await asyncio.to_thread(self._claim, channels)
        report.claimed = len(rows)

        writer = _OutcomeWriter(self._engine)
        held_back: dict[_Address, datetime] = {}
        try:
            for row in rows:
                await self._dispatch(row, report, held_back, writer)
        finally:
            # Even when the round is cancelled, what was sent is written down.
            await writer.flush()

        self._forget_idle_buckets()
        return report

    def _ready_channels(self) -> list[str]:
        now = self._monotonic()
        self._paused_until = {c: t for c, t in self._paused_until.items() if t > now}
        return sorted(set(self._senders) - set(self._paused_until))

    def _claim(self, channels: list[str]) -> list[OutboxMessage]:
        with unit_of_work(self._engine) as session:
            queue = OutboxQueue(session)
            return queue.claim_due(
                channels, self._clock.now(), self._settings.batch_size, self._settings.lease
            )

    async def _dispatch(
        self,
        row: OutboxMessage,
        report: DispatchReport,
        held_back: dict[_Address, datetime],
        writer: _OutcomeWriter,
    ) -> None:
        due = self._due_later(row, held_back)
        if due is not None:
            writer.add(_released(row, due))
            report.deferred += 1
            return

        await self._take_tokens(row)
        error = await self._attempt(row)

        writer.add(self._outcome(row, error, report))

    def _due_later(
        self, row: OutboxMessage, held_back: dict[_Address, datetime]
    ) -> datetime | None:
        """Return when a row that cannot go now should be due again, or None to send it now.

        A row waiting for its own address is given back rather than waited for, so one busy
        chat does not hold up the rest of the batch; later rows to that address follow it, to
        keep each chat's messages in order.
        """
        address = _address(row)
        if address in held_back:
            return held_back[address]

        wait = max(self._pause_left(row.channel), _delay(self._address_buckets(address)))
        if wait <= 0:
            wait = _delay(self._overall_buckets(row.channel))
            if self._starts_within_lease(row, wait):
                return None

        due = self._clock.now() + timedelta(seconds=wait)
        held_back[address] = due
        return due

    def _starts_within_lease(self, row: OutboxMessage, wait: float) -> bool:
        # A send starts in the lease's first half and is cut off after half a lease, so it
        # is over before the lease expires and another dispatcher could take the row.
        latest_start = row.due_at - self._settings.lease / 2
        return self._clock.now() + timedelta(seconds=wait) <= latest_start

    async def _take_tokens(self, row: OutboxMessage) -> None:
        buckets = (*self._overall_buckets(row.channel), *self._address_buckets(_address(row)))
        while (wait := _delay(buckets)) > 0:
            await self._sleep(wait)

        for bucket in buckets:
            bucket.consume()

    async def _attempt(self, row: OutboxMessage) -> DeliveryError | None:
        sender = self._senders[row.channel]
        timeout = self._settings.lease_seconds / 2
        try:
            async with asyncio.timeout(timeout):
                await sender.send(row)
        except DeliveryError as error:
            return error
        except TimeoutError:
            return TemporaryFailure(f"no answer from {row.channel} within {timeout:g} s")
        except Exception as error:
            logger.exception("Sender failed unexpectedly id=%s channel=%s", row.id, row.channel)
            return TemporaryFailure(
                f"unexpected {type(error).__name__} in the {row.channel} sender"
            )
        return None

    def _outcome(
        self, row: OutboxMessage, error: DeliveryError | None, report: DispatchReport
    ) -> _Outcome:
        now = self._clock.now()
        if error is None:
            report.sent += 1
            return _sent(row, now)
        if isinstance(error, RateLimited):
            report.rate_limited += 1
            return self._rate_limited(row, error, now)
        if isinstance(error, PermanentFailure) or row.attempts >= self._settings.max_attempts:
            report.failed += 1
            return self._given_up(row, error, now)
        report.retried += 1
        return self._retried(row, error, now)

    def _rate_limited(self, row: OutboxMessage, error: RateLimited, now: datetime) -> _Outcome:
        resume = self._monotonic() + error.retry_after
        self._paused_until[row.channel] = max(self._paused_until.get(row.channel, 0.0), resume)
        logger.warning(
            "Rate limited; pausing channel=%s for %.1f s id=%s",
            row.channel,
            error.retry_after,
            row.id,
        )

        return _retried_at(row, now + timedelta(seconds=error.retry_after), str(error))

    def _retried(self, row: OutboxMessage, error: DeliveryError, now: datetime) -> _Outcome:
        delay = self._settings.backoff(row.attempts, self._jitter())
        logger.warning(
            "Delivery failed; retrying id=%s channel=%s attempt=%s in %.1f s reason=%s",
            row.id,
            row.channel,
            row.attempts,
            delay,
            error,
        )

        return _retried_at(row, now + timedelta(seconds=delay), str(error))

    def _given_up(self, row: OutboxMessage, error: DeliveryError, now: datetime) -> _Outcome:
        logger.error(
            "Delivery failed for good id=%s channel=%s template=%s attempts=%s reason=%s",
            row.id,
            row.channel,
            row.template,
            row.attempts,
            error,
        )

        return _failed(row, now, str(error))

    def _pause_left(self, channel: str) -> float:
        return max(0.0, self._paused_until.get(channel, 0.0) - self._monotonic())

    def _overall_buckets(self, channel: str) -> tuple[TokenBucket, ...]:
        bucket = self._overall.get(channel)
        return () if bucket is None else (bucket,)

    def _address_buckets(self, address: _Address) -> tuple[TokenBucket, ...]:
        if address not in self._per_address:
            self._per_address[address] = self._new_address_buckets(*address)
        return self._per_address[address]

    def _new_address_buckets(self, channel: str, address: str) -> tuple[TokenBucket, ...]:
        limits = self._limits.for_channel(channel)
        rates = [limits.per_address_per_second]
        if limits.group_per_minute is not None and limits.is_group(address):
            rates.append(limits.group_per_minute / 60)
        return tuple(self._bucket(rate) for rate in rates if rate is not None)

    def _bucket(self, rate: float) -> TokenBucket:
        return TokenBucket(rate, monotonic=self._monotonic, sleep=self._sleep)

    def _forget_idle_buckets(self) -> None:
        # Only addresses still waiting for a token need their buckets kept between rounds.
        self._per_address = {
            address: buckets
            for address, buckets in self._per_address.items()
            if not all(bucket.idle for bucket in buckets)
        }


def _sent(row: OutboxMessage, now: datetime) -> _Outcome:
    def record(queue: OutboxQueue) -> None:
        queue.mark_sent(_id(row), now)

    return record


def _retried_at(row: OutboxMessage, due: datetime, error: str) -> _Outcome:
    def record(queue: OutboxQueue) -> None:
        kept = queue.retry_later(_id(row), due, error, attempt=row.attempts)
        _note_lost_lease(row, kept)

    return record


def _released(row: OutboxMessage, due: datetime) -> _Outcome:
    def record(queue: OutboxQueue) -> None:
        kept = queue.release(_id(row), due, attempt=row.attempts)
        _note_lost_lease(row, kept)

    return record


def _failed(row: OutboxMessage, now: datetime, error: str) -> _Outcome:
    def record(queue: OutboxQueue) -> None:
        kept = queue.mark_failed(_id(row), now, error, attempt=row.attempts)
        _note_lost_lease(row, kept)
        if kept:
            # The notices are committed with the failure, so admins hear of each one once.
            notices = queue.queue_failure_notices(row, now, error)
            logger.info("Admins told of a failed delivery id=%s notices=%s", row.id, notices)

    return record


def _check_senders(senders: Mapping[str, Sender]) -> None:
    for channel, sender in senders.items():
        if channel == CONSOLE_CHANNEL:
            raise ValueError("console messages are pulled by the console; give it no sender")
        if sender.channel != channel:
            raise ValueError(f"the sender for '{channel}' says it sends on '{sender.channel}'")


def _delay(buckets: Iterable[TokenBucket]) -> float:
    return max((bucket.delay() for bucket in buckets), default=0.0)


def _address(row: OutboxMessage) -> _Address:
    return (row.channel, row.address)


def _id(row: OutboxMessage) -> int:
    if row.id is None:
        raise ValueError(f"outbox row '{row.key}' has no id; only stored rows can be sent")
    return row.id


def _note_lost_lease(row: OutboxMessage, kept: bool) -> None:
    if not kept:
        logger.warning("Outcome dropped: the lease was taken over id=%s", row.id)
