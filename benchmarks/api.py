"""`python main.py bench api`: latency and throughput of the scoring API under 8 concurrent clients.

The API runs as a real uvicorn server in a subprocess on a free loopback
port, over the artefacts at --data-dir/--cache-dir when they exist (e.g. a
real-size run), otherwise over a run of --clients/--new-clients built in a
temporary folder with the pipeline (fast training). The server logs its
predictions into a temporary file, never into the real prediction log.

Figures: for `GET /clients/{id}/score` (cache read) and `POST
/clients/{id}/what-if` (re-scoring with TreeSHAP): p50/p99/max latency and
throughput with 8 concurrent clients, plus single-client (sequential)
latency, which is what one advisor waits for. Each figure also gives the
time spent inside the app (the API's Server-Timing header), which excludes
transport and the load generator's own CPU use. Targets at real size: score
p99 <= 10 ms, what-if p99 <= 50 ms.

With `--workers N` (N > 1) the same figures are measured for 1 worker, then
for N, each on a fresh server. Then, on the last server, the audit log's
database is locked by another connection (`BEGIN EXCLUSIVE`, as another
process writing would) during an 8-client score phase: every score must
still be answered, nothing is written while the lock is held, and every
event is in the log after the release (with the time it took).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks import sizes
from benchmarks.localserver import free_port, stop
from scoring.paths import Paths
from scoring.progress import log

CONCURRENCY = 8
TARGETS_MS = {"score_p99": 10.0, "what_if_p99": 50.0}


def _has_artefacts(paths: Paths) -> bool:
    from scoring.explain.shap_cache import active_build
    from scoring.model.registry import current_version

    return (paths.features.is_file() and (paths.interim / "application_train.parquet").is_file()
            and current_version(paths) is not None and active_build(paths) is not None)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "max_ms": round(float(ms.max()), 2), "n": int(ms.size)}


def _start_server(paths: Paths, log_path: Path, port: int, stderr_path: Path,
                  workers: int = 1) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "benchmarks.api", "--serve", str(paths.data_dir), str(paths.cache_dir),
           str(port), str(log_path), str(workers)]
    with open(stderr_path, "w") as stderr:  # a file, not a pipe: a chatty server never blocks
        return subprocess.Popen(cmd, cwd=str(Path(__file__).resolve().parents[1]), stdout=subprocess.DEVNULL,
                                stderr=stderr)


def _wait_ready(proc: subprocess.Popen, url: str, stderr_path: Path, timeout: float = 600.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = stderr_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"API server exited with {proc.returncode}: {tail}")
        try:
            response = httpx.get(f"{url}/health", timeout=2.0)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"API server not ready after {timeout:.0f} s")


def _requests(kind: str, ids: list[int], n: int, rng: random.Random) -> list[tuple[str, str, Any]]:
    """`n` requests of one kind on random clients (what-if edits the credit amount and the instalment)."""
    out = []
    for _ in range(n):
        cid = rng.choice(ids)
        if kind == "score":
            out.append(("GET", f"/clients/{cid}/score", None))
        else:
            overrides = {"AMT_CREDIT": float(rng.randrange(50_000, 2_000_000, 1_000)),
                         "AMT_ANNUITY": float(rng.randrange(5_000, 100_000, 500))}
            out.append(("POST", f"/clients/{cid}/what-if", {"overrides": overrides}))
    return out


def _server_ms(response: httpx.Response) -> float | None:
    """Time spent inside the app, from the API's Server-Timing header."""
    value = response.headers.get("server-timing", "")
    _, _, dur = value.partition("dur=")
    try:
        return float(dur) / 1000.0
    except ValueError:
        return None


def _run_clients(url: str, plans: list[list[tuple[str, str, Any]]]
                 ) -> tuple[list[float], list[float], float, int]:
    """Each plan on its own thread and connection, all released together.

    Returns (client latencies, server times, wall seconds, errors).
    """
    latencies: list[list[float]] = [[] for _ in plans]
    server: list[list[float]] = [[] for _ in plans]
    errors = [0] * len(plans)
    barrier = threading.Barrier(len(plans) + 1)

    def worker(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60.0) as http:
            http.get("/health")  # open the connection before the clock starts
            barrier.wait()
            for method, path, body in plans[i]:
                t0 = time.perf_counter()
                response = http.request(method, path, json=body)
                latencies[i].append(time.perf_counter() - t0)
                if (app_s := _server_ms(response)) is not None:
                    server[i].append(app_s)
                if response.status_code != 200:
                    errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(plans))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return [x for per in latencies for x in per], [x for per in server for x in per], wall, sum(errors)


