"""The nightly build of the SHAP cache: compute, verify, then activate in one pointer rewrite."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import diskcache
import numpy as np
import polars as pl

from scoring.atomic import write_text_atomic
from scoring.digest import file_sha256
from scoring.errors import UserError
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    ADDITIVITY_TOL,
    BUILD_MANIFEST,
    BUILD_SETTINGS,
    META_KEY,
    PREVIOUS_FILE,
    PROBA_DTYPE,
    PROBA_KEY,
    TMP_PREFIX,
    CacheBuildError,
    build_input,
    clean_unfinished_builds,
    encode_records,
    features_signature,
    load_current_model,
    prune_builds,
    read_feature_table,
    read_pointer,
    record_dtype,
    refresh_lock,
    snapshot_inputs,
)
from scoring.explain.partition import PartitionResult, compute_partition
from scoring.model.scoring_model import ScoringModel
from scoring.monitoring.snapshot import nightly_snapshot
from scoring.paths import Paths
from scoring.progress import log, progress, step

# --------------------------------------------------------------------------- build


def write_chunk(cache: diskcache.Cache, ids: np.ndarray, records: list[bytes]) -> None:
    """Store one chunk of client records in a single SQLite transaction."""
    with cache.transact():
        for client_id, record in zip(ids.tolist(), records, strict=True):
            cache.set(client_id, record)


def _fsync_tree(directory: Path) -> None:
    """Flush a finished build to disk: it was written with synchronous=OFF, and once ACTIVE
    points at it a power cut must not leave a half-flushed database behind."""
    for path in [*sorted(p for p in directory.rglob("*") if p.is_file()), directory]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _new_build_id(version: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", version)
    return f"{safe}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def _local_partitions(model: ScoringModel, features: pl.DataFrame,
                      size: int) -> Iterator[tuple[int, PartitionResult]]:
    """(row offset, result) of every partition of `size` rows, computed here, in order."""
    starts = range(0, features.height, size)
    for start in progress(starts, total=len(starts), desc="clients chunks"):
        yield start, compute_partition(model, features.slice(start, size))


def _partitions(model: ScoringModel, features: pl.DataFrame, size: int,
                scheduler: str | None) -> Iterator[tuple[int, PartitionResult]]:
    """Locally, or on the Dask cluster at `scheduler` (same function per partition, see cache_dask)."""
    if scheduler is None:
        return _local_partitions(model, features, size)
    from scoring.explain.cache_dask import dask_partitions

    total = -(-features.height // size)
    return progress(dask_partitions(scheduler, model, features, size), total=total, desc="partitions on Dask")


def _verify_build(build: Path, model: ScoringModel, features: pl.DataFrame, sample: int, seed: int) -> None:
    """Row count equals the feature table; on a sample, records match an independent prediction."""
    with contextlib.closing(diskcache.Cache(str(build))) as cache:
        meta = cache.get(META_KEY)
        if meta is None:
            raise CacheBuildError(f"verification failed: {build} has no metadata entry")
        n_records = len(cache) - 2  # minus the metadata and the probabilities entries
        if n_records != features.height:
            raise CacheBuildError(
                f"verification failed: {build} holds {n_records} clients, "
                f"the feature table {features.height}")
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(features.height, size=min(sample, features.height), replace=False))
        subset = features[rows]
        pos = dict(zip(subset.get_column("SK_ID_CURR").to_list(), rows.tolist(), strict=True))
        raw_ref = model.raw_score(subset)
        proba_ref = model.predict_proba(subset)
        dtype, base = record_dtype(len(meta["feature_names"])), float(meta["base_value"])
        bulk = np.frombuffer(cache.get(PROBA_KEY) or b"", dtype=PROBA_DTYPE)
        if not np.array_equal(bulk["id"], features.get_column("SK_ID_CURR").to_numpy()):
            raise CacheBuildError(f"verification failed: {build} probabilities entry does not "
                                  "list the feature table's clients in order")
        for cid, raw_expected, p_expected in zip(
            subset.get_column("SK_ID_CURR").to_list(), raw_ref, proba_ref, strict=True
        ):
            record = cache.get(cid)
            if record is None:
                raise CacheBuildError(f"verification failed: client {cid} missing from {build}")
            rec = np.frombuffer(record, dtype=dtype, count=1)[0]
            stored_sum = base + rec["shap"].astype(np.float64).sum()
            if abs(stored_sum - raw_expected) > ADDITIVITY_TOL:
                raise CacheBuildError(
                    f"verification failed: client {cid}: base + sum(SHAP) = {stored_sum:.9f} "
                    f"but the model's raw score is {raw_expected:.9f}")
            if abs(float(rec["probability"]) - p_expected) > 1e-9 or (
                    bulk["probability"][pos[cid]] != rec["probability"]):
                raise CacheBuildError(
                    f"verification failed: client {cid}: cached probability "
                    f"{float(rec['probability']):.9f} != model {p_expected:.9f}")


def _write_partitions(cache: diskcache.Cache, model: ScoringModel, features: pl.DataFrame, size: int,
                      scheduler: str | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Store every partition's records as it arrives; return every client's probability (in the
    table's order), the sum of |SHAP| per feature and the base value."""
    all_proba = np.empty(features.height, dtype=PROBA_DTYPE)
    abs_sums: dict[int, np.ndarray] = {}
    base_value = float("nan")
    with contextlib.closing(_partitions(model, features, size, scheduler)) as parts:
        for start, part in parts:
            ids = part.ids
            abs_sums[start], base_value = part.abs_shap_sum, part.base_value
            all_proba["id"][start : start + len(ids)] = ids
            all_proba["probability"][start : start + len(ids)] = part.probability
            write_chunk(cache, ids, encode_records(part.probability, part.raw, part.shap))
    abs_sum = np.zeros(len(model.feature_names))
    for start in sorted(abs_sums):  # in table order, whatever order the partitions came in
        abs_sum += abs_sums[start]
    return all_proba, abs_sum, base_value


