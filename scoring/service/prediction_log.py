"""SQLite log of every score served (what-if, new applicants, API score calls) and of every
look at a client's file (`view`), each with the signed-in user: the audit log.

Why SQLite: one file next to the data, readable with any tool, and safe
under several writer processes (the API's workers, dashboard sessions) in
WAL mode with one short transaction per batch. Logging never delays nor
fails a score: `append` queues the event and a background writer
(`scoring.service.log_writer`) writes it, retrying while the database is
locked, read-only or failing, and spilling to a JSON-lines file beside it
at exit if it still cannot (the next writer ingests that file first, once).
Readers (`tail`, `count`, `python main.py log`) read the database; in the
process that appended, they first wait (boundedly) for its own events.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.errors import UserError
from scoring.paths import Paths
from scoring.service.log_writer import LogWriter, spill_files

TABLE = "predictions"
#: Spill files already ingested (their name is written in the same transaction as their rows).
SPILLS_TABLE = "predictions_spills"
#: How long the background writer waits for the database lock per attempt (ms) before it
#: retries later; a request never waits for it.
BUSY_TIMEOUT_MS = 1_000
#: How long a reader waits for this process's own queued events before reading (seconds).
READ_FLUSH_S = 5.0
#: Default wait of `PredictionLog.flush` (seconds).
FLUSH_TIMEOUT_S = 30.0

_DDL = (f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    client_id INTEGER,
    model_version TEXT NOT NULL,
    probability REAL NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'refused')),
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    overrides TEXT NOT NULL DEFAULT '{{}}',
    user TEXT,
    reasons TEXT
)""", f"CREATE INDEX IF NOT EXISTS {TABLE}_client ON {TABLE}(client_id)",
    f"CREATE TABLE IF NOT EXISTS {SPILLS_TABLE} (name TEXT PRIMARY KEY, events INTEGER NOT NULL, "
    "ingested TEXT NOT NULL)")
_INSERT = (
    f"INSERT INTO {TABLE} (time, client_id, model_version, probability, decision, source, kind, overrides, user,"
    " reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
COLUMNS = ("id", "time", "client_id", "model_version", "probability", "decision", "source", "kind", "overrides",
           "user", "reasons")
#: Columns added after the first release, nullable: an older database gets them by ALTER TABLE, an
#: older spill file's events are ingested without them.
ADDED_COLUMNS = {"user": "TEXT", "reasons": "TEXT"}
#: Event kinds; a `view` records who opened a client's file (profile, explanation, recourse) with
#: the score it showed (GDPR accountability), and is not a score served.
KINDS = ("score", "what_if", "new_application", "view")


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string (millisecond precision, 'Z' suffix)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PredictionEvent:
    """One served score, or one look at a client's file. `kind` says which call produced it
    (`KINDS`); `user` is the signed-in user (None without sign-in); `reasons` the principal
    reasons the answer gave (`scoring.service.reasons.reason_records`: concept, label, points,
    sentence...), for what-ifs, new applicants and views; None for a bare cached score."""

    client_id: int | None
    model_version: str
    probability: float
    refused: bool
    source: str
    kind: str = "score"
    overrides: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=utc_now)
    user: str | None = None
    reasons: list[dict[str, Any]] | None = None

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
            None if self.user is None else str(self.user),
            None if self.reasons is None else json.dumps(self.reasons, ensure_ascii=False, default=str),
        )


