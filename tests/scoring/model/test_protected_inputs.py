"""The policy on protected inputs: gender is left out of the model by default, kept only with
`train --keep-protected`, and the report compares both variants (AUC, cost, fairness)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scoring.atomic import atomic_path
from scoring.cli.commands import main
from scoring.model.registry import load_current
from scoring.model.training import trainer
from scoring.model.training.config import TrainConfig
from scoring.model.training.report import render_markdown
from scoring.model.training.toydata import toy_feature_table
from scoring.model.training.trainer import train_model
from scoring.paths import Paths


@pytest.fixture(scope="module")
def toy_with_groups(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The toy table plus gender (a little signal), age and family status."""
    root = tmp_path_factory.mktemp("protected")
    paths = Paths(data_dir=root / "data", cache_dir=root / "cache")
    frame, _ = toy_feature_table(1500, 0, seed=9, n_noise=0)
    rng = np.random.default_rng(9)
    gender = np.where(rng.random(frame.height) < 0.4 + 0.3 * frame["TARGET"].to_numpy(), "M", "F")
    frame = frame.with_columns(pl.Series("CODE_GENDER", gender), pl.Series("AGE_YEARS", rng.uniform(21, 69, frame.height)),
                               pl.Series("NAME_FAMILY_STATUS", rng.choice(["Married", "Single / not married"],
                                                                          frame.height)))
    with atomic_path(paths.features) as tmp:
        frame.write_parquet(tmp)
    return paths


def test_gender_is_not_a_model_input_by_default(toy_with_groups: Paths) -> None:
    model, report = train_model(toy_with_groups, TrainConfig(fast=True, seed=3, max_holdout_auc=0.95))
    assert "CODE_GENDER" not in model.feature_names and "AGE_YEARS" in model.feature_names
    section = report["protected_inputs"]
    assert section["excluded_inputs"] == ["CODE_GENDER"] and model.card["protected_inputs"] == section
    comp = section["comparison"]
    assert comp["served"] == "without" and comp["with"]["n_features"] == comp["without"]["n_features"] + 1
    assert comp["without"]["roc_auc"] == pytest.approx(report["models"]["catboost"]["holdout"]["roc_auc"])
    for variant in ("with", "without"):
        assert set(comp[variant]["fairness"]) == {"gender", "age_band", "family_status"}
        assert 0 <= comp[variant]["normalised_cost"] <= 1.5
    assert [g["group"] for g in section["fairness"]["gender"]["groups"]] == ["F", "M"]
    assert section["fairness"]["gender"]["selection_rate_ratio"] is not None
    text = render_markdown(report)
    assert "## Protected inputs and fairness" in text and "| without (served) |" in text


def test_keep_protected_keeps_gender_for_comparison(toy_with_groups: Paths, tmp_path: Path, monkeypatch) -> None:
    assert TrainConfig(keep_protected=True).fingerprint_params() != TrainConfig().fingerprint_params()
    # the CLI has no --fast: the test's training is made fast (and the toy signal allowed)
    original = trainer.config_from_args
    monkeypatch.setattr(trainer, "config_from_args",
                        lambda a: replace(original(a), fast=True, max_holdout_auc=0.95))
    assert main(["train", "--keep-protected", "--folds", "2", "--data-dir", str(toy_with_groups.data_dir),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    model = load_current(toy_with_groups)
    assert "CODE_GENDER" in model.feature_names
    assert model.card["train_config"]["keep_protected"] is True
    section = model.card["protected_inputs"]
    assert section["excluded_inputs"] == [] and section["comparison"]["served"] == "with"
    report = json.loads((toy_with_groups.models / model.version / "report.json").read_text(encoding="utf-8"))
    assert report["protected_inputs"]["comparison"]["without"]["n_features"] == len(model.feature_names) - 1


def test_the_default_pipeline_model_has_no_gender_input(small_run: Paths) -> None:
    model = load_current(small_run)
    assert "CODE_GENDER" not in model.feature_names
    assert model.card["protected_inputs"]["excluded_inputs"] == ["CODE_GENDER"]
