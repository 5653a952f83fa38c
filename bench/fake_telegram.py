"""A fake Telegram for the fan-out benchmark: Telegram's send limits, enforced with 429s.

About 30 messages a second overall and one a second per chat, each counted over a sliding
window; a request that breaks either is answered 429 with a retry time, as Telegram does,
and every delivery is recorded so the benchmark can tell lost and duplicated messages.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections import Counter, defaultdict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jobs.dispatcher import RateLimited  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

CHANNEL = "telegram"
OVERALL_PER_SECOND = 30
PER_CHAT_PER_SECOND = 1
# Sends spaced exactly 1/rate apart may land a rounding error early; that is not a breach.
WINDOW_TOLERANCE = 1e-6


class SlidingWindow:
    """The times of the last `limit` requests a window of `length` seconds let through."""

    def __init__(self, limit: int, length: float = 1.0) -> None:
        self.limit = limit
        self.length = length
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until the window has room for one more request; 0 when it has now."""
        while self._times and self._times[0] <= now - self.length + WINDOW_TOLERANCE:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[len(self._times) - self.limit] + self.length - now

    def add(self, now: float) -> None:
        self._times.append(now)


class FakeTelegram:
    """A Telegram Bot API stand-in that keeps its limits in real time and counts everything.

    Each request is checked and counted when it reaches the platform, halfway through the
    simulated round trip; one that would break a limit is refused with a 429 whose
    retry_after is the whole seconds until the window has room, as Telegram answers.
    """

    channel = CHANNEL

    def __init__(self, latency: float, expected: int) -> None:
        self.latency = latency
        self.expected = expected
        self.requests = 0
        self.refused = 0
        self.delivered: Counter[str] = Counter()
        self.arrivals: list[float] = []
        self.all_delivered = asyncio.Event()
        self._overall = SlidingWindow(OVERALL_PER_SECOND)
        self._chats: dict[str, SlidingWindow] = defaultdict(
            lambda: SlidingWindow(PER_CHAT_PER_SECOND)
        )

    async def send(self, message: OutboxMessage) -> None:
        await asyncio.sleep(self.latency / 2)
        try:
            self._arrive(message, time.monotonic())
        finally:
            await asyncio.sleep(self.latency / 2)

    def _arrive(self, message: OutboxMessage, now: float) -> None:
        self.requests += 1
        windows = (self._overall, self._chats[message.address])
        wait = max(window.wait(now) for window in windows)
        if wait > 0:
            self.refused += 1
            raise RateLimited(float(math.ceil(wait)))
        for window in windows:
            window.add(now)
        self.delivered[message.key] += 1
        self.arrivals.append(now)
        if len(self.delivered) >= self.expected:
            self.all_delivered.set()
