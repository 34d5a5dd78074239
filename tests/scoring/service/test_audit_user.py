"""The audit log names the signed-in user of every event and who opened which client's file.

An older database (no `user` column) and an older writer's spill file are brought along; the
user's view of the shared in-process client (`for_user`) logs views once per client opened;
`main.py log --user U` filters; the monitoring's score series never counts a view as a score.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from scoring.monitoring.activity import read_log
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionEvent, PredictionLog, cli_log
from scoring.service.protocol import UnknownClient

#: The table as the first release created it (before the `user` column).
OLD_DDL = """CREATE TABLE predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, client_id INTEGER,
    model_version TEXT NOT NULL, probability REAL NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'refused')), source TEXT NOT NULL,
    kind TEXT NOT NULL, overrides TEXT NOT NULL DEFAULT '{}')"""


def _event(i: int, **kw) -> PredictionEvent:
    return PredictionEvent(client_id=100000 + i, model_version="v", probability=0.1, refused=False,
                           source="dashboard", **kw)


def _old_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(OLD_DDL)
        conn.execute("INSERT INTO predictions (time, client_id, model_version, probability, decision, source,"
                     " kind) VALUES ('2026-01-01T00:00:00.000Z', 1, 'v0', 0.2, 'accepted', 'api', 'score')")
        conn.commit()


def test_an_older_database_gets_the_user_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    _old_database(path)
    assert PredictionLog(path).tail(5)[0]["user"] is None  # read before any writer migrated it
    assert PredictionLog(path).tail(5, user="alice") == []
    log = PredictionLog(path)
    log.append(_event(1, user="alice", kind="what_if", overrides={"AMT_CREDIT": 1.0}))
    log.append(_event(2, kind="view"))
    assert log.flush(30)
    events = log.tail(10)
    assert [(e["client_id"], e["user"], e["kind"]) for e in events] == [
        (1, None, "score"), (100001, "alice", "what_if"), (100002, None, "view")]
    assert [e["client_id"] for e in log.tail(10, user="alice")] == [100001]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(predictions)")]
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(predictions)")}
    assert columns[-2:] == ["user", "reasons"] and "predictions_user" in indexes
    second = PredictionLog(path)  # a second writer: nothing to migrate twice
    second.append(_event(3, user="bob"))
    assert second.flush(30) and [e["user"] for e in log.tail(1)] == ["bob"]


def test_an_older_writers_spill_file_is_ingested_without_the_user(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    old = {"time": "2026-01-01T00:00:00.000Z", "client_id": 7, "model_version": "v0", "probability": 0.3,
           "decision": "refused", "source": "api", "kind": "score", "overrides": "{}"}
    (tmp_path / "predictions.sqlite.spill-00000000000000000001-1-abcdef01.jsonl").write_text(json.dumps(old) + "\n")
    log = PredictionLog(path)
    log.append(_event(4, user="carol"))
    assert log.flush(30)
    assert [(e["client_id"], e["user"]) for e in log.tail(5)] == [(7, None), (100004, "carol")]
    assert log.spill_files() == [] and not list(tmp_path.glob("*.rejected"))


def test_main_py_log_filters_by_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = Paths(data_dir=tmp_path)
    log = PredictionLog(paths.prediction_log)
    for i, user in enumerate(["alice", "bob", "alice", None]):
        log.append(_event(i, user=user, kind="view" if i == 2 else "score"))
    assert log.close(30)
    assert cli_log(argparse.Namespace(tail=10, user="alice"), paths) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("20")]
    assert len(lines) == 2 and all(" alice " in line for line in lines)
    assert "view" in lines[1] and "by user 'alice'" in out
    assert cli_log(argparse.Namespace(tail=10, user=None), paths) == 0
    assert sum(line.startswith("20") for line in capsys.readouterr().out.splitlines()) == 4


def test_the_score_series_never_counts_a_view(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "predictions.sqlite")
    log.append(_event(1, kind="score"))
    log.append(_event(1, kind="view", user="alice"))
    log.append(_event(2, kind="what_if", user="alice"))
    assert log.close(30)
    assert read_log(log.path).get_column("client_id").to_list() == [100001, 100002]


@pytest.fixture(scope="module")
def shared(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> InProcessClient:
    log = PredictionLog(tmp_path_factory.mktemp("audit_user") / "predictions.sqlite")
    client = InProcessClient(small_run, source="dashboard", prediction_log=log)
    yield client
    client.close()


def test_a_users_session_logs_each_client_it_opens_once_and_its_what_ifs(shared: InProcessClient) -> None:
    first, second = shared.client_ids()[:2]
    before = shared.log.count()
    alice = shared.for_user("alice")
    assert alice.profile(first, "fr") == shared.profile(first, "fr")  # same answers as the shared client
    alice.explanation(first, 5, "fr")
    alice.explanation(first, 5, "en")  # a language switch re-reads the same file: no new view
    result = alice.what_if(first, {"AMT_CREDIT": 300_000.0}, 5, "fr")
    alice.profile(second, "fr")
    with pytest.raises(UnknownClient):
        alice.profile(999_999_999, "fr")  # nothing shown, nothing logged
    bob = shared.for_user("bob")
    bob.recourse(first, "fr")
    shared.profile(first, "fr")  # the shared client itself logs nothing
    events = shared.log.tail(10)[-(shared.log.count() - before):]
    assert [(e["kind"], e["client_id"], e["user"], e["source"]) for e in events] == [
        ("view", first, "alice", "dashboard"), ("what_if", first, "alice", "dashboard"),
        ("view", second, "alice", "dashboard"), ("view", first, "bob", "dashboard")]
    view = events[0]
    cached = shared.score(first)
    assert (view["probability"], view["decision"] == "refused") == (cached.probability, cached.refused)
    assert events[1]["probability"] == result.after.score.probability
    assert shared.for_user(None).for_user("carol").user == "carol"
    alice.close()  # a session's view never closes the shared client
    assert shared.score(first) == cached
