"""The nightly SHAP cache: every client's probability and TreeSHAP values, and a fast reader.

Layout under ``paths.shap_cache`` (``cache/shap/``)::

    ACTIVE                       build id served by readers (rewritten atomically)
    PREVIOUS                     build id kept for rollback
    <version>-<UTC timestamp>/   one complete build: a diskcache directory + build.json
    .building-<build id>/        a build in progress (removed if the job dies; cleaned next run)
    .refresh.lock                held by the running refresh (two jobs never overlap)

Inside a build, the diskcache holds one entry per client, key ``SK_ID_CURR`` (int)
→ a fixed-size little-endian record ``(probability f8, raw_score f8, shap f4[k])``,
one metadata entry (``META_KEY``): model version, feature names, base value,
global importance (mean |SHAP|), threshold, client count, build time; and one
entry (``PROBA_KEY``) with every client's probability in a single blob, so that
population views need no per-client reads.

Precision: SHAP values are stored as float32 (half the disk, 7 significant
digits, far below what an advisor reads). The exact float64 raw score is stored
too, and the reader assigns the float32 rounding residual (bounded by
sum|shap| * 2**-24, about 1e-7) to the largest contribution, so that
``base_value + shap.sum() == raw score`` holds to float64 precision on every
explanation served.

Readers: ``ShapStore.open(paths)`` once per process; the store re-opens its
SQLite handle after a fork (``bokeh serve --num-procs``), keeps serving its own
consistent (model, build) pair until ``is_current(paths)`` turns False (a
long-lived process may then open a new store), and falls back to on-the-fly
computation if its build became unreadable.

Staleness policy: a cache built for another model version than the registry's
current model is never served: ``ShapStore.open`` raises ``StaleCacheError``
(run ``python main.py refresh-cache``). Clients missing from an otherwise
current cache (added to the feature table after the build) are computed on the
fly and never written into the shared cache.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import diskcache
import numpy as np
import polars as pl

from scoring.atomic import write_text_atomic
from scoring.errors import ArtefactMissing, UnknownClient, UserError
from scoring.model.decision import refused
from scoring.model.scoring_model import ScoringModel
from scoring.paths import Paths
from scoring.progress import log, progress, step

ACTIVE_FILE = "ACTIVE"
PREVIOUS_FILE = "PREVIOUS"
LOCK_FILE = ".refresh.lock"
BUILD_MANIFEST = "build.json"
TMP_PREFIX = ".building-"
#: Key of the metadata entry; client keys are ints so they can never collide with it.
META_KEY = "__meta__"
#: Key of every client's (SK_ID_CURR, probability) in one blob, for the population views.
PROBA_KEY = "__probabilities__"
PROBA_DTYPE = np.dtype([("id", "<i8"), ("probability", "<f8")])
#: Records are stored inside SQLite (never as side files) below this size.
DISK_MIN_FILE_SIZE = 1 << 24
#: Settings for the bulk build: no fsync per transaction (a crash discards the
#: whole temporary build anyway), WAL, and no eviction whatever the size.
BUILD_SETTINGS: dict[str, Any] = dict(
    sqlite_synchronous=0,
    sqlite_journal_mode="wal",
    disk_min_file_size=DISK_MIN_FILE_SIZE,
    size_limit=2**48,
    eviction_policy="none",
    statistics=0,
    tag_index=0,
)
#: Additivity tolerance of the verification step (log-odds).
ADDITIVITY_TOL = 1e-6
_BUILD_ID_RE = re.compile(r"^[A-Za-z0-9._-]+-\d{8}T\d{6}\d{6}Z$")


class StaleCacheError(UserError):
    """The active cache was built for another model version than the current one."""


class CacheBuildError(UserError):
    """A refresh failed (verification or I/O); the previous cache is still served."""


class UnknownClientError(KeyError, UnknownClient):
    """No client with that SK_ID_CURR in the feature table (also a service.UnknownClient: HTTP 404)."""

    def __init__(self, client_id: Any):
        super().__init__(client_id)
        self.client_id = client_id

    def __str__(self) -> str:
        return f"unknown client SK_ID_CURR={self.client_id!r}"


@dataclass(frozen=True)
class ClientExplanation:
    """One client's probability, decision and SHAP contributions (log-odds), shared read-only."""

    client_id: int | None
    probability: float
    refused: bool
    shap: np.ndarray  # float64, one value per model feature, in model order
    base_value: float
    feature_values: dict[str, Any]


