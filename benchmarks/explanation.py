"""`python main.py bench explanation`: a client's explanation with concepts and principal reasons.

What an advisor waits for when a client opens, measured in process from the
SHAP cache (no HTTP): `InProcessClient.explanation` (every concept in points
with its features, the principal reasons in words, the top feature
contributions), its JSON form as the API sends it, and
`InProcessClient.principal_reasons` (what a log entry records). Uses the
built run under --data-dir/--cache-dir when there is one (e.g. the real-size
run), otherwise builds one of --clients/--new-clients; the prediction log goes
to a temporary file. Target at real size: explanation p99 <= 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from scoring.paths import Paths
from scoring.progress import log

#: Random clients explained (each in French then in English).
N_CLIENTS = 2_000
WARM_UP = 200
TARGET_P99_MS = 10.0


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "max_ms": round(float(ms.max()), 3), "n": int(ms.size)}


def _timed(call: Any, ids: list[int], langs: tuple[str, ...]) -> tuple[dict[str, float], dict[str, float]]:
    """Wall-clock and thread-CPU percentiles of `call(id, lang)` over every id and language."""
    wall, cpu = [], []
    for cid in ids:
        for lang in langs:
            c0, t0 = time.thread_time(), time.perf_counter()
            call(cid, lang)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return _percentiles(wall), _percentiles(cpu)


def measure(paths: Paths, tmp: Path, n_clients: int = N_CLIENTS, seed: int = 0) -> dict[str, Any]:
    from scoring.api.app import _explanation_json
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    start = time.perf_counter()
    client = InProcessClient(paths, source="bench", prediction_log=PredictionLog(tmp / "predictions.sqlite"))
    open_s = time.perf_counter() - start
    try:
        rng = np.random.default_rng(seed)
        ids = rng.choice(np.asarray(client.client_ids()), size=n_clients + WARM_UP, replace=True).tolist()
        for cid in ids[:WARM_UP]:  # code paths, page cache, the formatting cache's first values
            client.explanation(cid, 10, "fr")
        ids = ids[WARM_UP:]
        langs = ("fr", "en")
        explanation, explanation_cpu = _timed(lambda cid, lang: client.explanation(cid, 10, lang), ids, langs)
        as_json, _ = _timed(lambda cid, lang: json.dumps(_explanation_json(client.explanation(cid, 10, lang))),
                            ids[: n_clients // 4], langs)
        reasons, _ = _timed(client.principal_reasons, ids, ("fr",))
        sample = client.explanation(ids[0], 10, "fr")
        return {
            "n_clients": len(client.client_ids()),
            "n_features": len(client.store.feature_names),
            "n_concepts": len(sample.concepts),
            "open_seconds": round(open_s, 2),
            "explanation": explanation,
            # CPU time of the same calls: the code path's own cost, without waiting for a core
            "explanation_cpu": explanation_cpu,
            "explanation_as_api_json": as_json,
            "principal_reasons_for_the_log": reasons,
            "json_bytes_per_explanation": len(json.dumps(_explanation_json(sample))),
            "target_explanation_p99_ms": TARGET_P99_MS,
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        client.close()


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-explanation-") as tmp_name:
        tmp = Path(tmp_name)
        source, built = run_or_build(args, paths, tmp)
        log.info("bench explanation: %d random clients, fr and en", N_CLIENTS)
        figures = measure(source, tmp)
        figures["data"] = built
        return figures
