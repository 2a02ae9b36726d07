"""Progress of a run of teacher calls, as a line a user watching the logs can read."""

import asyncio
import time
from collections.abc import Callable

from synth_assets.teacher.budget import Spend


class Progress:
    """Counts for the whole run; `report_every` logs a line at a fixed interval."""

    def __init__(self, total: int, spent: Spend, log: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.spent = spent
        self.answered = 0
        self.failed = 0
        self.retries = 0
        self.rate_limited = 0
        self._log = log
        self._clock = clock
        self._started = clock()

    @property
    def done(self) -> int:
        return self.answered + self.failed

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def line(self) -> str:
        rate = self.done / max(self.elapsed_s, 1e-9)
        share = self.done / self.total if self.total else 1.0
        remaining = self.total - self.done
        eta = f", about {_duration(remaining / rate)} left" if rate > 0 and remaining else ""
        return (f"teacher calls: {self.done}/{self.total} done ({share:.0%}) at {rate:.1f}/s; "
                f"{self.answered} answered, {self.failed} failed, {self.retries} retries "
                f"({self.rate_limited} on 429); spent ${self.spent.cost_usd:.4f}, "
                f"{self.spent.tokens} tokens{eta}")

    def log(self) -> None:
        self._log(self.line())

    async def report_every(self, interval_s: float) -> None:
        """Log a line every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            self.log()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
