"""The prediction log keeps every event, in order, under concurrent writers."""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest

from scoring.errors import UserError
from scoring.paths import Paths
from scoring.service.prediction_log import PredictionEvent, PredictionLog, cli_log


def _event(i: int, source: str = "test", **kw) -> PredictionEvent:
    return PredictionEvent(client_id=100000 + i, model_version="v-test", probability=i / 1000,
                           refused=i % 2 == 0, source=source, **kw)


def test_append_and_tail_round_trip(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "sub" / "log.sqlite")
    assert log.tail(5) == []
    log.append(_event(1, kind="what_if", overrides={"AMT_CREDIT": 250000.0, "NAME_FAMILY_STATUS": "Widow"}))
    log.append(PredictionEvent(None, "v-test", 0.5, True, "api", kind="new_application"))
    events = log.tail(10)
    assert [e["client_id"] for e in events] == [100001, None]
    first, second = events
    assert first["overrides"] == {"AMT_CREDIT": 250000.0, "NAME_FAMILY_STATUS": "Widow"}
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
    PredictionLog(path).append(_event(1))
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
        log.append(_event(i, overrides={"CNT_CHILDREN": i} if i == 7 else {}))
    assert cli_log(argparse.Namespace(tail=3), paths) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["time", "(UTC)"]
    body = lines[2:-1]
    assert len(body) == 3
    assert [line.split()[1] for line in body] == ["100005", "100006", "100007"]
    assert "CNT_CHILDREN=7" in body[-1]
    with pytest.raises(UserError, match="--tail"):
        cli_log(argparse.Namespace(tail=0), paths)


def test_cli_log_reports_a_corrupted_file(tmp_path: Path) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    paths.prediction_log.parent.mkdir(parents=True)
    paths.prediction_log.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="unreadable"):
        cli_log(argparse.Namespace(tail=3), paths)
