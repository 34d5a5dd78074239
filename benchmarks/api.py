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
"""

from __future__ import annotations

import argparse
import os
import random
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
    """`n` requests of one kind on random clients (what-if edits the credit amount and the children)."""
    out = []
    for _ in range(n):
        cid = rng.choice(ids)
        if kind == "score":
            out.append(("GET", f"/clients/{cid}/score", None))
        else:
            overrides = {"AMT_CREDIT": float(rng.randrange(50_000, 2_000_000, 1_000)),
                         "CNT_CHILDREN": rng.randrange(0, 4)}
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
    figures: dict[str, Any] = {}
    for kind in ("score", "what_if"):
        with httpx.Client(base_url=url, timeout=60.0) as http:
            for method, path, body in _requests(kind, ids, 20, rng):  # warm-up
                http.request(method, path, json=body)
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


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    """Start the API on the artefacts (building a temporary run if needed) and measure it."""
    repeat = max(int(getattr(args, "repeat", 200)), 10)
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
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        load_before = os.getloadavg()
        started = time.perf_counter()
        stderr_path = Path(tmp) / "server.stderr"
        workers = int(getattr(args, "workers", 1) or 1)
        proc = _start_server(paths, Path(tmp) / "bench_predictions.sqlite", port, stderr_path, workers)
        try:
            health = _wait_ready(proc, url, stderr_path)
            startup_s = time.perf_counter() - started
            ids = httpx.get(f"{url}/clients", timeout=60.0).json()["client_ids"]
            figures = measure(url, ids, repeat)
        finally:
            stop(proc)
    return {
        "artefacts": source,
        "n_clients": health["n_clients"],
        "model_version": health["model_version"],
        "server": f"uvicorn, {workers} worker process(es), sync endpoints in each one's thread pool",
        "concurrency": CONCURRENCY,
        "requests_per_client": repeat,
        "startup_s": round(startup_s, 2),
        "score": figures["score"],
        "what_if": figures["what_if"],
        "targets_ms": TARGETS_MS,
        "meets_targets_sequential_client_side": {
            "score_p99": figures["score"]["sequential"]["p99_ms"] <= TARGETS_MS["score_p99"],
            "what_if_p99": figures["what_if"]["sequential"]["p99_ms"] <= TARGETS_MS["what_if_p99"],
        },
        "meets_targets_concurrent_client_side": {
            "score_p99": figures["score"][f"concurrent_{CONCURRENCY}"]["p99_ms"] <= TARGETS_MS["score_p99"],
            "what_if_p99": figures["what_if"][f"concurrent_{CONCURRENCY}"]["p99_ms"] <= TARGETS_MS["what_if_p99"],
        },
        "cpus": os.cpu_count(),
        # Other jobs on the machine inflate every figure: the 1-minute load average says how much.
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
    }


def _serve(data_dir: str, cache_dir: str, port: str, log_path: str, workers: str = "1") -> None:
    """The benchmark's server process: the real app, logging predictions into `log_path`."""
    from scoring.api.app import run_server

    paths = Paths(data_dir=Path(data_dir), cache_dir=Path(cache_dir))
    run_server(paths, "127.0.0.1", int(port), workers=int(workers), log_level="warning",
               prediction_log=Path(log_path))


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "--serve":
    _serve(*sys.argv[2:])
