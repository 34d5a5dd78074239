"""The prediction log keeps every event, in order, under concurrent writers, and never makes a
caller wait on its database: a locked, read-only or unopenable database delays the writes, not the
appends, and loses nothing (events are retried, spilled at exit and ingested once)."""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest

from scoring.errors import UserError
from scoring.paths import Paths
from scoring.service import prediction_log
from scoring.service.prediction_log import PredictionEvent, PredictionLog, cli_log


def _event(i: int, source: str = "test", **kw) -> PredictionEvent:
    return PredictionEvent(client_id=100000 + i, model_version="v-test", probability=i / 1000,
                           refused=i % 2 == 0, source=source, **kw)


def test_append_and_tail_round_trip(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "sub" / "log.sqlite")
    assert log.tail(5) == []
    log.append(_event(1, kind="what_if", overrides={"AMT_CREDIT": 250000.0, "NAME_HOUSING_TYPE": "With parents"}))
    log.append(PredictionEvent(None, "v-test", 0.5, True, "api", kind="new_application"))
    events = log.tail(10)
    assert [e["client_id"] for e in events] == [100001, None]
    first, second = events
    assert first["overrides"] == {"AMT_CREDIT": 250000.0, "NAME_HOUSING_TYPE": "With parents"}
    assert first["decision"] == "accepted" and second["decision"] == "refused"
    assert first["kind"] == "what_if" and second["source"] == "api"
    assert first["probability"] == pytest.approx(0.001)
    parsed = datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert parsed.utcoffset().total_seconds() == 0


def test_tail_returns_latest_oldest_first(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log.sqlite")
    for i in range(10):
        log.append(_event(i))
    assert [e["client_id"] - 100000 for e in log.tail(3)] == [7, 8, 9]
    assert log.count() == 10


def test_wal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = PredictionLog(path)
    log.append(_event(1))
    assert log.flush(30)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"


def test_rejects_non_finite_probability(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log.sqlite")
    with pytest.raises(ValueError, match="finite"):
        log.append(PredictionEvent(1, "v", float("nan"), False, "test"))
    assert log.count() == 0


def test_threads_share_one_log_without_losses(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log.sqlite")

    def write(t: int) -> None:
        for i in range(50):
            log.append(_event(t * 1000 + i, source=f"thread{t}"))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    events = log.tail(1000)
    assert len(events) == 200
    assert len({e["client_id"] for e in events}) == 200


def _writer(path: str, worker: int, n: int, start) -> None:
    log = PredictionLog(Path(path))
    start.wait(60)  # all writers begin together, so they really contend for the lock
    for i in range(n):
        log.append(_event(worker * 1000 + i, source=f"proc{worker}"))


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(path), w, 50, start)) for w in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    events = PredictionLog(path).tail(1000)
    assert len(events) == 200
    for w in range(4):
        mine = [e["client_id"] - 100000 for e in events if e["source"] == f"proc{w}"]
        assert mine == [w * 1000 + i for i in range(50)]  # each writer's events in its order


def test_cli_log_prints_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert cli_log(argparse.Namespace(tail=5), paths) == 0
    assert "no prediction log yet" in capsys.readouterr().out
    log = PredictionLog(paths.prediction_log)
    for i in range(8):
        log.append(_event(i, overrides={"AMT_ANNUITY": i} if i == 7 else {}))
    assert log.flush(30)  # another reader: it sees what this process's writer has written
    assert cli_log(argparse.Namespace(tail=3), paths) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["time", "(UTC)"]
    body = lines[2:-1]
    assert len(body) == 3
    assert [line.split()[1] for line in body] == ["100005", "100006", "100007"]
    assert "AMT_ANNUITY=7" in body[-1]
    with pytest.raises(UserError, match="--tail"):
        cli_log(argparse.Namespace(tail=0), paths)


def test_cli_log_reports_a_corrupted_file(tmp_path: Path) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    paths.prediction_log.parent.mkdir(parents=True)
    paths.prediction_log.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="unreadable"):
        cli_log(argparse.Namespace(tail=3), paths)


# --------------------------------------------------------------------------- unavailable database


