"""The API's audit log never delays nor fails a request: a database locked by another process
leaves every score answered, and every event is written once the lock is released."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scoring.api.app import create_app
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import BUSY_TIMEOUT_MS, PredictionLog

#: A loose bound on one answer while the lock is held: the writer's own wait for the lock
#: (BUSY_TIMEOUT_MS), which a request used to pay (10 s then), is never on the request's path.
ANSWER_BOUND_S = 2.0


@pytest.fixture(scope="module")
def served(small_run: Paths, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[TestClient, PredictionLog, list[int]]]:
    log = PredictionLog(tmp_path_factory.mktemp("audit_log") / "predictions.sqlite")
    client = InProcessClient(small_run, source="api", prediction_log=log)
    with TestClient(create_app(small_run, client=client)) as api:
        yield api, log, client.client_ids()[:20]
    client.close()


def _rows(path: Path) -> int:
    """Rows in the log, read by another connection (as `main.py log` or an auditor would)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0])


def test_a_held_lock_leaves_scores_answered_and_every_event_written_after(served) -> None:
    api, log, ids = served
    assert api.get(f"/clients/{ids[0]}/score").status_code == 200
    assert log.flush(30)
    before = _rows(log.path)
    holder = sqlite3.connect(log.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    slowest = 0.0
    try:
        for cid in ids:
            started = time.monotonic()
            response = api.get(f"/clients/{cid}/score")
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code == 200 and response.json()["client_id"] == cid
        response = api.post(f"/clients/{ids[1]}/what-if", json={"overrides": {"AMT_CREDIT": 300_000.0}})
        assert response.status_code == 200
        assert api.get("/health").status_code == 200
        # answered while the lock is still held: nothing could be written yet
        assert _rows(log.path) == before
        assert log.pending() == len(ids) + 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert slowest < ANSWER_BOUND_S, f"a score waited {slowest:.2f} s (writer busy timeout {BUSY_TIMEOUT_MS} ms)"
    assert log.flush(30)
    assert _rows(log.path) == before + len(ids) + 1
    events = log.tail(len(ids) + 1)
    assert [e["client_id"] for e in events] == [*ids, ids[1]]
    assert [e["kind"] for e in events] == ["score"] * len(ids) + ["what_if"]
