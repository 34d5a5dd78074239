"""Failed sign-ins per key (a client IP) in a sliding window: past the limit, refuse for a while.

In memory, per process: each API worker and each `bokeh serve` process counts
its own failures, so with N processes a client may try up to N times the
limit before every process refuses it. That bounds online guessing (which
Argon2 and 256-bit tokens already make hopeless) and keeps a flood of bad
attempts from costing a password hash each; a shared limit across processes
would belong to the reverse proxy (e.g. nginx `limit_req`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Failures allowed per key within the window, and the window (seconds).
MAX_FAILURES = 10
WINDOW_S = 60.0
#: Keys remembered at most (a flood of spoofed keys cannot grow memory without bound).
MAX_KEYS = 100_000


class FailureLimiter:
    """Thread-safe counter of recent failures per key."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S, *,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS):
        if max_failures < 1 or window_s <= 0:
            raise ValueError("max_failures must be >= 1 and window_s > 0")
        self.max_failures, self.window_s, self.max_keys = max_failures, window_s, max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is not None:
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._failures[key]
                return None
        return times

    def failures(self, key: str) -> int:
        """Failures of `key` within the window."""
        with self._lock:
            times = self._recent(key, self._clock())
            return len(times) if times else 0

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it is not blocked."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(0.0, times[-self.max_failures] + self.window_s - now)

    def failure(self, key: str) -> int:
        """Count one failure of `key`; return its failures within the window."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if times is None:
                if len(self._failures) >= self.max_keys:
                    self._prune(now)
                times = self._failures[key] = deque(maxlen=self.max_failures * 2)
            times.append(now)
            return len(times)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self.max_keys:  # still full: forget the oldest
            del self._failures[next(iter(self._failures))]
