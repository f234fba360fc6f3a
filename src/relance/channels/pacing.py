"""A rate of calls per second shared by several sending threads.

A provider limits the calls an account makes per second (Mailjet answers 429 beyond it). Each
thread asks `Pace.wait()` before a call; the calls are spaced `1 / rate` seconds apart whatever
the number of threads, the first one at once. The clock and the sleep are given (time.monotonic
and time.sleep by default) so that a test can read the waits without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pace:
    """At most `rate` calls per second (0: no limit), thread-safe."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = max(0.0, float(rate))
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # the clock time of the next free slot
        self._lock = threading.Lock()
        self.calls = 0

    def wait(self) -> float:
        """Block until this call's slot comes; how long it waited (seconds)."""
        with self._lock:
            self.calls += 1
            if self.rate <= 0:
                return 0.0
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay
