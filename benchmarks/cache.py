"""`python main.py bench cache`: full refresh time, cached read latency, on-the-fly what-if latency.

With an existing feature table and current model under --data-dir, they are
used as they are (e.g. a real-size run); otherwise a workspace of
--clients/--new-clients (or --real-size) is built in a temporary folder with
the pipeline (fast training). The refresh always writes into a temporary
cache folder, never into the served one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchmarks import sizes
from scoring.paths import Paths
from scoring.progress import log

#: Random single-client reads timed (the figure asked for is p99 over 10k reads).
N_READS = 10_000


def _percentiles(seconds: list[float], unit: float) -> dict[str, float]:
    arr = np.asarray(seconds) * unit
    return {"p50": round(float(np.percentile(arr, 50)), 3), "p99": round(float(np.percentile(arr, 99)), 3),
            "max": round(float(arr.max()), 3), "n": int(arr.size)}


def _has_artefacts(paths: Paths) -> bool:
    from scoring.model.registry import current_version

    return paths.features.is_file() and current_version(paths) is not None


def _edit_column(store: Any) -> str:
    """The most important numeric feature: editing it must move the score."""
    numeric = [f for f in store.global_importance() if f not in set(store.model.cat_features)]
    return numeric[0]


def measure(data_paths: Paths, cache_root: Path, repeat: int, seed: int = 0) -> dict[str, Any]:
    """Time one full refresh into `cache_root`, then reads and on-the-fly explanations."""
    from scoring.explain.shap_cache import ShapStore, refresh_cache

    paths = Paths(data_dir=data_paths.data_dir, cache_dir=cache_root)
    start = time.perf_counter()
    build_id = refresh_cache(paths)
    refresh_s = time.perf_counter() - start
    cache_bytes = sum(p.stat().st_size for p in (paths.shap_cache / build_id).rglob("*") if p.is_file())

    start = time.perf_counter()
    store = ShapStore.open(paths)
    open_s = time.perf_counter() - start
    try:
        rng = np.random.default_rng(seed)
        ids = rng.choice(store.client_ids(), size=N_READS, replace=True).tolist()
        for cid in ids[:200]:  # warm the page cache and the code paths
            store.lookup(cid)
        reads, reads_cpu = [], []
        for cid in ids:
            c0, t0 = time.thread_time(), time.perf_counter()
            store.lookup(cid)
            reads.append(time.perf_counter() - t0)
            reads_cpu.append(time.thread_time() - c0)

        column = _edit_column(store)
        fly, fly_cpu, changed = [], [], 0
        for cid in ids[: max(repeat, 1) + 5]:
            row = store.features_row(cid)
            value = row[column].item()
            edited = row.with_columns(pl.lit((value or 0.0) * 1.5 + 1.0, dtype=pl.Float64).alias(column))
            c0, t0 = time.process_time(), time.perf_counter()
            exp = store.explain_features(edited)
            fly.append(time.perf_counter() - t0)
            fly_cpu.append(time.process_time() - c0)
            changed += exp.probability != store.lookup(cid).probability
        fly, fly_cpu = fly[5:], fly_cpu[5:]  # the first calls pay CatBoost's lazy initialisation
        return {
            "n_clients": len(store.client_ids()),
            "n_features": len(store.feature_names),
            "model_version": store.model_version,
            "trees": int(store.model.booster.tree_count_),
            "refresh_seconds": round(refresh_s, 2),
            "refresh_clients_per_second": round(len(store.client_ids()) / refresh_s),
            "cache_megabytes": round(cache_bytes / 1e6, 1),
            "open_seconds": round(open_s, 2),
            "read_latency_us": _percentiles(reads, 1e6),
            # CPU time of the same reads: the code path's own cost, without waiting for a
            # core on a loaded machine (wall-clock tails there are scheduling, not the cache)
            "read_cpu_time_us": _percentiles(reads_cpu, 1e6),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "on_the_fly_latency_ms": _percentiles(fly, 1e3),
            # all threads' CPU time: what one request costs on an idle machine (an upper bound)
            "on_the_fly_cpu_time_ms": _percentiles(fly_cpu, 1e3),
            "on_the_fly_edited_feature": column,
            "on_the_fly_score_changed_fraction": round(changed / (len(fly) + 5), 3),
        }
    finally:
        store.close()


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    repeat = getattr(args, "repeat", 200)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        if _has_artefacts(paths):
            log.info("bench cache: using the feature table and model under %s", paths.data_dir)
            source, built = paths, "existing"
        else:
            from scoring.cli.pipeline import run_steps

            clients, new_clients = sizes(args)
            source = Paths(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "pipeline-cache")
            log.info("bench cache: building %d + %d clients in %s", clients, new_clients, tmp)
            run_steps(source, clients=clients, new_clients=new_clients, seed=42, fast=True)
            built = f"generated {clients} + {new_clients} clients (fast training)"
        figures = measure(source, Path(tmp) / "cache", repeat)
        figures["data"] = built
        return figures