def _ids(path: Path) -> list[int]:
    """Client ids in the database, in insertion order (read by another connection)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [r[0] - 100000 for r in conn.execute("SELECT client_id FROM predictions ORDER BY id")]


def _ready(path: Path) -> PredictionLog:
    """A log whose database exists (WAL mode, tables) with one event, 0."""
    log = PredictionLog(path)
    log.append(_event(0))
    assert log.flush(30)
    return log


def test_a_held_lock_delays_the_writes_not_the_appends(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = _ready(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for i in range(1, 51):
            log.append(_event(i))  # returns at once: the lock is still held below
        assert log.pending() == 50
        assert not log.flush(0.3)  # the writer cannot write while the lock is held ...
        assert _ids(path) == [0]  # ... and readers still read (WAL)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert log.flush(30)
    assert log.pending() == 0
    assert _ids(path) == list(range(51))  # every event, in order, once


def test_a_read_only_database_keeps_the_events_until_it_is_writable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.sqlite"
    log = _ready(path)
    log.close()  # the next write opens a new connection: read-only below
    real_open = prediction_log._open
    monkeypatch.setattr(prediction_log, "_open", lambda p, timeout: sqlite3.connect(
        f"file:{p}?mode=ro", uri=True, timeout=timeout, isolation_level=None, check_same_thread=False))
    for i in range(1, 21):
        log.append(_event(i))
    assert not log.flush(0.5)
    assert log.pending() == 20 and _ids(path) == [0]
    monkeypatch.setattr(prediction_log, "_open", real_open)
    assert log.flush(30)
    assert _ids(path) == list(range(21))


def test_an_unopenable_database_keeps_the_events(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    path.mkdir()  # SQLite cannot open a folder: "unable to open database file"
    log = PredictionLog(path)
    for i in range(5):
        log.append(_event(i))
    assert not log.flush(0.3)
    path.rmdir()
    assert log.flush(30)
    assert _ids(path) == list(range(5))


def test_close_spills_what_the_database_refuses_and_the_next_writer_ingests_it_once(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    path.mkdir()
    log = PredictionLog(path)
    for i in range(5):
        log.append(_event(i, overrides={"AMT_CREDIT": 1000.0 * i}))
    assert log.close(30)  # cannot write: spilled
    assert log.pending() == 0
    (spill,) = log.spill_files()
    assert spill.parent == tmp_path
    assert [json.loads(line)["client_id"] - 100000 for line in spill.read_text().splitlines()] == list(range(5))
    saved = spill.read_bytes()
    path.rmdir()
    # the next writer (here another instance) writes the spilled events before its own, then deletes the file
    other = PredictionLog(path)
    other.append(_event(5))
    assert other.flush(30)
    assert _ids(path) == list(range(6))
    assert other.tail(6)[1]["overrides"] == {"AMT_CREDIT": 1000.0}
    assert other.spill_files() == []
    # a writer that crashed after committing the file's rows but before deleting it: no duplicates
    spill.write_bytes(saved)
    third = PredictionLog(path)
    third.append(_event(6))
    assert third.flush(30)
    assert _ids(path) == list(range(7))
    assert third.spill_files() == []


def test_two_writers_ingest_a_spill_file_once(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    _ready(path)
    path.rename(tmp_path / "moved.sqlite")
    path.mkdir()
    spilling = PredictionLog(path)
    for i in range(1, 11):
        spilling.append(_event(i))
    spilling.close(30)
    path.rmdir()
    (tmp_path / "moved.sqlite").rename(path)
    writers = [PredictionLog(path) for _ in range(4)]
    for w, writer in enumerate(writers):
        writer.append(_event(100 + w))
    assert all(writer.flush(30) for writer in writers)
    ids = _ids(path)
    assert sorted(ids) == [0, *range(1, 11), 100, 101, 102, 103]
    assert ids[1:11] == list(range(1, 11))  # the spilled events, in their order


def test_an_unreadable_spill_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    bad = tmp_path / "log.sqlite.spill-00000000000000000001-1-deadbeef.jsonl"
    bad.write_text('{"time": "2024-01-01T00:00:00.000Z"}\n', encoding="utf-8")
    log = PredictionLog(path)
    log.append(_event(1))
    assert log.flush(30)
    assert _ids(path) == [1]
    assert not bad.exists() and bad.with_name(bad.name + ".rejected").is_file()


def _append_and_exit(path: str, n: int) -> None:
    log = PredictionLog(Path(path))
    for i in range(n):
        log.append(_event(200 + i))
    # no flush nor close: the process's exit hook writes or spills what is queued


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_process_exiting_while_the_lock_is_held_spills_its_events(tmp_path: Path, method: str) -> None:
    path = tmp_path / "log.sqlite"
    log = _ready(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        log.append(_event(1))  # queued in this process when it forks: the child must not write it
        proc = multiprocessing.get_context(method).Process(target=_append_and_exit, args=(str(path), 3))
        proc.start()
        proc.join(120)
        assert proc.exitcode == 0
        assert len(log.spill_files()) == 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert log.flush(30)
    restarted = PredictionLog(path)  # e.g. the process started again: its writer ingests the spill first
    restarted.append(_event(2))
    assert restarted.flush(30)
    assert sorted(_ids(path)) == [0, 1, 2, 200, 201, 202]
    assert _ids(path).index(2) > _ids(path).index(202)
    assert log.spill_files() == []


def test_a_forked_child_writes_its_own_events_only(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = _ready(path)  # the writer thread runs in the parent when it forks
    proc = multiprocessing.get_context("fork").Process(target=_append_and_exit, args=(str(path), 4))
    proc.start()
    log.append(_event(1))
    proc.join(120)
    assert proc.exitcode == 0
    assert log.flush(30)
    assert sorted(_ids(path)) == [0, 1, 200, 201, 202, 203]
