"""`python main.py bench cache-dask [--workers N]`: the nightly build locally, then on Dask.

The same build (every client's score and SHAP values, verified) is made
locally as `refresh-cache` does (CatBoost on every core), then with
`--dask` on a local cluster of 1, 2, ... N worker processes of one thread
each (N = --workers, at least 2), each run into its own temporary cache
folder. Reported per run: wall time of the build and of its stages (the
partitions, the driver's SQLite writes, the verification), microseconds per
client, the CPU time of the driver and of the workers per client (what the
build costs whatever else runs on the machine), peak resident memory of the
driver and of the largest worker, the build's size on disk per client, and
the 1-minute load average before and after; and what one serving process
holds for the local build (RSS once open and once warmed up, per client). The Dask builds are checked equal to the local one (probabilities).

With a feature table and a current model under --data-dir they are used as
they are (e.g. a copy of the real-size run); otherwise a run of
--clients/--new-clients (or --real-size) is built in a temporary folder. The
data folder is only read.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import sizes
from scoring.paths import Paths
from scoring.progress import log

#: Memory is sampled this often (seconds).
SAMPLE_S = 0.2


class _StepTimes(logging.Handler):
    """Collects the 'NAME done in X s' lines of `scoring.progress.step` (and the monitoring
    snapshot's time, which the nightly job computes after the switch)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        match = (re.fullmatch(r"(.+) done in ([0-9.]+) s", message)
                 or re.match(r"(monitoring snapshot) \S+ in ([0-9.]+) s", message))
        if match:
            self.seconds[match.group(1)] = float(match.group(2))


class _Processes:
    """Peak RSS and CPU time of this process (the driver) and of its child processes (the local
    cluster's workers). CPU time is what a build costs whatever else runs on the machine."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self.driver = self.worker = 0
        self.driver_cpu = self.workers_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _cpu(self) -> tuple[float, float]:
        import psutil

        def used(process) -> float:
            times = process.cpu_times()
            return times.user + times.system

        workers = 0.0
        for child in self._me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                workers += used(child)
        return used(self._me), workers

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.driver = max(self.driver, self._me.memory_info().rss)
                for child in self._me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        self.worker = max(self.worker, child.memory_info().rss)
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> _Processes:
        self._cpu_start = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        driver, workers = self._cpu()
        self.driver_cpu, self.workers_cpu = driver - self._cpu_start[0], workers - self._cpu_start[1]


@contextlib.contextmanager
def _timed_writes() -> Any:
    """Time the driver's SQLite writes (wraps cache_build.write_chunk for the bench only)."""
    from scoring.explain import cache_build

    real, spent = cache_build.write_chunk, [0.0]

    def timed(cache, ids, records) -> None:
        start = time.perf_counter()
        real(cache, ids, records)
        spent[0] += time.perf_counter() - start

    cache_build.write_chunk = timed
    try:
        yield spent
    finally:
        cache_build.write_chunk = real


