"""The monitoring snapshot: fairness, drift and activity assembled into one JSON document.

The nightly `refresh-cache` computes one for the build it activates
(`nightly_snapshot`, which never raises: a monitoring failure is logged and
never costs the cache) and stores it as ``CACHE_DIR/monitoring/<build id>.json``;
`main.py monitor` computes one on demand; `GET /monitoring` and the
dashboard's monitoring section serve the active build's.

Populations:
- reference: the training clients (SAMPLE == "train");
- incoming: the new clients (SAMPLE == "new") plus every client of the table
  scored since the last refresh according to the prediction log;
- fairness "holdout": the training hold-out, re-derived from the model card's
  seed and fraction (`scoring.model.training.data.holdout_split`), with
  known outcomes; fairness "scored": every client the cache scored
  (decisions only).

Alarms: a model input (or the score) whose PSI is above 0.25, when at least
`drift.MIN_INCOMING` clients came in. Fairness findings (four-fifths rule,
equalised odds) need a person's review: they are listed apart.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring.atomic import write_text_atomic
from scoring.data.schema import ID_COLUMNS
from scoring.errors import UserError
from scoring.model import fairness
from scoring.model.decision import refused as decide
from scoring.monitoring import activity, drift
from scoring.paths import Paths
from scoring.progress import log
from scoring.text import catalogue

#: Bump when the snapshot's JSON changes shape.
SCHEMA_VERSION = 1
#: Stored snapshots kept (the newest), one per cache build.
KEEP = 30


@dataclass
class MonitoringInputs:
    """What a snapshot is computed from: the feature table and every client's probability."""

    features: pl.DataFrame  # SK_ID_CURR, TARGET, SAMPLE and the feature columns
    probability: np.ndarray  # one per row of `features`
    threshold: float
    model_version: str
    model_inputs: list[str]
    card: dict[str, Any] = field(default_factory=dict)
    build_id: str | None = None
    built_at: str | None = None

    @classmethod
    def of_store(cls, store: Any) -> MonitoringInputs:
        """The served pair's inputs, from an open `ShapStore` (duck-typed: monitoring sits beside
        explain, not above it)."""
        return cls(store.features, np.asarray(store.probabilities(), dtype=np.float64), store.threshold,
                   store.model_version, store.feature_names, dict(store.model.card), store.build_id,
                   store.built_at)


def _train_rows(features: pl.DataFrame) -> np.ndarray:
    return np.flatnonzero((features.get_column("SAMPLE") == "train").to_numpy())