def _open(path: Path, timeout_s: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit)."""
    return sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)


class _SqliteSink:
    """The writer's side of the log: the schema, a batch insert, a spill file's ingestion."""

    columns = COLUMNS[1:]
    nullable = tuple(ADDED_COLUMNS)

    def __init__(self, path: Path, busy_timeout_ms: int):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms

    def connect(self) -> sqlite3.Connection:
        """Open the database, in WAL mode (persistent in the file), with its tables."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = _open(self.path, self.busy_timeout_ms / 1000)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA journal_mode = WAL")
            for statement in _DDL:
                conn.execute(statement)
            _add_columns(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def write(self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        with _transaction(conn):
            conn.executemany(_INSERT, rows)

    def ingest(self, conn: sqlite3.Connection, name: str, rows: Sequence[tuple[Any, ...]]) -> bool:
        with _transaction(conn):
            claimed = conn.execute(f"INSERT OR IGNORE INTO {SPILLS_TABLE} (name, events, ingested) "
                                   "VALUES (?, ?, ?)", (name, len(rows), utc_now())).rowcount
            if claimed:
                conn.executemany(_INSERT, rows)
        return bool(claimed)


def _add_columns(conn: sqlite3.Connection) -> None:
    """Bring a database made by an older version up to date (columns appended, never changed)."""
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
    for name, kind in ADDED_COLUMNS.items():
        if name not in present:
            try:
                conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise
    conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE}(user)")


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise


class PredictionLog:
    """Append-only log at `path`; safe to share between threads and to use from several processes.

    `append` never blocks on the database (see the module doc); `flush` waits
    for this process's queued events, e.g. before a test or a command reads.
    """

    def __init__(self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS):
        self.path = Path(path)
        self._writer = LogWriter(_SqliteSink(self.path, busy_timeout_ms))
        self._local = threading.local()

    def append(self, event: PredictionEvent) -> None:
        """Queue one event for the background writer (a bad event raises here, at once)."""
        self._writer.put(event.row())

    def flush(self, timeout: float | None = FLUSH_TIMEOUT_S) -> bool:
        """Wait until every event appended before the call is in the database (or, if the
        database stayed unavailable past the writer's limits, in a spill file); False on timeout
        (None: no limit)."""
        return self._writer.flush(timeout)

    def pending(self) -> int:
        """Events appended in this process and not yet written."""
        return self._writer.pending()

    def spill_files(self) -> list[Path]:
        """Spill files beside the database, waiting for the next writer to ingest them."""
        return spill_files(self.path)

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (a new one after a fork: SQLite handles must not cross
        processes)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
        """Rows of a query, after this process's own events are written; None without a log."""
        if self._writer.pending():
            self._writer.flush(READ_FLUSH_S)
        if not self.path.exists():
            return None
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise

    def tail(self, n: int = 20, user: str | None = None) -> list[dict[str, Any]]:
        """The latest `n` events (of `user` only, when given), oldest first, with overrides decoded
        from JSON."""
        if n <= 0:
            return []
        where, params = ("WHERE user = ? ", (user,)) if user is not None else ("", ())
        try:
            rows = self._read(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {where}ORDER BY id DESC LIMIT ?",
                              (*params, int(n)))
        except sqlite3.OperationalError as exc:  # a database no writer of this version opened yet
            if "no such column: user" not in str(exc):
                raise
            if user is not None:
                return []
            legacy = ", ".join("NULL" if c in ADDED_COLUMNS else c for c in COLUMNS)
            rows = self._read(f"SELECT {legacy} FROM {TABLE} ORDER BY id DESC LIMIT ?", (int(n),))
        events = [dict(zip(COLUMNS, r, strict=True)) for r in reversed(rows or [])]
        for event in events:
            event["overrides"] = json.loads(event["overrides"])
        return events

    def count(self) -> int:
        rows = self._read(f"SELECT COUNT(*) FROM {TABLE}")
        return int(rows[0][0]) if rows else 0

    def close(self, timeout: float | None = None) -> bool:
        """Write (or spill) the queued events and close this thread's read connection; False
        when some events could be neither written nor spilled (they are printed in the error
        log). The log may still be used afterwards."""
        saved = self._writer.close() if timeout is None else self._writer.close(timeout)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        return saved


def format_table(events: list[dict[str, Any]]) -> str:
    """A plain fixed-width table of events for the terminal."""
    headers = ("time (UTC)", "client", "model", "probability", "decision", "source", "kind", "user", "overrides")
    rows = [
        (
            e["time"],
            "-" if e["client_id"] is None else str(e["client_id"]),
            e["model_version"],
            f"{e['probability']:.4f}",
            e["decision"],
            e["source"],
            e["kind"],
            e.get("user") or "-",
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
    """`python main.py log --tail N [--user U]`: print the latest events (of one user)."""
    if args.tail <= 0:
        raise UserError(f"--tail must be a positive number of events, got {args.tail}")
    path = paths.prediction_log
    log = PredictionLog(path)
    if not path.exists():
        print(f"no prediction log yet at {path} (scores are logged by the API and the dashboard's what-if)")
        _print_spills(log)
        return 0
    try:
        events = log.tail(args.tail, user=getattr(args, "user", None))
    except sqlite3.DatabaseError as exc:
        raise UserError(f"prediction log {path} is unreadable: {exc}") from exc
    print(format_table(events))
    of_user = f" by user {args.user!r}" if getattr(args, "user", None) else ""
    print(f"({len(events)} latest event(s){of_user} of {path})")
    _print_spills(log)
    return 0


def _print_spills(log: PredictionLog) -> None:
    waiting = log.spill_files()
    if waiting:
        print(f"({len(waiting)} spill file(s) beside {log.path.name} hold events not yet in the database: "
              "the next writer, e.g. the API or the dashboard, ingests them first)")