def _build(source: Paths, cache_dir: Path, chunk_size: int, scheduler: str | None) -> dict[str, Any]:
    """One build into `cache_dir`: its figures."""
    from scoring.explain.shap_cache import refresh_cache

    steps = _StepTimes()
    log.addHandler(steps)
    load_before = os.getloadavg()[0]
    try:
        with _Processes() as processes, _timed_writes() as writes:
            start = time.perf_counter()
            build_id = refresh_cache(Paths(source.data_dir, cache_dir), chunk_size=chunk_size, scheduler=scheduler)
            wall = time.perf_counter() - start
    finally:
        log.removeHandler(steps)
    build = cache_dir / "shap" / build_id
    size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file() and "inputs" not in p.parts)
    n = _n_clients(build)
    per_client = 1e6 / n
    return {
        "build_id": build_id,
        "n_clients": n,
        "wall_seconds": round(wall, 1),
        "partitions_seconds": steps.seconds.get("SHAP values"),
        "driver_write_seconds": round(writes[0], 1),
        "verify_seconds": steps.seconds.get("verify cache"),
        "monitoring_snapshot_seconds": steps.seconds.get("monitoring snapshot"),  # None: no snapshot
        "wall_us_per_client": round(wall * per_client, 1),
        "partitions_us_per_client": round((steps.seconds.get("SHAP values") or 0) * per_client, 1),
        "driver_write_us_per_client": round(writes[0] * per_client, 1),
        "driver_cpu_us_per_client": round(processes.driver_cpu * per_client, 1),
        "workers_cpu_us_per_client": round(processes.workers_cpu * per_client, 1) if scheduler else None,
        "peak_rss_driver_mb": round(processes.driver / 2**20),
        "peak_rss_largest_worker_mb": round(processes.worker / 2**20) if scheduler else None,
        "cache_bytes_per_client": round(size / n),
        "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


_SERVING_PROCESS = """
import json, sys, time
from pathlib import Path
import psutil
me = psutil.Process()
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
imported = me.memory_info().rss
class NoLog:
    def append(self, event): pass
start = time.perf_counter()
client = InProcessClient(Paths(Path(sys.argv[1]), Path(sys.argv[2])), prediction_log=NoLog())
opened, open_s = me.memory_info().rss, time.perf_counter() - start
start = time.perf_counter()
client.warm_up()
warm_s = time.perf_counter() - start
print(json.dumps({"imported": imported, "opened": opened, "warm": me.memory_info().rss,
                  "open_s": open_s, "warm_s": warm_s, "n": len(client.client_ids())}))
"""


def _serving_process(data_dir: Path, cache_dir: Path) -> dict[str, Any]:
    """What one serving process (a dashboard process, an API worker) holds for this build: RSS
    after the imports, once the client is open, once the population sections are warmed up."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _SERVING_PROCESS, str(data_dir), str(cache_dir)],
                         capture_output=True, text=True, check=True).stdout
    m = json.loads(out.strip().splitlines()[-1])
    per_client = 1 / m["n"]
    return {
        "rss_after_imports_mb": round(m["imported"] / 2**20),
        "rss_open_mb": round(m["opened"] / 2**20),
        "rss_warm_mb": round(m["warm"] / 2**20),
        "open_seconds": round(m["open_s"], 1),
        "warm_up_seconds": round(m["warm_s"], 1),
        "bytes_per_client_warm": round((m["warm"] - m["imported"]) * per_client),
    }


def _n_clients(build: Path) -> int:
    from scoring.explain.cache_layout import read_manifest

    return int(read_manifest(build)["n_clients"])


def _probabilities(cache_dir: Path, build_id: str) -> bytes:
    import diskcache

    from scoring.explain.cache_layout import PROBA_KEY

    with contextlib.closing(diskcache.Cache(str(cache_dir / "shap" / build_id))) as cache:
        return cache[PROBA_KEY]


def _has_artefacts(paths: Paths) -> bool:
    from scoring.model.registry import current_version

    return paths.features.is_file() and current_version(paths) is not None


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from distributed import LocalCluster

    chunk_size = 20_000
    with tempfile.TemporaryDirectory(prefix="bench-cache-dask-") as tmp:
        if _has_artefacts(paths):
            source, built = paths, "existing"
        else:
            from scoring.cli.pipeline import run_steps

            clients, new_clients = sizes(args)
            source = Paths(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "pipeline-cache")
            run_steps(source, clients=clients, new_clients=new_clients, seed=42, fast=True)
            built = f"generated {clients} + {new_clients} clients (fast training)"
        from scoring.model.registry import load_current

        model = load_current(source)
        figures: dict[str, Any] = {"data": built, "model_version": model.version,
                                   "trees": int(model.booster.tree_count_),
                                   "n_features": len(model.feature_names), "chunk_size": chunk_size}
        log.info("bench cache-dask: local build")
        figures["local"] = _build(source, Path(tmp) / "local", chunk_size, None)
        reference = _probabilities(Path(tmp) / "local", figures["local"]["build_id"])
        figures["serving_process"] = _serving_process(source.data_dir, Path(tmp) / "local")
        for n_workers in range(1, max(2, args.workers) + 1):
            log.info("bench cache-dask: Dask, %d worker process(es) x 1 thread", n_workers)
            with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                run_figures = _build(source, Path(tmp) / f"dask{n_workers}", chunk_size,
                                     cluster.scheduler_address)
            run_figures["equals_local_build"] = _probabilities(
                Path(tmp) / f"dask{n_workers}", run_figures["build_id"]) == reference
            figures[f"dask_{n_workers}_workers"] = run_figures
        one, two = figures["dask_1_workers"]["wall_seconds"], figures["dask_2_workers"]["wall_seconds"]
        figures["speed_up_2_vs_1_workers"] = round(one / two, 2)
        return figures
