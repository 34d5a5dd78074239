"""The reader of the active SHAP cache, opened once per process and shared read-only."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache
import numpy as np
import polars as pl

from scoring.errors import ArtefactMissing, UserError
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    META_KEY,
    PROBA_DTYPE,
    PROBA_KEY,
    StaleCacheError,
    UnknownClientError,
    active_build,
    build_input,
    decode_record,
    features_signature,
    load_model_version,
    read_feature_table,
    read_pointer,
    record_dtype,
    sigmoid,
)
from scoring.model.decision import refused
from scoring.model.scoring_model import ScoringModel
from scoring.paths import Paths
from scoring.progress import log


@dataclass(frozen=True)
class ClientExplanation:
    """One client's probability, decision and SHAP contributions (log-odds), shared read-only."""

    client_id: int | None
    probability: float
    refused: bool
    shap: np.ndarray  # float64, one value per model feature, in model order
    base_value: float
    feature_values: dict[str, Any]



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
        """Open the served pair: the active build, the model version it names, its input snapshot.

        The registry's `CURRENT` model may be newer (trained, its cache not yet
        built): it is served only once `refresh-cache` activates a build for it.
        """
        build = active_build(paths)
        if build is None:
            raise ArtefactMissing(f"no active SHAP cache in {paths.shap_cache} "
                                  "(run `python main.py refresh-cache`)")
        try:
            cache = _open_build(build)
        except FileNotFoundError as exc:
            raise ArtefactMissing(f"{exc} (run `python main.py refresh-cache`)") from exc
        try:
            meta = cache.get(META_KEY)
            if meta is None:
                raise UserError(f"SHAP cache {build} has no metadata (run `python main.py refresh-cache`)")
            model = load_model_version(paths, str(meta["model_version"]))
            if list(meta["feature_names"]) != model.feature_names:
                raise StaleCacheError(f"SHAP cache {build.name} does not fit model {model.version} "
                                      "(other features): run `python main.py refresh-cache`")
            features_file = build_input(build, paths.features)
            features = read_feature_table(features_file)
            missing = [c for c in model.feature_names if c not in features.columns]
            if missing:
                raise UserError(f"{features_file} lacks model columns {', '.join(missing[:10])} "
                                "(rebuild with `python main.py features` or retrain)")
        except BaseException:
            cache.close()
            raise
        if features_file == paths.features and meta.get("features_signature") != features_signature(features_file):
            log.warning("feature table %s changed since SHAP cache %s was built; run refresh-cache",
                        paths.features, build.name)
        history_file = build_input(build, paths.history_features)
        history = pl.read_parquet(history_file) if history_file.is_file() else None
        return cls(model, build, cache, meta, features, history)

    def input_file(self, live: Path) -> Path:
        """Where this store's snapshot of a live input file is (the live file for older builds)."""
        return build_input(self.build, live)

    def close(self) -> None:
        self._cache.close()

    def _process_cache(self) -> diskcache.Cache:
        """This process's handle: SQLite connections must not cross a fork (bokeh --num-procs)."""
        if os.getpid() != self._pid:
            self._cache = _open_build(self.build)
            self._pid = os.getpid()
        return self._cache

    def is_current(self, paths: Paths) -> bool:
        """False once another build was activated: a long-lived process may then reopen.

        Until then this store keeps serving its own consistent (model, cache) pair.
        """
        return read_pointer(paths.shap_cache / ACTIVE_FILE) == self.build.name

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

    def probability(self, client_id: int) -> float:
        """One client's cached probability from the in-memory array (no record decoded): the
        score route's fast path, a few microseconds."""
        return float(self.probabilities()[self._require(client_id)])

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
        probability = float(sigmoid(np.float64(raw)))
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
