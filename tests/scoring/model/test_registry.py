"""Model versions, the atomic CURRENT pointer and clear errors on damaged files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import scoring.model.registry as registry
from scoring.errors import ArtefactMissing, UserError
from scoring.model.registry import (
    cli_models,
    current_version,
    is_stale,
    list_versions,
    load_current,
    load_version,
    register,
    training_fingerprint,
)
from scoring.model.scoring_model import ScoringModel, to_model_frame
from scoring.model.training.catboost_search import make_catboost
from scoring.model.training.config import TrainConfig
from scoring.model.training.toydata import toy_feature_table
from scoring.paths import Paths

CATS = ["CAT_GRADE", "CAT_REGION", "CAT_HOUSING"]


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return toy_feature_table(600, 50, seed=9, n_noise=1)[0]


def _model(frame: pl.DataFrame, threshold: float, seed: int = 0) -> tuple[ScoringModel, dict]:
    """A tiny real CatBoost model and a minimal report, as training would hand them over."""
    names = [c for c in frame.columns if c not in ("SK_ID_CURR", "TARGET", "SAMPLE")]
    train = frame.filter(pl.col("SAMPLE") == "train")
    booster = make_catboost({"depth": 3}, 20, seed, CATS)
    booster.fit(to_model_frame(train, names, CATS), train["TARGET"].to_numpy())
    card = {"created_at": f"2026-01-0{seed + 1}T00:00:00+00:00", "cost": {"cost_fn": 10.0, "cost_fp": 1.0},
            "selected_model": "catboost", "training_fingerprint": f"fp{seed}",
            "metrics": {"catboost": {"holdout": {"roc_auc": 0.7 + seed / 100}}}}
    report = {"params": {"depth": 3, "seed": seed}, "training_fingerprint": f"fp{seed}", "models": {}}
    return ScoringModel(booster, names, CATS, threshold, "", card), report


@pytest.fixture()
def paths(tmp_path: Path, frame: pl.DataFrame) -> Paths:
    p = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    p.processed.mkdir(parents=True)
    frame.write_parquet(p.features)
    return p


def test_register_then_load_roundtrip(paths: Paths, frame: pl.DataFrame) -> None:
    assert current_version(paths) is None and list_versions(paths) == []
    model, report = _model(frame, 0.12, seed=0)
    v1 = register(paths, model, report)
    assert model.version == v1 == current_version(paths)
    assert (paths.models / "CURRENT").read_text().strip() == v1
    assert {"model.cbm", "model_card.json", "report.json", "report.md"} <= {
        p.name for p in (paths.models / v1).iterdir()}
    loaded = load_current(paths)
    assert loaded.version == v1 and loaded.threshold == 0.12
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame))

    model2, report2 = _model(frame, 0.2, seed=1)
    v2 = register(paths, model2, report2)
    assert v2 != v1 and current_version(paths) == v2
    assert load_version(paths, v1).threshold == 0.12  # older versions stay loadable
    rows = list_versions(paths)
    assert [r["version"] for r in rows] == sorted([v1, v2])
    assert [r["current"] for r in rows if r["version"] == v2] == [True]
    assert {r["version"]: r["holdout_auc"] for r in rows} == {v1: 0.7, v2: 0.71}


def test_no_model_yet_is_artefact_missing(paths: Paths) -> None:
    with pytest.raises(ArtefactMissing, match=r"no model yet: run `python main.py train`"):
        load_current(paths)


def test_current_moves_only_after_complete_write(paths: Paths, frame: pl.DataFrame,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    model, report = _model(frame, 0.1, seed=0)
    v1 = register(paths, model, report)

    # When the pointer is written, the new folder must already be complete and in place.
    seen: list[set[str]] = []
    original = registry.write_text_atomic

    def spy(target: Path, text: str) -> None:
        seen.append({p.name for p in (paths.models / text.strip()).iterdir()})
        original(target, text)

    monkeypatch.setattr(registry, "write_text_atomic", spy)
    model2, report2 = _model(frame, 0.2, seed=1)
    v2 = register(paths, model2, report2)
    assert seen == [{"model.cbm", "model_card.json", "report.json", "report.md"}]
    assert current_version(paths) == v2

    # A crash while writing the folder leaves CURRENT and the visible versions unchanged.
    def broken_markdown(report: dict) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("scoring.model.training.report.render_markdown", broken_markdown)
    model3, report3 = _model(frame, 0.3, seed=2)
    with pytest.raises(RuntimeError, match="disk full"):
        register(paths, model3, report3)
    assert current_version(paths) == v2
    assert sorted(p.name for p in paths.models.iterdir()) == sorted([v1, v2, "CURRENT"])


@pytest.mark.parametrize("damage, message", [
    ("truncate_model", "model.cbm is corrupted"),
    ("delete_card", "model file missing"),
    ("bad_json", "model_card.json is corrupted"),
    ("card_not_object", "model_card.json is corrupted"),
    ("card_other_version", "names version"),
    ("pointer_to_nowhere", "not found"),
    ("pointer_outside", "invalid model version name"),
    ("empty_pointer", "empty"),
])
def test_damaged_files_give_clear_errors(paths: Paths, frame: pl.DataFrame, damage: str,
                                         message: str) -> None:
    model, report = _model(frame, 0.1)
    version = register(paths, model, report)
    folder, pointer = paths.models / version, paths.models / "CURRENT"
    if damage == "truncate_model":
        data = (folder / "model.cbm").read_bytes()
        (folder / "model.cbm").write_bytes(data[: len(data) // 2])
    elif damage == "delete_card":
        (folder / "model_card.json").unlink()
    elif damage == "bad_json":
        (folder / "model_card.json").write_text('{"version": "x", ', encoding="utf-8")
    elif damage == "card_not_object":
        (folder / "model_card.json").write_text("[1, 2]", encoding="utf-8")
    elif damage == "card_other_version":
        card = json.loads((folder / "model_card.json").read_text())
        (folder / "model_card.json").write_text(json.dumps(card | {"version": "other"}))
    elif damage == "pointer_to_nowhere":
        pointer.write_text("20990101T000000Z-deadbeef\n")
    elif damage == "pointer_outside":
        pointer.write_text("../../etc\n")
    elif damage == "empty_pointer":
        pointer.write_text("\n")
    with pytest.raises(UserError, match=message):
        load_current(paths)
    # The version list still prints, flagging what it cannot read.
    assert isinstance(list_versions(paths), list)


def test_list_marks_unreadable_card(paths: Paths, frame: pl.DataFrame) -> None:
    model, report = _model(frame, 0.1)
    version = register(paths, model, report)
    (paths.models / version / "model_card.json").write_text("not json")
    (row,) = list_versions(paths)
    assert row["version"] == version and row["current"] and "corrupted" in row["error"]


def test_cli_models_table(paths: Paths, frame: pl.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace()
    assert cli_models(args, paths) == 0
    assert "no model yet" in capsys.readouterr().out
    v1 = register(paths, *_model(frame, 0.1234, seed=0))
    v2 = register(paths, *_model(frame, 0.2, seed=1))
    out = capsys.readouterr().out
    assert cli_models(args, paths) == 0
    out = capsys.readouterr().out
    line1 = next(line for line in out.splitlines() if v1 in line)
    line2 = next(line for line in out.splitlines() if v2 in line)
    assert line2.startswith("*") and not line1.startswith("*")
    assert "0.1234" in line1 and "0.7000" in line1 and "10/1" in line1


def test_training_fingerprint_follows_data_and_settings(paths: Paths, frame: pl.DataFrame) -> None:
    fp = training_fingerprint(paths)
    assert fp == training_fingerprint(paths, TrainConfig())
    assert fp == training_fingerprint(paths, TrainConfig(time_budget_s=5))  # budget is not a setting
    assert fp != training_fingerprint(paths, TrainConfig(cost_fn=5))
    assert fp != training_fingerprint(paths, TrainConfig(fast=True))
    assert is_stale(paths)
    model, report = _model(frame, 0.1)
    model.card["training_fingerprint"] = fp
    register(paths, model, report)
    assert not is_stale(paths)
    assert is_stale(paths, TrainConfig(fast=True))
    frame.head(100).write_parquet(paths.features)
    assert training_fingerprint(paths) != fp and is_stale(paths)
