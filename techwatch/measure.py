"""Wall time and peak memory of one stage, measured the same way for both methods.

Memory is the peak resident set size (RSS) of the process above its level at
the start of the stage, sampled by a background thread. RSS counts what
tracemalloc misses (the Rust tokenizer, BLAS buffers, memory-mapped weights
once touched) at the cost of a sampling interval of a few milliseconds.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = "/proc/self/statm"


def current_rss() -> int:
    """Resident set size of this process in bytes (Linux /proc; peak RSS elsewhere)."""
    try:
        with open(_STATM, encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Measure:
    """Filled in when the `measure` block ends."""

    seconds: float = 0.0
    peak_bytes: int = 0

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / 2**20


@contextmanager
def measure(interval: float = 0.005) -> Iterator[Measure]:
    """Time the block and sample its RSS; `peak_bytes` is the peak above the starting level."""
    result = Measure()
    start_rss = current_rss()
    peak = [start_rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], current_rss())

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], current_rss())
        result.peak_bytes = max(0, peak[0] - start_rss)
