"""SQLite log of every score served (what-if, new applicants, API score calls).

Why SQLite: one file next to the data, readable with any tool, and safe
under several writer processes (the API's workers, dashboard sessions) when
used in WAL mode with a busy timeout and one short transaction per insert.
Each thread (and each process, after a fork) gets its own connection.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.errors import UserError
from scoring.paths import Paths

TABLE = "predictions"
#: How long a writer waits for the lock before giving up (ms); inserts take well under 1 ms.
BUSY_TIMEOUT_MS = 10_000

_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    client_id INTEGER,
    model_version TEXT NOT NULL,
    probability REAL NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'refused')),
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    overrides TEXT NOT NULL DEFAULT '{{}}'
)
"""
_INSERT = (
    f"INSERT INTO {TABLE} (time, client_id, model_version, probability, decision, source, kind, overrides)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
COLUMNS = ("id", "time", "client_id", "model_version", "probability", "decision", "source", "kind", "overrides")


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string (millisecond precision, 'Z' suffix)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PredictionEvent:
    """One served score. `kind` says which call produced it: score, what_if or new_application."""

    client_id: int | None
    model_version: str
    probability: float
    refused: bool
    source: str
    kind: str = "score"
    overrides: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=utc_now)

    def row(self) -> tuple[Any, ...]:
        if not math.isfinite(self.probability):
            raise ValueError(f"probability must be finite, got {self.probability!r}")
        return (
            self.time,
            None if self.client_id is None else int(self.client_id),
            str(self.model_version),
            float(self.probability),
            "refused" if self.refused else "accepted",
            str(self.source),
            str(self.kind),
            json.dumps(self.overrides, sort_keys=True, ensure_ascii=False, default=str),
        )


def _initialise(conn: sqlite3.Connection) -> None:
    """WAL mode (persistent in the file) and the table, once per process.

    Switching the journal mode needs an exclusive lock and SQLite does not always
    wait for it through the busy handler, so a writer in another process can make
    it fail at once with "database is locked": retry until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_DDL)
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_client ON {TABLE}(client_id)")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class PredictionLog:
    """Append-only log at `path`; safe to share between threads and to use from several processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: SQLite handles must not cross processes)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=True)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        with self._schema_lock:
            if not self._schema_ready:
                _initialise(conn)
                self._schema_ready = True
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def append(self, event: PredictionEvent) -> int:
        """Insert one event in its own short transaction; returns its row id."""
        row = event.row()
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(_INSERT, row)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(cursor.lastrowid)

    def tail(self, n: int = 20) -> list[dict[str, Any]]:
        """The latest `n` events, oldest first, with overrides decoded from JSON."""
        if n <= 0 or not self.path.exists():
            return []
        conn = self._connect()
        rows = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id DESC LIMIT ?", (int(n),)
        ).fetchall()
        events = [dict(zip(COLUMNS, r, strict=True)) for r in reversed(rows)]
        for event in events:
            event["overrides"] = json.loads(event["overrides"])
        return events

    def count(self) -> int:
        if not self.path.exists():
            return 0
        return int(self._connect().execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0])

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def format_table(events: list[dict[str, Any]]) -> str:
    """A plain fixed-width table of events for the terminal."""
    headers = ("time (UTC)", "client", "model", "probability", "decision", "source", "kind", "overrides")
    rows = [
        (
            e["time"],
            "-" if e["client_id"] is None else str(e["client_id"]),
            e["model_version"],
            f"{e['probability']:.4f}",
            e["decision"],
            e["source"],
            e["kind"],
            ", ".join(f"{k}={v}" for k, v in e["overrides"].items()) or "-",
        )
        for e in events
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def cli_log(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py log --tail N`: print the latest served scores."""
    if args.tail <= 0:
        raise UserError(f"--tail must be a positive number of events, got {args.tail}")
    path = paths.prediction_log
    if not path.exists():
        print(f"no prediction log yet at {path} (scores are logged by the API and the dashboard's what-if)")
        return 0
    try:
        events = PredictionLog(path).tail(args.tail)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"prediction log {path} is unreadable: {exc}") from exc
    print(format_table(events))
    print(f"({len(events)} latest event(s) of {path})")
    return 0
