"""Model comparison, threshold on out-of-fold predictions, leakage guard, model card."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scoring.errors import ArtefactMissing, UserError
from scoring.model.calibration import calibrate
from scoring.model.registry import current_version, list_versions, load_current
from scoring.model.threshold import normalised_cost
from scoring.model.training.catboost_search import sample_candidates, search_space
from scoring.model.training.data import holdout_split, load_training_data
from scoring.model.training.leakage import single_feature_auc
from scoring.model.training.toydata import toy_feature_table, write_toy_run
from scoring.model.training.trainer import (
    LeakageError,
    TrainConfig,
    cli_train,
    train_and_register,
    train_model,
)
from scoring.paths import Paths

FAST = TrainConfig(fast=True, seed=7)

REQUIRED_CARD_KEYS = {
    "version", "created_at", "data_fingerprint", "training_fingerprint", "feature_names",
    "cat_features", "params", "metrics", "threshold", "cost", "threshold_rule", "threshold_source",
    "calibration", "calibration_map", "threshold_before_calibration", "final_fit", "train_config",
    "n_rows", "target_rate", "leakage",
}
METRIC_KEYS = {"roc_auc", "accuracy", "precision", "recall", "normalised_cost", "fit_time_s"}


def _paths(root: Path) -> Paths:
    return Paths(data_dir=root / "data", cache_dir=root / "cache")


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, object]:
    """One fast training on the toy table (non-linear signal), registered."""
    paths = _paths(tmp_path_factory.mktemp("toy_train"))
    write_toy_run(paths, n_train=4000, n_new=300, seed=1)
    model = train_and_register(paths, FAST)
    return paths, model


def test_models_rank_by_complexity_on_non_linear_signal(toy_run) -> None:
    _, model = toy_run
    m = model.card["metrics"]
    auc = {name: m[name]["cv"]["roc_auc"]["mean"] for name in m}
    cost = {name: m[name]["cv"]["normalised_cost"]["mean"] for name in m}
    assert auc["dummy"] == pytest.approx(0.5)
    assert auc["logistic_regression"] > auc["dummy"] + 0.08
    assert auc["catboost"] > auc["logistic_regression"] + 0.04
    assert cost["catboost"] < cost["logistic_regression"] < cost["dummy"] <= 1.0
    assert m["catboost"]["holdout"]["roc_auc"] > m["logistic_regression"]["holdout"]["roc_auc"]


def test_registered_model_is_the_evaluated_one(toy_run) -> None:
    paths, model = toy_run
    assert current_version(paths) == model.version
    loaded = load_current(paths)
    assert loaded.threshold == model.threshold
    assert 0.0 < loaded.threshold < 1.0 and loaded.threshold != 0.5
    # Re-score the hold-out with the registered model: the card's figures must follow.
    data = load_training_data(paths)
    _, hold = holdout_split(data.y, 0.2, FAST.seed)
    frame = pl.read_parquet(paths.features).filter(pl.col("SAMPLE") == "train")[hold]
    proba = loaded.predict_proba(frame)
    hold_card = loaded.card["metrics"]["catboost"]["holdout"]
    recomputed = normalised_cost(data.y[hold], proba >= loaded.threshold)
    assert recomputed == pytest.approx(hold_card["normalised_cost"])
    # The threshold was chosen on out-of-fold predictions (the catboost entry's), then mapped
    # through the same calibration as the probabilities.
    before = loaded.card["metrics"]["catboost"]["threshold"]
    assert loaded.card["threshold_before_calibration"] == before
    assert loaded.threshold == pytest.approx(
        float(calibrate(before, loaded.calibration_slope, loaded.calibration_intercept)))


def test_registered_model_carries_the_training_ranges(toy_run) -> None:
    """The novelty reference is computed at training on the train clients and saved with the version."""
    paths, _model = toy_run
    loaded = load_current(paths)
    data = load_training_data(paths)
    assert loaded.novelty is not None and loaded.novelty.names == data.numeric_features
    column = data.numeric_features[0]
    known = data.X[column].dropna().to_numpy()
    assert loaded.novelty.low[0] == pytest.approx(np.quantile(known, 0.005))
    assert loaded.novelty.high[0] == pytest.approx(np.quantile(known, 0.995))
    assert np.isfinite(loaded.novelty.limit)


def test_model_card_and_report_complete(toy_run) -> None:
    paths, model = toy_run
    card = load_current(paths).card
    assert REQUIRED_CARD_KEYS <= set(card)
    assert card["cost"]["cost_fn"] == 10.0 and card["cost"]["cost_fp"] == 1.0
    assert set(card["metrics"]) == {"dummy", "logistic_regression", "catboost"}
    for entry in card["metrics"].values():
        assert set(entry["cv"]) == METRIC_KEYS and set(entry["holdout"]) == METRIC_KEYS
        assert all({"mean", "std"} == set(v) for v in entry["cv"].values())
    tuned = {"depth", "learning_rate", "l2_leaf_reg", "iterations", "auto_class_weights"}
    assert tuned <= set(card["params"])
    assert "SK_ID_CURR" not in card["feature_names"] and "TARGET" not in card["feature_names"]
    assert set(card["cat_features"]) == {"CAT_GRADE", "CAT_REGION", "CAT_HOUSING"}
    # The truth file exists for the toy run: the ceiling is reported and above the model.
    truth = card["truth"]
    assert truth["true_auc"] > 0.5 and 0.5 < truth["share_of_true_auc"] <= 1.05
    folder = paths.models / model.version
    report_md = (folder / "report.md").read_text(encoding="utf-8")
    assert "| catboost |" in report_md and "| logistic_regression |" in report_md
    assert (folder / "report.json").is_file()


def test_leaky_numeric_column_stops_training_and_registers_nothing(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    write_toy_run(paths, n_train=1500, n_new=0, seed=2, leaky=True)
    with pytest.raises(LeakageError, match="LEAK"):
        train_and_register(paths, FAST)
    assert current_version(paths) is None and list_versions(paths) == []


def test_leaky_category_is_found_but_an_id_like_one_is_not() -> None:
    frame, _ = toy_feature_table(2000, 0, seed=4)
    y = frame["TARGET"].to_numpy()
    rng = np.random.default_rng(0)
    frame = frame.with_columns(
        pl.Series("CAT_LEAK", np.where(y == 1, "bad", "good")),
        pl.Series("CAT_ID", [f"id{i}" for i in rng.permutation(y.size)]),
    )
    cats = ["CAT_GRADE", "CAT_REGION", "CAT_HOUSING", "CAT_LEAK", "CAT_ID"]
    from scoring.model.scoring_model import to_model_frame
    names = [c for c in frame.columns if c not in ("SK_ID_CURR", "TARGET", "SAMPLE")]
    aucs = single_feature_auc(to_model_frame(frame, names, cats), y, cats)
    assert aucs["CAT_LEAK"] > 0.99
    assert aucs["CAT_ID"] < 0.6
    assert max(a for c, a in aucs.items() if c != "CAT_LEAK") < 0.75


def test_too_good_holdout_auc_stops_training(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    write_toy_run(paths, n_train=1500, n_new=0, seed=3, truth=False)
    with pytest.raises(LeakageError, match="hold-out AUC above 0.6"):
        train_and_register(paths, TrainConfig(fast=True, max_holdout_auc=0.6))
    assert list_versions(paths) == []


def test_bad_feature_tables_give_named_errors(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    with pytest.raises(ArtefactMissing, match="python main.py features"):
        train_model(paths, FAST)
    frame, _ = toy_feature_table(600, 0, seed=5)
    paths.processed.mkdir(parents=True)
    frame.with_columns(pl.when(pl.col("SK_ID_CURR") == 100_010).then(2).otherwise(pl.col("TARGET"))
                       .cast(pl.Int8).alias("TARGET")).write_parquet(paths.features)
    with pytest.raises(UserError, match=r"TARGET.*SK_ID_CURR=100010"):
        train_model(paths, FAST)
    frame.with_columns(pl.lit("2024-01-01").str.to_date().alias("WHEN")).write_parquet(paths.features)
    with pytest.raises(UserError, match="'WHEN'.*unsupported"):
        train_model(paths, FAST)
    frame.with_columns(TARGET=pl.lit(0, dtype=pl.Int8)).write_parquet(paths.features)
    with pytest.raises(UserError, match="0 defaulters"):
        train_model(paths, FAST)
    with pytest.raises(UserError, match="folds"):
        train_model(paths, TrainConfig(folds=1))


def test_candidates_cover_both_class_weightings() -> None:
    space = search_space(TrainConfig())
    cands = sample_candidates(space, seed=0)
    assert len(cands) == space.max_candidates
    assert [c["auto_class_weights"] for c in cands[:2]] == [None, "Balanced"]
    assert len({tuple(sorted(map(str, c.items()))) for c in cands}) == len(cands)
    for c in cands:
        assert c["depth"] in space.depth
        assert space.learning_rate[0] <= c["learning_rate"] <= space.learning_rate[1] + 1e-4
    full = search_space(TrainConfig(full_search=True))
    assert full.max_candidates > space.max_candidates and full.max_iterations >= space.max_iterations


def test_cli_train_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = _paths(tmp_path)
    write_toy_run(paths, n_train=1200, n_new=0, seed=8, n_noise=0)
    args = argparse.Namespace(folds=2, seed=1, cost_fn=5.0, cost_fp=1.0, full_search=False)
    assert cli_train(args, paths) == 0
    out = capsys.readouterr().out
    version = current_version(paths)
    assert version and version in out and "catboost" in out
    assert load_current(paths).card["cost"]["cost_fn"] == 5.0


def test_generated_data_small_run(small_run: Paths) -> None:
    """On the generator's data (4000 clients, features by scoring.features.table, trained by the pipeline)."""
    card = load_current(small_run).card
    m = card["metrics"]
    auc = {name: m[name]["cv"]["roc_auc"]["mean"] for name in m}
    assert auc["logistic_regression"] > auc["dummy"] + 0.1
    assert auc["catboost"] > auc["dummy"] + 0.1
    assert auc["catboost"] > auc["logistic_regression"] - 0.02  # trees at least match the linear model
    assert m["catboost"]["cv"]["normalised_cost"]["mean"] < m["dummy"]["cv"]["normalised_cost"]["mean"]
    assert 0.0 < card["threshold"] < 1.0 and card["threshold"] != 0.5
    assert card["train_config"]["fast"] is True
    truth = card["truth"]
    assert truth is not None and truth["model_auc"] <= truth["true_auc"] + 0.02
