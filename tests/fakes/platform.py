"""A fake chat platform that keeps Telegram-like limits, and fake time that moves when slept."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from desk.clock import FixedClock
from jobs.dispatcher import PermanentFailure, RateLimited, TemporaryFailure
from storage.models import OutboxMessage

# Deliveries spaced exactly 1/rate apart may land a rounding error early; that is not a breach.
TOLERANCE = 1e-6


class FakeTime:
    """Monotonic seconds that stand still until slept; sleeping moves the wall clock along."""

    def __init__(self, clock: FixedClock | None = None) -> None:
        self.now = 0.0
        self.clock = clock
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        self.slept += max(0.0, seconds)
        # A real sleep lets other tasks run; so does this one, without waiting.
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.now += seconds
        if self.clock is not None:
            self.clock.advance(timedelta(seconds=seconds))


@dataclass(frozen=True)
class Call:
    """One send the platform was asked for: when, to whom, which message, and what came of it."""

    at: float
    address: str
    key: str
    outcome: str


@dataclass
class _Failure:
    times: int
    permanent: bool
    reason: str


class FakeSender:
    """A sender whose platform counts messages in sliding windows, as Telegram does.

    It refuses a message that would break a limit with ``RateLimited`` and the whole seconds
    until the window has room, records every call and every delivery with the fake time, and
    can be told to fail for an address, a number of times or for good.
    """

    def __init__(
        self,
        channel: str,
        time: FakeTime,
        *,
        per_second: int | None = None,
        per_chat_per_second: int | None = None,
        group_per_minute: int | None = None,
        group_prefix: str = "-",
    ) -> None:
        self.channel = channel
        self.time = time
        self.per_second = per_second
        self.per_chat_per_second = per_chat_per_second
        self.group_per_minute = group_per_minute
        self.group_prefix = group_prefix
        self.calls: list[Call] = []
        self._failures: dict[str, _Failure] = {}
        self._forced_retry_after: list[float] = []
        self._by_address: dict[str, list[float]] = defaultdict(list)
        self._all: list[float] = []

    @property
    def deliveries(self) -> list[Call]:
        return [call for call in self.calls if call.outcome == "delivered"]

    @property
    def rate_limited(self) -> list[Call]:
        return [call for call in self.calls if call.outcome == "rate_limited"]

    def fail(
        self, address: str, times: int = 1, *, permanent: bool = False, reason: str = ""
    ) -> None:
        """Fail the next ``times`` sends to an address; a permanent failure never stops."""
        default = "chat not found" if permanent else "502 bad gateway"
        self._failures[address] = _Failure(times, permanent, reason or default)

    def rate_limit_next(self, retry_after: float) -> None:
        """Refuse the next send with a 429, whatever the windows say."""
        self._forced_retry_after.append(retry_after)

    async def send(self, message: OutboxMessage) -> None:
        address = message.address
        if self._forced_retry_after:
            self._record(message, "rate_limited")
            raise RateLimited(self._forced_retry_after.pop(0))

        failure = self._failures.get(address)
        if failure is not None and (failure.permanent or failure.times > 0):
            failure.times -= 1
            self._record(message, "failed")
            if failure.permanent:
                raise PermanentFailure(failure.reason)
            raise TemporaryFailure(failure.reason)

        retry_after = self._retry_after(address)
        if retry_after is not None:
            self._record(message, "rate_limited")
            raise RateLimited(retry_after)

        self._record(message, "delivered")
        self._all.append(self.time.now)
        self._by_address[address].append(self.time.now)

    def _retry_after(self, address: str) -> float | None:
        windows = [
            (self.per_second, 1.0, self._all),
            (self.per_chat_per_second, 1.0, self._by_address[address]),
        ]
        if address.startswith(self.group_prefix):
            windows.append((self.group_per_minute, 60.0, self._by_address[address]))

        for limit, length, times in windows:
            wait = _wait_for_room(limit, length, times, self.time.now)
            if wait is not None:
                return float(math.ceil(wait))
        return None

    def _record(self, message: OutboxMessage, outcome: str) -> None:
        self.calls.append(Call(self.time.now, message.address, message.key, outcome))


def _wait_for_room(
    limit: int | None, length: float, times: list[float], now: float
) -> float | None:
    """Return how long until a window of ``length`` seconds has room, or None if it has now."""
    if limit is None:
        return None
    recent = [at for at in times if at > now - length + TOLERANCE]
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + length - now
