"""Model versions on disk and the `CURRENT` pointer to the newest one.

Layout: ``DATA_DIR/models/<version>/{model.cbm, model_card.json, report.json,
report.md}`` and ``DATA_DIR/models/CURRENT`` (one line: the version name).
A version folder is written whole into a temporary folder and renamed into
place; only then is `CURRENT` replaced, itself in one rename.

`CURRENT` names the model the next `refresh-cache` builds for, not the one
served: the served model is the one the active SHAP cache build names (see
`scoring.explain.shap_cache`), so a model is served only together with a
verified cache for it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.atomic import atomic_dir, write_text_atomic
from scoring.digest import file_sha256
from scoring.errors import ArtefactMissing, UserError
from scoring.model.scoring_model import CARD_FILE, ScoringModel
from scoring.model.training.config import TrainConfig
from scoring.paths import Paths

CURRENT_FILE = "CURRENT"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
NO_MODEL = "no model yet: run `python main.py train`"
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def data_fingerprint(paths: Paths) -> str:
    """sha256 of the feature table's bytes (memoised while the file is untouched)."""
    path = paths.features
    if not path.is_file():
        raise ArtefactMissing(f"feature table missing: {path} (run `python main.py features`)")
    return file_sha256(path)


def training_fingerprint(paths: Paths, config: TrainConfig | None = None) -> str:
    """Fingerprint of the feature table plus the training settings (default settings if None).

    The current model is stale when its card's `training_fingerprint` differs
    from this value computed with the settings the pipeline would use.
    """
    params = (config or TrainConfig()).fingerprint_params()
    blob = json.dumps({"data": data_fingerprint(paths), "config": params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check_version_name(paths: Paths, version: str) -> str:
    if not _VERSION_RE.match(version or ""):
        raise UserError(f"invalid model version name {version!r} (in {paths.models})")
    return version


def _new_version(paths: Paths, model: ScoringModel, report: dict[str, Any]) -> str:
    """Creation time (sortable) + short sha256 of the training fingerprint and the parameters."""
    blob = json.dumps({"fingerprint": report.get("training_fingerprint"),
                       "params": report.get("params"), "threshold": model.threshold},
                      sort_keys=True, default=str)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"
    version, n = base, 1
    while (paths.models / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def register(paths: Paths, model: ScoringModel, report: dict[str, Any]) -> str:
    """Write a new version folder, check it loads back, then point `CURRENT` at it.

    Sets `model.version` and returns it. Nothing is visible until the folder
    is complete; `CURRENT` moves only after that.
    """
    from scoring.model.training.report import render_markdown

    paths.models.mkdir(parents=True, exist_ok=True)
    version = _new_version(paths, model, report)
    model.version = version
    created = model.card.get("created_at") or datetime.now(UTC).isoformat(timespec="seconds")
    model.card = dict(model.card, version=version, created_at=created)
    report = dict(report, version=version)
    target = paths.models / version
    with atomic_dir(target) as tmp:
        model.save(tmp)
        (tmp / REPORT_JSON).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        (tmp / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")
        ScoringModel.load(tmp)  # refuse to publish a folder that does not load back
        tmp.chmod(0o755)  # mkdtemp makes it private; servers may run as another user
    write_text_atomic(paths.models / CURRENT_FILE, version + "\n")
    return version


def current_version(paths: Paths) -> str | None:
    """The version named by `CURRENT`, or None when no model was ever registered."""
    pointer = paths.models / CURRENT_FILE
    if not pointer.is_file():
        return None
    text = pointer.read_text(encoding="utf-8").strip()
    if not text:
        raise UserError(f"model pointer {pointer} is empty (run `python main.py train`)")
    return _check_version_name(paths, text)


def load_version(paths: Paths, version: str) -> ScoringModel:
    """Load one registered version; a missing or corrupted file gives a clear UserError."""
    directory = paths.models / _check_version_name(paths, version)
    if not directory.is_dir():
        raise ArtefactMissing(f"model version {version!r} not found in {paths.models} "
                              "(run `python main.py models` to list versions)")
    model = ScoringModel.load(directory)
    if model.version != version:
        raise UserError(f"model card {directory / CARD_FILE} names version {model.version!r}, "
                        f"not {version!r}")
    return model


def load_current(paths: Paths) -> ScoringModel:
    """The served model; ArtefactMissing when none was ever trained."""
    version = current_version(paths)
    if version is None:
        raise ArtefactMissing(NO_MODEL)
    return load_version(paths, version)


def _read_card(directory: Path) -> dict[str, Any]:
    path = directory / CARD_FILE
    if not path.is_file():
        raise UserError(f"model card missing: {path}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserError(f"model card {path} is corrupted: {exc}") from exc
    if not isinstance(card, dict):
        raise UserError(f"model card {path} is corrupted: not a JSON object")
    return card


def current_card(paths: Paths) -> dict[str, Any] | None:
    """The current model's card (without loading CatBoost), or None when there is no model."""
    version = current_version(paths)
    return None if version is None else _read_card(paths.models / version)


def is_stale(paths: Paths, config: TrainConfig | None = None) -> bool:
    """True when there is no usable current model or it was trained on other data or settings."""
    try:
        card = current_card(paths)
    except UserError:
        return True
    return card is None or card.get("training_fingerprint") != training_fingerprint(paths, config)


def list_versions(paths: Paths) -> list[dict[str, Any]]:
    """One dict per version folder, oldest first: version, created, hold-out AUC, threshold, current."""
    if not paths.models.is_dir():
        return []
    try:
        current = current_version(paths)
    except UserError:
        current = None
    rows = []
    for directory in sorted(p for p in paths.models.iterdir() if p.is_dir() and not p.name.startswith(".")):
        row: dict[str, Any] = {"version": directory.name, "current": directory.name == current,
                               "created_at": None, "holdout_auc": None, "threshold": None,
                               "cost_fn": None, "cost_fp": None, "error": None}
        try:
            card = _read_card(directory)
            row["created_at"] = card.get("created_at")
            row["threshold"] = card.get("threshold")
            row["cost_fn"] = card.get("cost", {}).get("cost_fn")
            row["cost_fp"] = card.get("cost", {}).get("cost_fp")
            selected = card.get("selected_model", "catboost")
            row["holdout_auc"] = card.get("metrics", {}).get(selected, {}).get("holdout", {}).get("roc_auc")
        except (UserError, AttributeError) as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def cli_models(args: argparse.Namespace, paths: Paths) -> int:
    rows = list_versions(paths)
    if not rows:
        print(NO_MODEL)
        return 0
    print(f"  {'version':<28}{'created':<27}{'hold-out AUC':>13}{'threshold':>11}  costs FN/FP")
    for r in rows:
        mark = "*" if r["current"] else " "
        costs = "-" if r["cost_fn"] is None else f"{r['cost_fn']:g}/{r['cost_fp']:g}"
        line = (f"{mark} {r['version']:<28}{r['created_at'] or '-':<27}"
                f"{_cell(r['holdout_auc'], '.4f'):>13}{_cell(r['threshold'], '.4f'):>11}  {costs}")
        if r["error"]:
            line += f"  [unreadable: {r['error']}]"
        print(line)
    print("* = current (DATA_DIR/models/CURRENT)")
    return 0