def refresh_cache(paths: Paths, chunk_size: int = 20_000, *, verify_sample: int = 256,
                  scheduler: str | None = None) -> str:
    """Recompute every client's score and SHAP into a new build, verify it, then activate it.

    Partitions of `chunk_size` clients are computed here, or on the Dask
    cluster whose scheduler address is `scheduler` (`--dask`); either way this
    process alone writes the build, and any failed partition fails it.

    The build is for the registry's current model (the newest registered) and
    holds a snapshot of the input files it was computed from; rewriting
    `ACTIVE` thus switches model, inputs and SHAP values in one rename.
    Returns the new build id. Until that pointer rewrite, the previous
    build keeps being served; on any failure (including Ctrl-C) the temporary
    build is removed, and one left by a killed job is removed at the next run.
    """
    if chunk_size < 1:
        raise UserError(f"--chunk-size must be at least 1, got {chunk_size}")
    root = paths.shap_cache
    with refresh_lock(root):
        clean_unfinished_builds(root)
        model = load_current_model(paths)
        build_id = _new_build_id(model.version)
        tmp, final = root / f"{TMP_PREFIX}{build_id}", root / build_id
        try:
            inputs = snapshot_inputs(paths, tmp)  # first: the build computes from, and serves, these bytes
            features_file = build_input(tmp, paths.features)
            features = read_feature_table(features_file)
            signature = features_signature(paths.features)
            n, k = features.height, len(model.feature_names)
            log.info("refresh-cache: model %s, %d clients x %d features -> %s", model.version, n, k, build_id)
            with step("SHAP values"), contextlib.closing(diskcache.Cache(str(tmp), **BUILD_SETTINGS)) as cache:
                all_proba, abs_sum, base_value = _write_partitions(cache, model, features, chunk_size, scheduler)
                importance = dict(zip(model.feature_names, (abs_sum / max(n, 1)).tolist(), strict=True))
                meta = {
                    "build_id": build_id,
                    "model_version": model.version,
                    "feature_names": list(model.feature_names),
                    "base_value": base_value,
                    "global_importance": importance,
                    "threshold": float(model.threshold),
                    "n_clients": n,
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "features_signature": signature,
                    "features_sha256": file_sha256(features_file),
                    "model_created_at": model.card.get("created_at"),
                    "inputs": inputs,
                }
                cache.set(PROBA_KEY, all_proba.tobytes())
                cache.set(META_KEY, meta)
            with step("verify cache"):
                _verify_build(tmp, model, features, verify_sample, seed=n)
            manifest = {key: meta[key] for key in
                        ("build_id", "model_version", "model_created_at", "n_clients", "built_at",
                         "features_signature", "features_sha256", "inputs")}
            write_text_atomic(tmp / BUILD_MANIFEST, json.dumps(manifest, indent=2) + "\n")
            _fsync_tree(tmp)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        previous = read_pointer(root / ACTIVE_FILE)
        if previous is not None and previous != build_id:
            write_text_atomic(root / PREVIOUS_FILE, previous + "\n")
        write_text_atomic(root / ACTIVE_FILE, build_id + "\n")
        removed = prune_builds(paths)
        log.info("SHAP cache %s active (previous: %s; pruned: %s)", build_id, previous, removed or "none")
        nightly_snapshot(paths, model, features, all_proba["probability"], meta)  # logs, never raises
        return build_id


def cli_refresh_cache(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py refresh-cache [--chunk-size N] [--dask SCHEDULER] [--cache-dir DIR]` (the nightly job)."""
    started = time.perf_counter()
    try:
        build_id = refresh_cache(paths, chunk_size=args.chunk_size, scheduler=getattr(args, "dask", None))
    except UserError:
        raise
    except Exception as exc:  # disk full, SQLite, CatBoost...: one clear line, details with -v
        log.debug("refresh-cache failure", exc_info=True)
        active = read_pointer(paths.shap_cache / ACTIVE_FILE)
        raise CacheBuildError(
            f"refresh-cache failed: {type(exc).__name__}: {exc}; "
            f"the previous cache ({active or 'none'}) is still served"
        ) from exc
    log.info("refresh-cache finished in %.1f s: %s", time.perf_counter() - started, build_id)
    print(build_id)
    return 0


