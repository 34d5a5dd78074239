"""`python main.py bench dashboard`: what an advisor waits for, and what each session costs.

Figures (targets at the real size):
- opening a client with every panel updated, server side (p95 <= 100 ms):
  the client-switch callback of a document built by the app's own
  `build_document`, on the real `InProcessClient`;
- a new session ready (document build, <= 1 s), in process and through a
  real `bokeh serve` (`pull_session`, which includes the websocket round trip);
- memory per additional open session (<= 30 MB): RSS growth of a `bokeh serve`
  subprocess while N sessions are held open.

With a built run under --data-dir/--cache-dir it is measured as it is;
otherwise a run of --clients/--new-clients (or --real-size) is built in a
temporary folder (fast training). The prediction log is never written: the
in-process client gets a temporary one, and the dashboard only reads scores.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from benchmarks.localserver import free_port, start_dashboard, stop
from scoring.paths import Paths
from scoring.progress import log

#: Sessions held open at once for the memory figure.
N_SESSIONS = 20
#: Documents built for the new-session figure.
N_DOCUMENTS = 30


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2), "n": int(ms.size)}


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for pid {pid}")


def measure_in_process(paths: Paths, tmp: Path, repeat: int, seed: int = 0) -> dict[str, Any]:
    """Document build and client-switch latency through the app's builder and callbacks."""
    from bokeh.document import Document

    from bokeh_app.session import build_document
    from bokeh_app.store import ClientIndex
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    t0 = time.perf_counter()
    client = InProcessClient(paths, prediction_log=PredictionLog(tmp / "predictions.sqlite"))
    index = ClientIndex(client.client_ids())
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    ids = [int(i) for i in rng.choice(index.ids, size=max(repeat, 1) + N_DOCUMENTS + 10, replace=True)]

    build_document(Document(), client, index=index, client_id=ids[0])  # warm code paths
    empty, with_client, payload = [], [], []
    for cid in ids[1:N_DOCUMENTS + 1]:
        doc = Document()
        t0 = time.perf_counter()
        build_document(doc, client, index=index)
        empty.append(time.perf_counter() - t0)
        doc = Document()
        t0 = time.perf_counter()
        build_document(doc, client, index=index, client_id=cid)
        with_client.append(time.perf_counter() - t0)
        payload.append(len(json.dumps(doc.to_json(), default=str)))

    doc = Document()
    dash = build_document(doc, client, index=index, client_id=ids[0])
    switch, switch_cpu = [], []
    for cid in ids[N_DOCUMENTS + 1:N_DOCUMENTS + 1 + repeat]:
        if cid == dash.client_id:
            continue
        c0, t0 = time.thread_time(), time.perf_counter()
        dash.client_input.value = str(cid)  # the real callback: fetch, views, assign every source
        switch.append(time.perf_counter() - t0)
        switch_cpu.append(time.thread_time() - c0)
        assert dash.client_id == cid
    lang = []
    for code in ["en", "fr"] * 10:
        t0 = time.perf_counter()
        dash.lang_select.value = code
        lang.append(time.perf_counter() - t0)
    client.close()
    return {
        "n_clients": len(index),
        "shared_load_seconds": round(load_s, 2),
        "open_client_latency": _stats(switch),
        # CPU time of the same callbacks: the code's own cost, without waiting for a core
        "open_client_cpu_time": _stats(switch_cpu),
        "language_switch_latency": _stats(lang),
        "new_session_build_latency": _stats(empty),
        "new_session_with_client_latency": _stats(with_client),
        "new_session_payload_kb": round(float(np.median(payload)) / 1024, 1),
    }


def measure_server(paths: Paths, n_sessions: int = N_SESSIONS, seed: int = 1) -> dict[str, Any]:
    """RSS growth of a real `bokeh serve` per open session, and session-ready time over the websocket."""
    from bokeh.client import pull_session

    from scoring.explain.shap_cache import ShapStore

    store = ShapStore.open(paths)
    try:
        ids = [int(i) for i in np.random.default_rng(seed).choice(store.client_ids(), size=n_sessions + 1)]
    finally:
        store.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}/bokeh_app"
    # Closed sessions are discarded after a second (default: about 30 s) so their release shows.
    proc = start_dashboard(paths, port, extra_args=("--check-unused-sessions", "500",
                                                    "--unused-session-lifetime", "500"))
    sessions = []
    try:
        # The first session loads the shared store (model, feature table, cache): not per session.
        warm = pull_session(url=url, arguments={"client": str(ids[0])})
        sessions.append(warm)
        time.sleep(1.0)
        base = _rss_mb(proc.pid)
        ready, rss = [], [base]
        for cid in ids[1:]:
            t0 = time.perf_counter()
            session = pull_session(url=url, arguments={"client": str(cid)})
            ready.append(time.perf_counter() - t0)
            sessions.append(session)
            rss.append(_rss_mb(proc.pid))
        time.sleep(1.0)
        final = _rss_mb(proc.pid)
        growth = np.diff(rss)
        released = _closed_sessions_rss(proc.pid, url, sessions, ids)
        return {
            "server_rss_after_first_session_mb": round(base, 1),
            "server_rss_with_sessions_mb": round(final, 1),
            "sessions_measured": n_sessions,
            "memory_per_session_mb": round((final - base) / n_sessions, 2),
            "memory_per_session_max_step_mb": round(float(growth.max()), 2),
            "session_ready_over_websocket": _stats(ready),
            **released,
        }
    finally:
        for session in sessions:
            session.close()
        stop(proc)


def _closed_sessions_rss(pid: int, url: str, sessions: list[Any], ids: list[int], waves: int = 3
                         ) -> dict[str, Any]:
    """RSS once the open sessions are closed and discarded, then after more waves of sessions
    opened and closed: a server that releases closed sessions returns to about the same level."""
    from bokeh.client import pull_session

    def close_all() -> float:
        while sessions:
            sessions.pop().close()
        time.sleep(3.0)  # > check interval + unused lifetime: every closed session is discarded
        return round(_rss_mb(pid), 1)

    after = [close_all()]
    for _ in range(waves):
        for cid in ids[1:]:
            sessions.append(pull_session(url=url, arguments={"client": str(cid)}))
        after.append(close_all())
    return {"server_rss_after_closing_mb": after[0], "server_rss_after_each_wave_closed_mb": after[1:],
            "waves_of_sessions": waves}


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    repeat = getattr(args, "repeat", 200)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp_name:
        tmp = Path(tmp_name)
        source, built = run_or_build(args, paths, tmp)
        log.info("bench dashboard: in-process callbacks (%d client switches)", repeat)
        figures = measure_in_process(source, tmp, repeat)
        gc.collect()
        log.info("bench dashboard: bokeh serve with %d open sessions", N_SESSIONS)
        figures["server"] = measure_server(source)
        figures["data"] = built
        figures["load_average_1min"] = round(os.getloadavg()[0], 2)
        figures["targets"] = {"open_client_p95_ms": 100, "new_session_s": 1.0, "memory_per_session_mb": 30}
        return figures