def holdout_rows(features: pl.DataFrame, card: dict[str, Any]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Rows of the training hold-out (the split training made, from the card's seed and
    fraction), and a warning when the table no longer has the rows the model was trained on."""
    from scoring.model.training.data import holdout_split

    train = _train_rows(features)
    config = card.get("train_config") or {}
    y = features.get_column("TARGET").to_numpy()[train]
    if train.size < 10 or np.isnan(y.astype(np.float64)).any() or len(set(y.tolist())) < 2:
        return np.empty(0, dtype=np.int64), [{"reason": "no_holdout"}]
    _, hold = holdout_split(y.astype(np.int8), float(config.get("holdout_fraction", 0.2)),
                            int(config.get("seed", 42)))
    expected = (card.get("n_rows") or {}).get("train")
    warnings = [] if expected in (None, train.size) else [
        {"reason": "table_changed", "trained_on": expected, "now": int(train.size)}]
    return train[hold], warnings


def incoming_rows(features: pl.DataFrame, logged: np.ndarray) -> np.ndarray:
    """Rows of the new clients and of the clients scored since the last refresh."""
    new = (features.get_column("SAMPLE") == "new").to_numpy()
    return np.flatnonzero(new | np.isin(features.get_column("SK_ID_CURR").to_numpy(), logged))


def _fairness(inputs: MonitoringInputs, hold: np.ndarray) -> dict[str, Any]:
    groupings = catalogue.PROTECTED_GROUPINGS
    refused = decide(inputs.probability, inputs.threshold)
    out: dict[str, Any] = {}
    if hold.size:
        out["holdout"] = {"n": int(hold.size), "outcomes": True, "groupings": fairness.fairness_report(
            inputs.features[hold], inputs.probability[hold], refused[hold], groupings, outcomes=True)}
    out["scored"] = {"n": inputs.features.height, "outcomes": False, "groupings": fairness.fairness_report(
        inputs.features, inputs.probability, refused, groupings, outcomes=False)}
    return out


def _fairness_findings(fair: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(finding, scope=scope, grouping=key)
            for scope, part in fair.items() for key, g in part["groupings"].items()
            for finding in g.get("findings", [])]


def compute_snapshot(inputs: MonitoringInputs, log_path: Path, since: str | None) -> dict[str, Any]:
    """The whole snapshot (plain JSON values). `since`: when the last refresh happened (ISO
    UTC), to pick the clients scored since then from the prediction log (None: the log's
    whole window)."""
    started = time.perf_counter()
    features = inputs.features
    if features.height != len(inputs.probability):
        raise UserError(f"monitoring: {features.height} feature rows but {len(inputs.probability)} "
                        "probabilities")
    logged = activity.scored_clients(activity.read_log(log_path, since))
    incoming = incoming_rows(features, logged)
    train = _train_rows(features)
    hold, warnings = holdout_rows(features, inputs.card)
    columns = [c for c in features.columns if c not in ID_COLUMNS]
    reference_frame, incoming_frame = features[train], features[incoming]
    features_drift = drift.population_drift(reference_frame, incoming_frame, columns, set(inputs.model_inputs))
    score = drift.score_drift(inputs.probability[train], inputs.probability[incoming])
    fair = _fairness(inputs, hold)
    score_alarm = features_drift["enough_incoming"] and score["psi"] > drift.PSI_SHIFT
    n_new = int((features.get_column("SAMPLE") == "new").sum())
    snapshot = {
        "schema": SCHEMA_VERSION,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": inputs.model_version,
        "build_id": inputs.build_id,
        "cache_built_at": inputs.built_at,
        "threshold": float(inputs.threshold),
        "limits": {"psi_watch": drift.PSI_WATCH, "psi_shift": drift.PSI_SHIFT,
                   "min_incoming": drift.MIN_INCOMING, "four_fifths": fairness.FOUR_FIFTHS,
                   "equalised_odds": fairness.EQUALISED_ODDS_LIMIT, "min_group": fairness.MIN_GROUP,
                   "min_outcomes": fairness.MIN_OUTCOMES},
        "policy": {"excluded_inputs": list(catalogue.excluded_inputs()),
                   "protected_model_inputs": [n for n in inputs.model_inputs
                                              if n in catalogue.CATALOGUE and catalogue.CATALOGUE[n].protected],
                   "excluded_inputs_used": [n for n in catalogue.excluded_inputs() if n in inputs.model_inputs]},
        "groupings": [{"key": g.key, "column": g.column, "labels": {"fr": g.label_fr, "en": g.label_en}}
                      for g in catalogue.PROTECTED_GROUPINGS],
        "populations": {"reference": {"n": int(train.size)},
                        "incoming": {"n": int(incoming.size), "new_clients": n_new,
                                     "logged_clients": int(logged.size), "logged_since": since},
                        "holdout": {"n": int(hold.size)}, "scored": {"n": features.height}},
        "drift": {"score": score, "features": features_drift["features"], "ranked": features_drift["ranked"],
                  "enough_incoming": features_drift["enough_incoming"]},
        "fairness": fair,
        "activity": activity.activity(log_path, score["edges"]),
        "alarms": {"drift": ([{"feature": "__score__", "psi": score["psi"]}] if score_alarm else [])
                   + features_drift["alarms"],
                   "fairness": _fairness_findings(fair)},
        "warnings": warnings,
    }
    snapshot["seconds"] = round(time.perf_counter() - started, 3)
    return json_ready(snapshot)


def json_ready(obj: Any) -> Any:
    """Plain JSON: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# --------------------------------------------------------------------------- storage

def write_snapshot(snapshot: dict[str, Any], target: Path) -> Path:
    """Write the snapshot as JSON in one rename (never a half-written file)."""
    write_text_atomic(Path(target), json.dumps(snapshot, ensure_ascii=False, allow_nan=False) + "\n")
    return Path(target)


def read_snapshot(path: Path) -> dict[str, Any]:
    """A stored snapshot (UserError naming the file when it is not one)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"monitoring snapshot {path} unreadable: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise UserError(f"monitoring snapshot {path}: not a schema-{SCHEMA_VERSION} snapshot")
    return data


def snapshot_path(paths: Paths, build_id: str) -> Path:
    return paths.monitoring / f"{build_id}.json"


def stored_snapshot(paths: Paths, build_id: str) -> dict[str, Any] | None:
    """The snapshot stored for a cache build, or None when there is none."""
    path = snapshot_path(paths, build_id)
    return read_snapshot(path) if path.is_file() else None


_READ_CACHE: dict[Path, tuple[int, dict[str, Any]]] = {}
_READ_LOCK = threading.Lock()


def served_snapshot(paths: Paths, build_id: str) -> dict[str, Any] | None:
    """The build's stored snapshot for a server (a private copy), None when there is none; the
    file is parsed again only when it changes (a `monitor --store` replaces it)."""
    path = snapshot_path(paths, build_id)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _READ_LOCK:
        cached = _READ_CACHE.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, read_snapshot(path))
            _READ_CACHE[path] = cached
    return copy.deepcopy(cached[1])


def _stored(paths: Paths) -> list[Path]:
    """Stored snapshots, oldest first (by modification time)."""
    if not paths.monitoring.is_dir():
        return []
    return sorted(paths.monitoring.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)


def previous_refresh(paths: Paths, build_id: str | None) -> str | None:
    """When the refresh before `build_id` built its cache (from the newest other snapshot)."""
    for path in reversed(_stored(paths)):
        if path.stem != build_id:
            try:
                return read_snapshot(path).get("cache_built_at")
            except UserError:
                continue
    return None


def store_snapshot(paths: Paths, snapshot: dict[str, Any]) -> Path:
    """Store the snapshot for its build and keep the newest `KEEP`."""
    if not snapshot.get("build_id"):
        raise UserError("monitoring: a stored snapshot needs the cache build it describes")
    target = write_snapshot(snapshot, snapshot_path(paths, str(snapshot["build_id"])))
    for old in _stored(paths)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def nightly_snapshot(paths: Paths, model: Any, features: pl.DataFrame, probability: np.ndarray,
                     meta: dict[str, Any]) -> Path | None:
    """The nightly job's snapshot for the build it just made; never raises (logs instead)."""
    try:
        started = time.perf_counter()
        inputs = MonitoringInputs(features, np.asarray(probability, dtype=np.float64), float(model.threshold),
                                  model.version, list(model.feature_names), dict(model.card),
                                  meta.get("build_id"), meta.get("built_at"))
        snapshot = compute_snapshot(inputs, paths.prediction_log, previous_refresh(paths, inputs.build_id))
        target = store_snapshot(paths, snapshot)
        log.info("monitoring snapshot %s in %.1f s: %d drift alarm(s), %d fairness finding(s)", target,
                 time.perf_counter() - started, len(snapshot["alarms"]["drift"]),
                 len(snapshot["alarms"]["fairness"]))
        return target
    except Exception:  # noqa: BLE001 - monitoring must never cost the nightly cache
        log.exception("monitoring snapshot failed (the cache build is unaffected)")
        return None
