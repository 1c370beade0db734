"""A clock for verification tests: real time, except that every wait asked of it is skipped.

Deadlines still pass as the test runs (sockets keep real time), but a retry that a rate limit
sends to sleep for seconds costs nothing, and the test reads the waits that were asked for.
"""

from __future__ import annotations

import threading
import time

#: a fixed epoch for the clock's wall time (2027-01-15), so HTTP dates in tests are exact
EPOCH = 1_800_000_000.0


class FakeClock:
    def __init__(self, epoch: float = EPOCH) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._epoch = epoch
        self._skipped = 0.0
        #: every wait asked for, in the order asked
        self.waits: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped

    def time(self) -> float:
        return self._epoch + self.monotonic() - self._started

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self._skipped += seconds
