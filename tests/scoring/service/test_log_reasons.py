"""The prediction log records the principal reasons the answer gave: the same reasons as the
dashboard and the API (issue: reasons an advisor can say)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.service.protocol import to_dict
from scoring.text.concepts import CONCEPTS


@pytest.fixture(scope="module")
def client(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> InProcessClient:
    log = PredictionLog(tmp_path_factory.mktemp("log") / "predictions.sqlite")
    return InProcessClient(small_run, source="api", prediction_log=log)


def _logged(client: InProcessClient) -> list[dict]:
    assert client.log.flush(30)
    with sqlite3.connect(client.log.path) as conn:
        rows = conn.execute("SELECT kind, client_id, reasons FROM predictions ORDER BY id").fetchall()
    return [{"kind": k, "client_id": c, "reasons": None if r is None else json.loads(r)} for k, c, r in rows]


def test_a_what_if_logs_the_reasons_it_answered_with(client: InProcessClient) -> None:
    cid = client.client_ids()[3]
    result = client.what_if(cid, {"AMT_CREDIT": 300_000.0}, lang="en")
    answered = [to_dict(r) for r in result.after.principal_reasons]
    logged = [e for e in _logged(client) if e["kind"] == "what_if" and e["client_id"] == cid][-1]
    assert answered and logged["reasons"] == json.loads(json.dumps(answered, default=str))
    assert not any(CONCEPTS[r["concept"]].protected for r in logged["reasons"])


def test_a_view_logs_the_reasons_shown_and_a_bare_score_none(client: InProcessClient) -> None:
    cid = client.client_ids()[5]
    client.log_view(cid, user="alice")
    client.log_score(client.score(cid))
    shown = [to_dict(r) for r in client.explanation(cid, lang="fr").principal_reasons]
    view, score = [e for e in _logged(client) if e["client_id"] == cid][-2:]
    assert view["kind"] == "view" and view["reasons"] == json.loads(json.dumps(shown, default=str))
    assert score["kind"] == "score" and score["reasons"] is None