def measure(url: str, ids: list[int], repeat: int, seed: int = 0) -> dict[str, Any]:
    """Sequential then 8-concurrent latency of score and what-if; throughput of the concurrent phase."""
    rng = random.Random(seed)
    figures: dict[str, Any] = {"logged_events": 0}  # answered scores and what-ifs: one log event each
    for kind in ("score", "what_if"):
        with httpx.Client(base_url=url, timeout=60.0) as http:
            for method, path, body in _requests(kind, ids, 20, rng):  # warm-up
                figures["logged_events"] += http.request(method, path, json=body).status_code == 200
            seq, seq_server = [], []
            for method, path, body in _requests(kind, ids, repeat, rng):
                t0 = time.perf_counter()
                response = http.request(method, path, json=body)
                seq.append(time.perf_counter() - t0)
                response.raise_for_status()
                if (app_s := _server_ms(response)) is not None:
                    seq_server.append(app_s)
        plans = [_requests(kind, ids, repeat, rng) for _ in range(CONCURRENCY)]
        lat, server, wall, errors = _run_clients(url, plans)
        figures["logged_events"] += len(seq) + len(lat) - errors
        figures[kind] = {
            "sequential": _percentiles(seq) | {"server_side": _percentiles(seq_server)},
            f"concurrent_{CONCURRENCY}": _percentiles(lat) | {
                "server_side": _percentiles(server),
                "throughput_rps": round(len(lat) / wall, 1), "wall_s": round(wall, 2), "errors": errors},
        }
        log.info("bench api %s: sequential p99 %.2f ms; %d clients p99 %.2f ms, %.0f req/s", kind,
                 figures[kind]["sequential"]["p99_ms"], CONCURRENCY,
                 figures[kind][f"concurrent_{CONCURRENCY}"]["p99_ms"],
                 figures[kind][f"concurrent_{CONCURRENCY}"]["throughput_rps"])
    return figures


def _log_rows(path: Path) -> int:
    """Events in the server's prediction log, read by another connection (0 before it exists)."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0])
        except sqlite3.OperationalError:  # no table yet
            return 0


def _wait_rows(path: Path, expected: int, timeout: float = 60.0) -> float | None:
    """Seconds until the log holds `expected` events (None if it does not within `timeout`)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if _log_rows(path) >= expected:
            return round(time.perf_counter() - started, 2)
        time.sleep(0.05)
    return None


def locked_log_phase(url: str, ids: list[int], repeat: int, log_path: Path, logged: int) -> dict[str, Any]:
    """8 clients score while another connection holds the log's write lock, then release it."""
    settled = _wait_rows(log_path, logged)  # everything served so far is in the log
    before = _log_rows(log_path)
    holder = sqlite3.connect(log_path, isolation_level=None, timeout=30)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        rng = random.Random(7)
        lat, server, wall, errors = _run_clients(url, [_requests("score", ids, repeat, rng)
                                                       for _ in range(CONCURRENCY)])
        held_s = wall
        written_while_locked = _log_rows(log_path) - before
    finally:
        holder.execute("COMMIT")
        holder.close()
    answered = len(lat) - errors
    written_after = _wait_rows(log_path, before + answered)
    figures = {
        "lock_held_s": round(held_s, 2),
        f"score_concurrent_{CONCURRENCY}": _percentiles(lat) | {
            "server_side": _percentiles(server), "throughput_rps": round(len(lat) / wall, 1), "errors": errors},
        "events_before_lock_all_logged": settled is not None,
        "events_written_while_locked": written_while_locked,
        "events_answered_while_locked": answered,
        "events_in_log_after_release": _log_rows(log_path) - before,
        "all_written_s_after_release": written_after,
    }
    log.info("bench api, log locked %.1f s: score p99 %.2f ms, %d errors; %d/%d events written %s s after "
             "release", held_s, figures[f"score_concurrent_{CONCURRENCY}"]["p99_ms"], errors,
             figures["events_in_log_after_release"], answered, written_after)
    return figures


#: wrk's script: each request asks the score of the next client of a shuffled id list.
_WRK_SCRIPT = """
local ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/clients/" .. ids[(n %% #ids) + 1] .. "/score")
end
"""
WRK_SECONDS = 15


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk_ms(text: str) -> float:
    """wrk's '812.00us', '3.80ms' or '1.02s' in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _WRK_UNITS[unit]


def wrk_score(url: str, ids: list[int], tmp: Path) -> dict[str, Any] | None:
    """GET /clients/{id}/score from `CONCURRENCY` connections of wrk, a load generator in C (Debian's
    `wrk`), when installed: a Python client's own GIL inflates the tail it measures. None without wrk."""
    if shutil.which("wrk") is None:
        return None
    id_file, script = tmp / "wrk_ids.txt", tmp / "wrk_score.lua"
    shuffled = np.random.default_rng(0).permutation(np.asarray(ids))[:20_000]
    id_file.write_text("\n".join(map(str, shuffled.tolist())))
    script.write_text(_WRK_SCRIPT % id_file)
    base = ["wrk", "-t2", f"-c{CONCURRENCY}", "-s", str(script)]
    warm = subprocess.run([*base, "-d3s", url], capture_output=True, text=True, check=True).stdout
    out = subprocess.run([*base, f"-d{WRK_SECONDS}s", "--latency", url], capture_output=True, text=True,
                         check=True).stdout
    sent = sum(int(re.search(r"(\d+) requests in", text).group(1)) for text in (warm, out))
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, flags=re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"connections": CONCURRENCY, "seconds": WRK_SECONDS,
            **{f"p{k}_ms": round(_wrk_ms(v), 2) for k, v in latency.items()},
            "throughput_rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non_2xx": int(errors.group(1)) if errors else 0, "requests_logged": sent}


