"""The prediction log's background writer: a caller never waits on the database.

Why: a score must be answered even when the log's database is locked by
another process, read-only or failing. `LogWriter.put` only appends a row to
an in-memory queue (no I/O, no wait). One daemon thread per log and process
writes the queue in batches, one transaction per batch. When the database
refuses a batch the rows go back to the head of the queue and the thread
retries with backoff, so nothing is lost and the order is kept. On close (and
at process exit), or past `MAX_PENDING` queued rows, rows the database still
refuses are spilled to a JSON-lines file beside it, written atomically; the
next writer of any process ingests spill files before its own rows, exactly
once (the sink records the file's name in the same transaction as its rows).

Processes: the thread and the queue belong to the process that started them.
After a fork the child starts with an empty queue (the parent writes its own
rows) and creates its thread on its first row. Threads: `put` and `flush`
are safe from any thread.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import json
import os
import sys
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from scoring.atomic import atomic_path
from scoring.progress import log

#: Rows written per transaction at most.
BATCH_MAX = 500
#: How long the writer lets rows gather before a transaction (seconds): under load, tens of
#: rows per commit instead of one. `flush` skips the wait.
LINGER_S = 0.05
#: Queued rows beyond which a writer that cannot reach the database spills them to a file.
MAX_PENDING = 100_000
#: Retry delays after a failed write (seconds): doubled from the first to the last.
BACKOFF_S = (0.05, 2.0)
#: An idle writer thread ends after this long (a new one starts with the next row).
IDLE_EXIT_S = 30.0
#: A running writer also looks for other processes' spill files this often (seconds).
SPILL_SCAN_S = 10.0
#: How long `close` (and process exit) waits for the writer's last attempt and spill.
CLOSE_TIMEOUT_S = 10.0


class BatchSink(Protocol):
    """Where rows go: a database opened by the writer thread and written a batch at a time."""

    path: Path  # the database file; spill files are written beside it
    columns: tuple[str, ...]  # a row's field names, for the spill file's JSON objects

    def connect(self) -> Any: ...

    def write(self, conn: Any, rows: Sequence[tuple[Any, ...]]) -> None: ...

    def ingest(self, conn: Any, name: str, rows: Sequence[tuple[Any, ...]]) -> bool:
        """Write a spill file's rows unless a file of that name was ingested before."""
        ...


def spill_files(db_path: Path) -> list[Path]:
    """The spill files waiting beside `db_path`, oldest first (names start with a timestamp)."""
    db_path = Path(db_path)
    return sorted(db_path.parent.glob(f"{glob.escape(db_path.name)}.spill-*.jsonl"))


_LIVE: weakref.WeakSet[LogWriter] = weakref.WeakSet()


