"""Logging and progress lines for long jobs, always on stderr."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger("scoring")


def setup_logging(verbose: bool = False) -> None:
    """Configure the package logger once, writing to stderr."""
    if log.handlers:
        log.setLevel(logging.DEBUG if verbose else logging.INFO)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    """Log the start and the elapsed time of one step of a job."""
    start = time.perf_counter()
    log.info("%s ...", name)
    yield
    log.info("%s done in %.1f s", name, time.perf_counter() - start)


def progress(items: Iterable[T], total: int, desc: str, every: int = 1) -> Iterator[T]:
    """Yield `items`, logging `desc i/total` with elapsed time every `every` items."""
    start = time.perf_counter()
    for i, item in enumerate(items, 1):
        yield item
        if i % every == 0 or i == total:
            log.info("%s %d/%d (%.1f s)", desc, i, total, time.perf_counter() - start)
