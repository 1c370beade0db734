"""The clock a verification run waits and keeps its deadlines by.

One seam, so that tests can skip a run's retry waits (a rate limit asking for seconds) without
sleeping through them, and see exactly which waits were asked for. The network's own timeouts
are not on it: they are the sockets', and stay real.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines)."""
        ...

    def time(self) -> float:
        """Seconds since the epoch (an HTTP date or a reset time in an answer)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait before a retry."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