# --------------------------------------------------------------------------- records


def record_dtype(n_features: int) -> np.dtype:
    """The fixed-size record of one client: probability, raw log-odds score, float32 SHAP."""
    return np.dtype([("probability", "<f8"), ("raw", "<f8"), ("shap", "<f4", (n_features,))])


def encode_records(probability: np.ndarray, raw: np.ndarray, shap: np.ndarray) -> list[bytes]:
    """Pack a chunk into one bytes record per client (vectorised, then sliced)."""
    dtype = record_dtype(shap.shape[1])
    packed = np.empty(len(probability), dtype=dtype)
    packed["probability"], packed["raw"], packed["shap"] = probability, raw, shap
    buf, size = packed.tobytes(), dtype.itemsize
    return [buf[i : i + size] for i in range(0, len(buf), size)]


def decode_record(record: bytes, dtype: np.dtype, base_value: float) -> tuple[float, float, np.ndarray]:
    """(probability, raw score, float64 SHAP) with the float32 residual put on the largest term."""
    rec = np.frombuffer(record, dtype=dtype, count=1)[0]
    shap = rec["shap"].astype(np.float64)
    raw = float(rec["raw"])
    if shap.size:
        shap[np.argmax(np.abs(shap))] += raw - base_value - shap.sum()
    shap.flags.writeable = False
    return float(rec["probability"]), raw, shap


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- layout helpers


