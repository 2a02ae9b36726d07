"""Limits on how hard one teacher is driven: calls in flight (adaptive on 429) and
requests/tokens per minute."""

import asyncio
import time
from collections.abc import Callable

MIN_SUCCESSES_BEFORE_RAISE = 4


class AdaptiveConcurrency:
    """At most `limit` calls in flight, starting at `maximum`.

    A 429 halves the limit (once per round: only calls started after the last decrease can
    lower it again, so a burst of 429s from one round counts once) and holds back new calls
    until the server's Retry-After has passed. After `limit` successes in a row (at least
    MIN_SUCCESSES_BEFORE_RAISE) the limit grows by one, back up to `maximum`.
    """

    def __init__(self, maximum: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.in_flight = 0
        self._clock = clock
        self._successes_in_a_row = 0
        self._paused_until = 0.0
        self._last_decrease = float("-inf")
        self._changed = asyncio.Condition()

    async def acquire(self) -> float:
        """Wait for a free slot; returns the start time to pass to on_rate_limited."""
        async with self._changed:
            while True:
                pause = self._paused_until - self._clock()
                if pause > 0:
                    try:
                        await asyncio.wait_for(self._changed.wait(), pause)
                    except TimeoutError:
                        pass
                elif self.in_flight < self.limit:
                    break
                else:
                    await self._changed.wait()
            self.in_flight += 1
            return self._clock()

    async def release(self) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify()

    def on_success(self) -> None:
        self._successes_in_a_row += 1
        if (self.limit < self.maximum
                and self._successes_in_a_row >= max(self.limit, MIN_SUCCESSES_BEFORE_RAISE)):
            self.limit += 1
            self._successes_in_a_row = 0

    def on_rate_limited(self, started_at: float, pause_s: float) -> None:
        """A call started at `started_at` got a 429; hold new calls back for `pause_s`."""
        self._successes_in_a_row = 0
        now = self._clock()
        self._paused_until = max(self._paused_until, now + pause_s)
        if started_at >= self._last_decrease:
            self.limit = max(1, self.limit // 2)
            self._last_decrease = now


class TokenBucket:
    """`per_minute` units per minute, refilled continuously. It bursts at most one second's
    worth, because providers enforce per-minute limits over shorter windows too. A take larger
    than the burst waits for a full bucket and leaves it in debt, so the average rate holds."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = per_minute / 60.0
        self.capacity = max(self.rate_per_s, 1.0)
        self.level = self.capacity
        self._clock = clock
        self._updated = clock()
        self._queue = asyncio.Lock()  # first come, first served: big takes are not starved

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._updated) * self.rate_per_s)
        self._updated = now

    async def take(self, amount: float) -> None:
        async with self._queue:
            while True:
                self._refill()
                needed = min(amount, self.capacity)
                if self.level >= needed:
                    self.level -= amount
                    return
                await asyncio.sleep((needed - self.level) / self.rate_per_s)

    def adjust(self, overestimate: float) -> None:
        """Give back what a take over-reserved (or, when negative, take the shortfall)."""
        self._refill()
        self.level = min(self.capacity, self.level + overestimate)