def _serve_and_measure(paths: Paths, tmp: Path, workers: int, repeat: int, lock_phase: bool
                       ) -> dict[str, Any]:
    """A fresh server with `workers` processes, its figures, and optionally the locked-log phase."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr_path = tmp / f"server_{workers}.stderr"
    log_path = tmp / f"bench_predictions_{workers}.sqlite"
    started = time.perf_counter()
    proc = _start_server(paths, log_path, port, stderr_path, workers)
    try:
        health = _wait_ready(proc, url, stderr_path)
        startup_s = time.perf_counter() - started
        ids = httpx.get(f"{url}/clients", timeout=60.0).json()["client_ids"]
        figures = measure(url, ids, repeat)
        figures["score_wrk"] = wrk_score(url, ids, tmp)
        if figures["score_wrk"] is not None:  # each of its scores is logged too
            figures["logged_events"] += figures["score_wrk"].pop("requests_logged")
        if lock_phase:
            figures["locked_log"] = locked_log_phase(url, ids, repeat, log_path, figures["logged_events"])
    finally:
        stop(proc)
    return {"health": health, "startup_s": round(startup_s, 2), **figures}


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    """Start the API on the artefacts (building a temporary run if needed) and measure it with 1
    worker, then with --workers if more, then with its log's database locked."""
    repeat = max(int(getattr(args, "repeat", 200)), 10)
    workers = int(getattr(args, "workers", 1) or 1)
    with tempfile.TemporaryDirectory(prefix="bench_api_") as tmp:
        source = "existing artefacts"
        if not _has_artefacts(paths):
            from scoring.cli.pipeline import run_pipeline

            clients, new_clients = sizes(args)
            paths = Paths(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "cache")
            log.info("bench api: no artefacts at the given paths; building %d + %d clients in %s",
                     clients, new_clients, tmp)
            run_pipeline(paths, clients=clients, new_clients=new_clients, seed=42, fast=True)
            source = f"temporary run of {clients} + {new_clients} clients (fast training)"
        load_before = os.getloadavg()
        counts = sorted({1, workers})
        runs = {n: _serve_and_measure(paths, Path(tmp), n, repeat, lock_phase=n == counts[-1]) for n in counts}
    health = runs[counts[-1]]["health"]
    concurrent = f"concurrent_{CONCURRENCY}"
    per_workers = {
        f"{n}_worker{'s' if n > 1 else ''}": {
            "startup_s": r["startup_s"], "score": r["score"], "score_wrk": r["score_wrk"], "what_if": r["what_if"],
            "meets_targets_sequential_client_side": {
                "score_p99": r["score"]["sequential"]["p99_ms"] <= TARGETS_MS["score_p99"],
                "what_if_p99": r["what_if"]["sequential"]["p99_ms"] <= TARGETS_MS["what_if_p99"]},
            "meets_targets_concurrent_client_side": {
                "score_p99": r["score"][concurrent]["p99_ms"] <= TARGETS_MS["score_p99"],
                "what_if_p99": r["what_if"][concurrent]["p99_ms"] <= TARGETS_MS["what_if_p99"]},
            "meets_score_target_wrk": None if r["score_wrk"] is None
            else r["score_wrk"]["p99_ms"] <= TARGETS_MS["score_p99"],
        } for n, r in runs.items()}
    return {
        "artefacts": source,
        "n_clients": health["n_clients"],
        "model_version": health["model_version"],
        "server": "uvicorn, N worker processes; score on the event loop, other endpoints in the thread pool; "
                  "prediction log written by a background thread per process",
        "concurrency": CONCURRENCY,
        "requests_per_client": repeat,
        **per_workers,
        "throughput_rps": {kind: {str(n): r[kind][concurrent]["throughput_rps"] for n, r in runs.items()}
                           for kind in ("score", "what_if")}
                          | {"score_wrk": {str(n): (r["score_wrk"] or {}).get("throughput_rps") for n, r in runs.items()}},
        "locked_log": runs[counts[-1]]["locked_log"],
        "targets_ms": TARGETS_MS,
        "cpus": os.cpu_count(),
        # Other jobs on the machine inflate every figure: the 1-minute load average says how much.
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
    }


def _serve(data_dir: str, cache_dir: str, port: str, log_path: str, workers: str = "1") -> None:
    """The benchmark's server process: the real app, logging predictions into `log_path`."""
    from scoring.api.app import run_server
    from scoring.api.security import ApiSecurity

    paths = Paths(data_dir=Path(data_dir), cache_dir=Path(cache_dir))
    # Development mode (no token): the figures stay comparable with earlier runs; the token check
    # itself is one SHA-256 and one stat of the tokens file per request.
    run_server(paths, "127.0.0.1", int(port), workers=int(workers), log_level="warning",
               prediction_log=Path(log_path), security=ApiSecurity.configure(paths, dev=True))


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "--serve":
    _serve(*sys.argv[2:])
