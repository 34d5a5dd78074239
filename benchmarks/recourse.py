"""`python main.py bench recourse`: server-side latency of "what would change the decision".

Times `InProcessClient.recourse` (the search, its batched re-scores and the
what-if path's check of every option offered; target p95 <= 300 ms at the real
size) over a random sample of refused clients (`--repeat`, default 200) and of
granted ones (their margin and headroom), and reports how many refused clients
get at least one option, by kind. Also times a what-if with its unusual-value
check, and how long the novelty reference took to get (from the model version,
or computed once for a model trained before it existed). The prediction log goes
to a temporary file; the run is only read.

With a built run under --data-dir/--cache-dir it is measured as it is;
otherwise a run of --clients/--new-clients (or --real-size) is built in a
temporary folder (fast training).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from scoring.paths import Paths
from scoring.progress import log


def _stats(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "max_ms": round(float(ms.max()), 1), "n": int(ms.size)}


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    repeat = max(int(getattr(args, "repeat", 200) or 200), 10)
    figures: dict[str, Any] = {"loadavg_start": _loadavg()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        run_paths, figures["data"] = run_or_build(args, paths, tmp)
        started = time.perf_counter()
        client = InProcessClient(run_paths, source="benchmark", prediction_log=PredictionLog(tmp / "p.sqlite"))
        figures["client_load_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        reference = client.novelty_reference()
        figures["novelty_reference"] = {
            "source": "model version" if client.store.model.novelty is not None else "computed once in process",
            "seconds": round(time.perf_counter() - started, 2), "limit": round(reference.limit, 3),
            "knn_features": len(reference.knn_names), "range_features": len(reference.names)}
        proba, ids = client.store.probabilities(), client.store.client_ids()
        refused_all = ids[proba >= client.store.threshold]
        granted_all = ids[proba < client.store.threshold]
        figures["clients"] = {"total": int(ids.size), "refused": int(refused_all.size)}
        rng = np.random.default_rng(7)
        refused = rng.choice(refused_all, size=min(repeat, refused_all.size), replace=False).tolist()
        granted = rng.choice(granted_all, size=min(max(repeat // 4, 10), granted_all.size), replace=False).tolist()
        client.recourse(int(refused[0]))  # first call: lazy imports, the neighbour search's tree

        log.info("recourse: %d refused clients", len(refused))
        times, helped, kinds, n_options = [], 0, {}, []
        for cid in refused:
            started = time.perf_counter()
            result = client.recourse(int(cid))
            times.append(time.perf_counter() - started)
            helped += bool(result.options)
            n_options.append(len(result.options))
            for option in result.options:
                kinds[option.kind] = kinds.get(option.kind, 0) + 1
        figures["recourse_refused"] = _stats(times)
        figures["refused_with_an_option"] = {"count": helped, "of": len(refused),
                                             "share": round(helped / len(refused), 3),
                                             "mean_options": round(float(np.mean(n_options)), 2),
                                             "options_by_kind": kinds}
        log.info("recourse: %d granted clients (margin and headroom)", len(granted))
        times, with_headroom = [], 0
        for cid in granted:
            started = time.perf_counter()
            result = client.recourse(int(cid))
            times.append(time.perf_counter() - started)
            with_headroom += result.headroom is not None
        figures["recourse_granted"] = _stats(times)
        figures["granted_with_headroom"] = {"count": with_headroom, "of": len(granted)}

        log.info("what-if with its unusual-value check: %d calls", min(repeat, 100))
        times, warned = [], 0
        for k in range(min(repeat, 100)):
            cid = int(refused[k % len(refused)])
            overrides = {"AMT_CREDIT": 9_000_000.0} if k % 2 else {"AMT_CREDIT": 250_000.0}
            started = time.perf_counter()
            result = client.what_if(cid, overrides, top=10)
            times.append(time.perf_counter() - started)
            warned += bool(result.warnings)
        figures["what_if_with_warnings_check"] = _stats(times)
        figures["what_if_warned"] = {"count": warned, "of": len(times), "edits_far_beyond_range": len(times) // 2}
        client.close()
    figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["cpus"] = os.cpu_count()
    figures["loadavg_end"] = _loadavg()
    return figures