def _read_pointer(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def active_build(paths: Paths) -> Path | None:
    """Directory of the build readers serve, or None when no cache was ever activated."""
    build_id = _read_pointer(paths.shap_cache / ACTIVE_FILE)
    if build_id is None:
        return None
    build = paths.shap_cache / build_id
    return build if (build / BUILD_MANIFEST).is_file() else None


def read_manifest(build: Path) -> dict[str, Any]:
    """The small JSON summary of a build (model version, counts), readable without diskcache."""
    try:
        return json.loads((build / BUILD_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"SHAP cache manifest {build / BUILD_MANIFEST} unreadable: {exc}") from exc


def active_manifest(paths: Paths) -> dict[str, Any] | None:
    """Manifest of the active build, or None (used by the pipeline to decide on a refresh)."""
    build = active_build(paths)
    return read_manifest(build) if build is not None else None


def features_signature(path: Path) -> str:
    """Cheap identity of the feature table file (size and mtime) recorded in each build."""
    st = path.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


def _load_current_model(paths: Paths) -> ScoringModel:
    """The registry's current model (ArtefactMissing when none was trained)."""
    from scoring.model.registry import load_current

    return load_current(paths)


def _read_features(paths: Paths) -> pl.DataFrame:
    if not paths.features.is_file():
        raise ArtefactMissing(f"feature table missing: {paths.features} (run `python main.py features`)")
    features = pl.read_parquet(paths.features)
    if "SK_ID_CURR" not in features.columns:
        raise UserError(f"{paths.features}: column SK_ID_CURR missing")
    if features.height == 0:
        raise UserError(f"{paths.features}: the feature table has no rows")
    ids = features.get_column("SK_ID_CURR")
    if ids.null_count():
        raise UserError(f"{paths.features}: column SK_ID_CURR has {ids.null_count()} null value(s)")
    if ids.n_unique() != features.height:
        dup = ids.filter(ids.is_duplicated()).first()
        raise UserError(f"{paths.features}: column SK_ID_CURR is not unique (e.g. {dup})")
    return features


@contextlib.contextmanager
def _refresh_lock(root: Path) -> Iterator[None]:
    """Exclusive, non-blocking: a second refresh (cron overlap) fails instead of racing."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another refresh-cache is running (lock {root / LOCK_FILE})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_stale_builds(root: Path) -> None:
    for tmp in root.glob(f"{TMP_PREFIX}*"):
        log.info("removing unfinished build %s (left by an interrupted refresh)", tmp.name)
        shutil.rmtree(tmp, ignore_errors=True)


def _builds(root: Path) -> list[Path]:
    """Complete build directories, oldest first."""
    return sorted(p for p in root.iterdir() if p.is_dir() and _BUILD_ID_RE.match(p.name)
                  and (p / BUILD_MANIFEST).is_file())


def prune_builds(paths: Paths) -> list[str]:
    """Delete every complete build except the active and the previous one; return removed ids."""
    root = paths.shap_cache
    keep = {_read_pointer(root / ACTIVE_FILE), _read_pointer(root / PREVIOUS_FILE)}
    removed = []
    for build in _builds(root):
        if build.name not in keep:
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build.name)
    return removed


def rollback_cache(paths: Paths) -> str:
    """Serve the previous build again (swap ACTIVE and PREVIOUS); return the new active id."""
    root = paths.shap_cache
    with _refresh_lock(root):
        active, previous = _read_pointer(root / ACTIVE_FILE), _read_pointer(root / PREVIOUS_FILE)
        if previous is None or not (root / previous / BUILD_MANIFEST).is_file():
            raise UserError(f"no previous SHAP cache to roll back to in {root}")
        write_text_atomic(root / ACTIVE_FILE, previous + "\n")
        if active is not None:
            write_text_atomic(root / PREVIOUS_FILE, active + "\n")
        return previous


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


def _compute_chunk(model: ScoringModel, chunk: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(probability, raw score, SHAP (n, k), base value) of one chunk, from one TreeSHAP pass."""
    shap, base = model.shap_values(chunk)
    raw = base + shap.sum(axis=1)
    return _sigmoid(raw), raw, shap, float(base[0])


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


def refresh_cache(paths: Paths, chunk_size: int = 20_000, *, verify_sample: int = 256) -> str:
    """Recompute every client's score and SHAP into a new build, verify it, then activate it.

    Returns the new build id. Until the final pointer rewrite, the previous
    build keeps being served; on any failure (including Ctrl-C) the temporary
    build is removed, and one left by a killed job is removed at the next run.
    """
    if chunk_size < 1:
        raise UserError(f"--chunk-size must be at least 1, got {chunk_size}")
    root = paths.shap_cache
    with _refresh_lock(root):
        _clean_stale_builds(root)
        model = _load_current_model(paths)
        features = _read_features(paths)
        signature = features_signature(paths.features)
        build_id = _new_build_id(model.version)
        tmp, final = root / f"{TMP_PREFIX}{build_id}", root / build_id
        n, k = features.height, len(model.feature_names)
        log.info("refresh-cache: model %s, %d clients x %d features -> %s", model.version, n, k, build_id)
        try:
            with step("SHAP values"), contextlib.closing(diskcache.Cache(str(tmp), **BUILD_SETTINGS)) as cache:
                abs_sum, base_value = np.zeros(k), float("nan")
                all_proba = np.empty(n, dtype=PROBA_DTYPE)
                starts = range(0, n, chunk_size)
                for start in progress(starts, total=len(starts), desc="clients chunks"):
                    chunk = features.slice(start, chunk_size)
                    proba, raw, shap, base_value = _compute_chunk(model, chunk)
                    abs_sum += np.abs(shap).sum(axis=0)
                    ids = chunk.get_column("SK_ID_CURR").to_numpy()
                    all_proba["id"][start : start + len(ids)] = ids
                    all_proba["probability"][start : start + len(ids)] = proba
                    write_chunk(cache, ids, encode_records(proba, raw, shap.astype(np.float32)))
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
                }
                cache.set(PROBA_KEY, all_proba.tobytes())
                cache.set(META_KEY, meta)
            with step("verify cache"):
                _verify_build(tmp, model, features, verify_sample, seed=n)
            manifest = {key: meta[key] for key in
                        ("build_id", "model_version", "n_clients", "built_at", "features_signature")}
            write_text_atomic(tmp / BUILD_MANIFEST, json.dumps(manifest, indent=2) + "\n")
            _fsync_tree(tmp)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        previous = _read_pointer(root / ACTIVE_FILE)
        if previous is not None and previous != build_id:
            write_text_atomic(root / PREVIOUS_FILE, previous + "\n")
        write_text_atomic(root / ACTIVE_FILE, build_id + "\n")
        removed = prune_builds(paths)
        log.info("SHAP cache %s active (previous: %s; pruned: %s)", build_id, previous, removed or "none")
        return build_id


def cli_refresh_cache(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py refresh-cache [--chunk-size N] [--cache-dir DIR]` (the nightly job)."""
    started = time.perf_counter()
    try:
        build_id = refresh_cache(paths, chunk_size=args.chunk_size)
    except UserError:
        raise
    except Exception as exc:  # disk full, SQLite, CatBoost...: one clear line, details with -v
        log.debug("refresh-cache failure", exc_info=True)
        active = _read_pointer(paths.shap_cache / ACTIVE_FILE)
        raise CacheBuildError(
            f"refresh-cache failed: {type(exc).__name__}: {exc}; "
            f"the previous cache ({active or 'none'}) is still served"
        ) from exc
    log.info("refresh-cache finished in %.1f s: %s", time.perf_counter() - started, build_id)
    print(build_id)
    return 0


# --------------------------------------------------------------------------- reader


def _open_build(build: Path) -> diskcache.Cache:
    """Open an existing build (diskcache would silently create an empty one at a missing path)."""
    if not (build / "cache.db").is_file():
        raise FileNotFoundError(f"SHAP cache database missing: {build / 'cache.db'}")
    return diskcache.Cache(str(build))


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class ShapStore:
    """Current model + active SHAP cache + feature tables, opened once per process.

    Everything it holds is read-only, so one instance is shared by all Bokeh
    sessions and API requests. ``lookup`` reads one SQLite row (tens of µs);
    ``explain_features`` runs TreeSHAP on one row (the what-if path).
    """

    def __init__(self, model: ScoringModel, build: Path, cache: diskcache.Cache, meta: dict[str, Any],
                 features: pl.DataFrame, history: pl.DataFrame | None):
        self.model = model
        self.build = build
        self._cache = cache
        self._pid = os.getpid()
        self._meta = meta
        self._dtype = record_dtype(len(model.feature_names))
        self.base_value = float(meta["base_value"])
        self._features = features
        self._model_rows = features.select(model.feature_names)
        ids = features.get_column("SK_ID_CURR").to_numpy().astype(np.int64)
        self._ids = _readonly(ids)
        self._index = dict(zip(ids.tolist(), range(len(ids)), strict=True))
        self._history = history
        self._history_index = (
            dict(zip(history.get_column("SK_ID_CURR").to_list(), range(history.height), strict=True))
            if history is not None and "SK_ID_CURR" in history.columns else {}
        )
        names = model.feature_names
        self._importance = dict(sorted(
            ((name, float(meta["global_importance"][name])) for name in names),
            key=lambda item: -item[1]))
        self._cache_errors = 0
        self._probabilities: np.ndarray | None = None

    @classmethod
    def open(cls, paths: Paths) -> ShapStore:
        """Load the current model, the active cache (refused if stale) and the feature tables."""
        model = _load_current_model(paths)
        build = active_build(paths)
        if build is None:
            raise ArtefactMissing(f"no active SHAP cache in {paths.shap_cache} "
                                  "(run `python main.py refresh-cache`)")
        try:
            cache = _open_build(build)
        except FileNotFoundError as exc:
            raise ArtefactMissing(f"{exc} (run `python main.py refresh-cache`)") from exc
        meta = cache.get(META_KEY)
        if meta is None:
            cache.close()
            raise UserError(f"SHAP cache {build} has no metadata (run `python main.py refresh-cache`)")
        if meta["model_version"] != model.version or list(meta["feature_names"]) != model.feature_names:
            cache.close()
            raise StaleCacheError(
                f"SHAP cache {build.name} was built for model {meta['model_version']} but the current "
                f"model is {model.version}: run `python main.py refresh-cache`")
        features = _read_features(paths)
        missing = [c for c in model.feature_names if c not in features.columns]
        if missing:
            cache.close()
            raise UserError(f"{paths.features} lacks model columns {', '.join(missing[:10])} "
                            "(rebuild with `python main.py features` or retrain)")
        if meta.get("features_signature") != features_signature(paths.features):
            log.warning("feature table %s changed since SHAP cache %s was built; run refresh-cache",
                        paths.features, build.name)
        history = pl.read_parquet(paths.history_features) if paths.history_features.is_file() else None
        return cls(model, build, cache, meta, features, history)

    def close(self) -> None:
        self._cache.close()

    def _process_cache(self) -> diskcache.Cache:
        """This process's handle: SQLite connections must not cross a fork (bokeh --num-procs)."""
        if os.getpid() != self._pid:
            self._cache = _open_build(self.build)
            self._pid = os.getpid()
        return self._cache

    def is_current(self, paths: Paths) -> bool:
        """False once a newer model or cache was activated: a long-lived process may reopen.

        Until then this store keeps serving its own consistent (model, cache) pair.
        """
        from scoring.model.registry import current_version

        try:
            return (current_version(paths) == self.model.version
                    and _read_pointer(paths.shap_cache / ACTIVE_FILE) == self.build.name)
        except UserError:
            return False

    # -- shared read-only views
    @property
    def model_version(self) -> str:
        return self.model.version

    @property
    def threshold(self) -> float:
        return float(self.model.threshold)

    @property
    def feature_names(self) -> list[str]:
        return list(self.model.feature_names)

    @property
    def build_id(self) -> str:
        return str(self._meta["build_id"])

    @property
    def built_at(self) -> str:
        return str(self._meta["built_at"])

    @property
    def features(self) -> pl.DataFrame:
        """The whole feature table (Polars frames are immutable)."""
        return self._features

    @property
    def history_features(self) -> pl.DataFrame | None:
        return self._history

    def global_importance(self) -> dict[str, float]:
        """Mean |SHAP| per feature over all clients, largest first (a fresh dict)."""
        return dict(self._importance)

    def probabilities(self) -> np.ndarray:
        """Every client's probability in feature-table order (read-only; loaded on first call).

        Clients added to the table after the build are scored on the fly (never stored).
        """
        if self._probabilities is None:
            bulk = np.frombuffer(self._process_cache().get(PROBA_KEY) or b"", dtype=PROBA_DTYPE)
            if np.array_equal(bulk["id"], self._ids):
                proba = bulk["probability"].copy()
            else:
                cached = dict(zip(bulk["id"].tolist(), bulk["probability"].tolist(), strict=True))
                proba = np.array([cached.get(cid, np.nan) for cid in self._ids.tolist()])
                missing = np.flatnonzero(np.isnan(proba))
                if missing.size:
                    proba[missing] = self.model.predict_proba(self._features[missing])
            self._probabilities = _readonly(proba)
        return self._probabilities

    def client_ids(self) -> np.ndarray:
        """SK_ID_CURR of every client in the feature table (read-only array)."""
        return self._ids

    def has_client(self, client_id: int) -> bool:
        return self._row_index(client_id) is not None

    def _row_index(self, client_id: Any) -> int | None:
        try:
            return self._index.get(int(client_id))
        except (TypeError, ValueError, OverflowError):
            return None

    def _require(self, client_id: Any) -> int:
        row = self._row_index(client_id)
        if row is None:
            raise UnknownClientError(client_id)
        return row

    def features_row(self, client_id: int) -> pl.DataFrame:
        """The client's row of the feature table (1 row, all columns)."""
        return self._features.slice(self._require(client_id), 1)

    def history_row(self, client_id: int) -> pl.DataFrame | None:
        """The client's history aggregates (1 row), or None when the client has no history."""
        self._require(client_id)
        row = self._history_index.get(int(client_id))
        return None if row is None else self._history.slice(row, 1)

    # -- explanations
    def lookup(self, client_id: int) -> ClientExplanation:
        """A client's cached explanation; computed on the fly (not stored) if absent from the cache."""
        row = self._require(client_id)
        cid = int(client_id)
        try:
            record = self._process_cache().get(cid)
        except (sqlite3.Error, OSError) as exc:  # e.g. build pruned under a long-lived process
            self._cache_errors += 1
            if self._cache_errors == 1:
                log.warning("SHAP cache %s unreadable (%s): computing on the fly", self.build.name, exc)
            record = None
        if record is None:
            return self.explain_features(self._features.slice(row, 1))
        probability, _raw, shap = decode_record(record, self._dtype, self.base_value)
        return ClientExplanation(
            client_id=cid,
            probability=probability,
            refused=refused(probability, self.threshold),
            shap=shap,
            base_value=self.base_value,
            feature_values=self._model_rows.row(row, named=True),
        )

    def explain_features(self, features: pl.DataFrame) -> ClientExplanation:
        """Score and TreeSHAP for one (edited or new) client's feature row, never cached."""
        if features.height != 1:
            raise UserError(f"explain_features expects exactly one feature row, got {features.height}")
        shap, base = self.model.shap_values(features)
        raw = float(base[0] + shap[0].sum())
        probability = float(_sigmoid(np.float64(raw)))
        client_id = None
        if "SK_ID_CURR" in features.columns and features.item(0, "SK_ID_CURR") is not None:
            client_id = int(features.item(0, "SK_ID_CURR"))
        return ClientExplanation(
            client_id=client_id,
            probability=probability,
            refused=refused(probability, self.threshold),
            shap=_readonly(np.ascontiguousarray(shap[0], dtype=np.float64)),
            base_value=float(base[0]),
            feature_values=features.select(self.model.feature_names).row(0, named=True),
        )
