"""The SHAP cache on disk: pointers, build manifests, the per-client record format, the lock.

Shared by the nightly build (`cache_build`) and the reader (`shap_store`); see
`scoring.explain.shap_cache` for the layout and the guarantees.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring.atomic import write_text_atomic
from scoring.errors import ArtefactMissing, UnknownClient, UserError
from scoring.model.scoring_model import ScoringModel
from scoring.paths import Paths
from scoring.progress import log

ACTIVE_FILE = "ACTIVE"
PREVIOUS_FILE = "PREVIOUS"
LOCK_FILE = ".refresh.lock"
BUILD_MANIFEST = "build.json"
TMP_PREFIX = ".building-"
#: Folder of a build holding its snapshot of the served input files.
INPUTS_DIR = "inputs"
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


def is_build_id(name: str) -> bool:
    """A build folder's name: <model version>-<UTC timestamp> (never a path)."""
    return bool(_BUILD_ID_RE.match(name))


class StaleCacheError(UserError):
    """The active build does not fit the model it names (another feature list)."""


class CacheBuildError(UserError):
    """A refresh failed (verification or I/O); the previous cache is still served."""


class UnknownClientError(KeyError, UnknownClient):
    """No client with that SK_ID_CURR in the feature table (also a service.UnknownClient: HTTP 404)."""

    def __init__(self, client_id: Any):
        super().__init__(client_id)
        self.client_id = client_id

    def __str__(self) -> str:
        return f"unknown client SK_ID_CURR={self.client_id!r}"



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


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- layout helpers


def read_pointer(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def active_build(paths: Paths) -> Path | None:
    """Directory of the build readers serve, or None when no cache was ever activated."""
    build_id = read_pointer(paths.shap_cache / ACTIVE_FILE)
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


def load_current_model(paths: Paths) -> ScoringModel:
    """The registry's current model: the newest registered one, which the next build is for."""
    from scoring.model.registry import load_current

    return load_current(paths)


def load_model_version(paths: Paths, version: str) -> ScoringModel:
    """One registered model version (the one an active build names)."""
    from scoring.model.registry import load_version

    return load_version(paths, version)


def input_files(paths: Paths) -> list[Path]:
    """The live files a build snapshots: the feature tables and the raw application rows.

    Serving reads them from the build, never from their live place, so that a
    rebuilt feature table or a new raw load is served only with the model and
    SHAP values computed from it.
    """
    from scoring.data.schema import APPLICATION_TABLES, TABLES

    return [paths.features, paths.history_features,
            *(paths.interim / TABLES[name].parquet_name for name in APPLICATION_TABLES)]


def snapshot_inputs(paths: Paths, build: Path) -> dict[str, int]:
    """Hard-link (copy across file systems) the input files into `build/inputs`; name -> size.

    Writers replace these files by renaming a new file over them, never in
    place, so a hard link keeps the snapshot's bytes whatever happens next.
    """
    target = build / INPUTS_DIR
    target.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for source in input_files(paths):
        if not source.is_file():
            continue
        dest = target / source.name
        try:
            os.link(source, dest)
        except OSError:  # another file system, or links not supported
            shutil.copy2(source, dest)
        sizes[source.name] = dest.stat().st_size
    return sizes


def build_input(build: Path, live: Path) -> Path:
    """The build's snapshot of `live` when it has one, else `live` (builds made before snapshots)."""
    snapshot = build / INPUTS_DIR / live.name
    return snapshot if snapshot.is_file() else live


def read_feature_table(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise ArtefactMissing(f"feature table missing: {path} (run `python main.py features`)")
    features = pl.read_parquet(path)
    if "SK_ID_CURR" not in features.columns:
        raise UserError(f"{path}: column SK_ID_CURR missing")
    if features.height == 0:
        raise UserError(f"{path}: the feature table has no rows")
    ids = features.get_column("SK_ID_CURR")
    if ids.null_count():
        raise UserError(f"{path}: column SK_ID_CURR has {ids.null_count()} null value(s)")
    if ids.n_unique() != features.height:
        dup = ids.filter(ids.is_duplicated()).first()
        raise UserError(f"{path}: column SK_ID_CURR is not unique (e.g. {dup})")
    return features


@contextlib.contextmanager
def refresh_lock(root: Path) -> Iterator[None]:
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


def clean_unfinished_builds(root: Path) -> None:
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
    keep = {read_pointer(root / ACTIVE_FILE), read_pointer(root / PREVIOUS_FILE)}
    removed = []
    for build in _builds(root):
        if build.name not in keep:
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build.name)
    return removed


def rollback_cache(paths: Paths) -> str:
    """Serve the previous build again (swap ACTIVE and PREVIOUS); return the new active id."""
    root = paths.shap_cache
    with refresh_lock(root):
        active, previous = read_pointer(root / ACTIVE_FILE), read_pointer(root / PREVIOUS_FILE)
        if previous is None or not (root / previous / BUILD_MANIFEST).is_file():
            raise UserError(f"no previous SHAP cache to roll back to in {root}")
        write_text_atomic(root / ACTIVE_FILE, previous + "\n")
        if active is not None:
            write_text_atomic(root / PREVIOUS_FILE, active + "\n")
        return previous