class LogWriter:
    """Queue rows for `sink` and write them from a background thread (see the module doc)."""

    def __init__(self, sink: BatchSink):
        self.sink = sink
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        """Fresh state for this process (at creation and in a forked child: the parent's lock
        may have been held by a thread that does not exist here, and its rows are the parent's)."""
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())  # never re-entered: the cheaper lock
        self._pending: deque[tuple[Any, ...]] = deque()
        self._accepted = 0  # rows ever put
        self._settled = 0  # rows written or spilled, in the order they were put
        self._thread: threading.Thread | None = None
        self._closing = False
        self._kick = False  # flush asked: no linger, no backoff wait
        self._failing_since: float | None = None
        self._unsaved = 0  # rows neither written nor spilled (printed in the error log instead)

    # -- callers -----------------------------------------------------------------------------
    def put(self, row: tuple[Any, ...]) -> None:
        """Queue one row; never waits on I/O."""
        if self._pid != os.getpid():
            self._reset()
        with self._cond:
            self._pending.append(row)
            self._accepted += 1
            if self._thread is None:
                self._start()
            else:
                self._cond.notify()

    def pending(self) -> int:
        """Rows put in this process and not yet written nor spilled."""
        if self._pid != os.getpid():
            return 0
        with self._cond:
            return self._accepted - self._settled

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row put before the call is written (or spilled); False on timeout."""
        if self._pid != os.getpid():
            self._reset()
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._accepted
            if self._settled >= target:
                return True
            if self._thread is None:
                self._start()
            self._kick = True
            self._cond.notify_all()
            while self._settled < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> bool:
        """Write what is queued, spilling what the database refuses; False only when some rows
        could be neither written nor spilled (they are then printed in the error log). The
        writer may be used again afterwards (a new thread starts)."""
        if self._pid != os.getpid():
            self._reset()
            return True
        with self._cond:
            thread = self._thread
            unsaved = self._unsaved
            self._closing = True
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._closing = False
            stuck = self._thread is not None  # e.g. a hung file system: spill what is still queued
            rows = list(self._pending) if stuck else []
            self._pending.clear()
        if rows:
            self._spill_or_report(rows, keep=False)
        return self._unsaved == unsaved

    # -- the writer thread --------------------------------------------------------------------
    def _start(self) -> None:
        """Start the writer thread (the condition's lock is held)."""
        _hook_process_exit()
        self._thread = threading.Thread(target=self._run, name=f"log-writer:{self.sink.path.name}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn: Any = None
        backoff = 0.0
        next_scan = 0.0  # a new writer ingests what earlier ones spilled before its own rows
        try:
            while True:
                with self._cond:
                    batch = self._next_batch()
                    if batch is None:
                        self._thread = None
                        self._cond.notify_all()
                        return
                try:
                    if conn is None:
                        conn = self.sink.connect()
                    if time.monotonic() >= next_scan:
                        self._ingest_spills(conn)
                        next_scan = time.monotonic() + SPILL_SCAN_S
                    self.sink.write(conn, batch)
                except Exception as exc:  # the database refused (locked, read-only, disk error...)
                    conn = _close_quietly(conn)
                    backoff = min(max(BACKOFF_S[0], backoff * 2), BACKOFF_S[1])
                    self._after_failure(batch, exc, backoff)
                    next_scan = 0.0  # ours or others' spills go in before the queue
                    continue
                backoff = 0.0
                with self._cond:
                    self._settled += len(batch)
                    if self._failing_since is not None:
                        log.info("prediction log %s writable again after %.1f s", self.sink.path,
                                 time.monotonic() - self._failing_since)
                        self._failing_since = None
                    self._cond.notify_all()
        finally:
            _close_quietly(conn)

    def _next_batch(self) -> list[tuple[Any, ...]] | None:
        """The next rows to write, waiting for some; None when the thread should end (idle or
        closing with nothing left). The condition's lock is held."""
        deadline = time.monotonic() + IDLE_EXIT_S
        while not self._pending:
            if self._closing:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._cond.wait(remaining) and not self._pending:
                return None
        if not (self._closing or self._kick):
            self._cond.wait_for(lambda: self._closing or self._kick or len(self._pending) >= BATCH_MAX,
                                LINGER_S)
        self._kick = False
        return [self._pending.popleft() for _ in range(min(BATCH_MAX, len(self._pending)))]

    def _after_failure(self, batch: list[tuple[Any, ...]], exc: Exception, backoff: float) -> None:
        """Put the batch back at the head; spill the queue when closing or when too much is
        queued, else wait before the next try."""
        with self._cond:
            self._pending.extendleft(reversed(batch))
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log.warning("prediction log %s unavailable (%s: %s): %d event(s) kept in memory, "
                            "retrying", self.sink.path, type(exc).__name__, exc, len(self._pending))
            closing = self._closing
            rows = list(self._pending) if closing or len(self._pending) > MAX_PENDING else []
            if rows:
                self._pending.clear()
        if rows and self._spill_or_report(rows, keep=not closing):
            return
        with self._cond:
            self._cond.wait_for(lambda: self._kick or self._closing, backoff)

    def _spill_or_report(self, rows: list[tuple[Any, ...]], keep: bool) -> bool:
        """Spill `rows` (taken from the head of the queue) to a new file beside the database.
        If even that fails, put them back when `keep`, else (closing) print them in the error
        so that an operator can restore them. True when spilled."""
        try:
            path = self._spill(rows)
        except OSError as exc:
            with self._cond:
                if keep:
                    self._pending.extendleft(reversed(rows))
                    return False
                self._settled += len(rows)
                self._unsaved += len(rows)
                self._cond.notify_all()
            lines = "\n".join(self._json_line(r) for r in rows)
            log.error("prediction log %s: %d event(s) could neither be written nor spilled (%s); "
                      "they follow as JSON lines:\n%s", self.sink.path, len(rows), exc, lines)
            return False
        log.warning("prediction log %s unavailable: %d event(s) spilled to %s (the next writer "
                    "ingests them)", self.sink.path, len(rows), path.name)
        with self._cond:
            self._settled += len(rows)
            self._cond.notify_all()
        return True

    # -- spill files --------------------------------------------------------------------------
    def _json_line(self, row: tuple[Any, ...]) -> str:
        return json.dumps(dict(zip(self.sink.columns, row, strict=True)), ensure_ascii=False)

    def _spill(self, rows: list[tuple[Any, ...]]) -> Path:
        """Write `rows` to a new JSON-lines file beside the database, atomically."""
        name = f"{self.sink.path.name}.spill-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        target = self.sink.path.with_name(name)
        with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8") as out:
            out.writelines(self._json_line(row) + "\n" for row in rows)
            out.flush()
            os.fsync(out.fileno())
        return target

    def _ingest_spills(self, conn: Any) -> None:
        """Write every waiting spill file's rows (once, whoever else tries), then delete it."""
        for path in spill_files(self.sink.path):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:  # another writer ingested it meanwhile
                continue
            try:
                optional = getattr(self.sink, "nullable", ())  # columns an older writer did not know
                rows = [tuple(event.get(c) if c in optional else event[c] for c in self.sink.columns)
                        for event in (json.loads(line) for line in text.splitlines() if line.strip())]
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                rejected = path.with_name(path.name + ".rejected")
                log.error("prediction log spill file %s is unreadable (%s): kept as %s", path, exc,
                          rejected.name)
                with contextlib.suppress(OSError):
                    path.replace(rejected)
                continue
            if self.sink.ingest(conn, path.name, rows):
                log.info("prediction log %s: %d spilled event(s) ingested from %s", self.sink.path,
                         len(rows), path.name)
            path.unlink(missing_ok=True)


def _close_quietly(conn: Any) -> None:
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the first error
            pass
    return None


_HOOKED_PID = 0


def _hook_process_exit() -> None:
    """A multiprocessing child ends with os._exit, which skips atexit: give it its own exit
    hook (once per process; its registry is emptied when such a child starts)."""
    global _HOOKED_PID
    if _HOOKED_PID == os.getpid():
        return
    _HOOKED_PID = os.getpid()
    mp = sys.modules.get("multiprocessing")
    if mp is not None and mp.parent_process() is not None:
        from multiprocessing import util

        util.Finalize(None, _close_all, exitpriority=100)


def _close_all() -> None:
    """At process exit: write (or spill) what every writer of this process still holds."""
    for writer in list(_LIVE):
        if writer._pid == os.getpid() and writer.pending():
            writer.close()


def _after_fork_in_child() -> None:
    for writer in list(_LIVE):
        writer._reset()


atexit.register(_close_all)
os.register_at_fork(after_in_child=_after_fork_in_child)
