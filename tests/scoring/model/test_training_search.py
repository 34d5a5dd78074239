"""The CatBoost search on a subsample, its time budget, and the fast linear baseline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scoring.errors import UserError
from scoring.model.scoring_model import to_model_frame
from scoring.model.training.catboost_search import (
    FIXED_PARAMS,
    Budget,
    QuantisedRows,
    catboost_fit_predict,
    search_catboost,
    search_sample,
    search_space,
    winner_on_all_rows,
)
from scoring.model.training.config import TrainConfig
from scoring.model.training.data import cv_folds
from scoring.model.training.linear import (
    cross_validate_linear,
    linear_view,
    make_linear,
)
from scoring.model.training.report import render_markdown
from scoring.model.training.toydata import toy_feature_table, write_toy_run
from scoring.model.training.trainer import train_model
from scoring.paths import Paths

CATS = ["CAT_GRADE", "CAT_REGION", "CAT_HOUSING"]
BASE = {"learning_rate": 0.2, "l2_leaf_reg": 3.0, "border_count": 32, "max_ctr_complexity": 1,
        "auto_class_weights": None}


def _toy(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    frame, _ = toy_feature_table(n, 0, seed=seed, n_noise=2)
    names = [c for c in frame.columns if c not in ("SK_ID_CURR", "TARGET", "SAMPLE")]
    return to_model_frame(frame, names, CATS), frame["TARGET"].to_numpy().astype(np.int8)


@pytest.fixture(scope="module")
def toy() -> QuantisedRows:
    X, y = _toy(6000, seed=3)
    return QuantisedRows(X, y, CATS)


def test_search_sample_is_stratified_and_reproducible() -> None:
    y = (np.random.default_rng(0).random(10_000) < 0.08).astype(np.int8)
    rows = search_sample(y, 2_000, seed=1)
    assert rows.size == 2_000 and np.all(np.diff(rows) > 0)
    assert abs(y[rows].mean() - y.mean()) < 0.002
    assert np.array_equal(rows, search_sample(y, 2_000, seed=1))
    assert np.array_equal(search_sample(y, None, 1), np.arange(y.size))
    assert np.array_equal(search_sample(y, 50_000, 1), np.arange(y.size))


def _interaction_rows(n: int, seed: int) -> QuantisedRows:
    """A target driven by an interaction (the sign of x1 * x2) that no single split can see."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    logit = -1.2 + 2.0 * np.sign(x[:, 0] * x[:, 1])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    X = pd.DataFrame({"A": x[:, 0], "B": x[:, 1], "NOISE_1": x[:, 2], "NOISE_2": x[:, 3],
                      "CAT": rng.choice(["u", "v", "w"], size=n)})
    return QuantisedRows(X, y, ["CAT"])


def test_subsample_search_picks_the_full_data_winner() -> None:
    """Known answer: depth 1 cannot model the interaction, whatever the class weights; depth 4 can."""
    data = _interaction_rows(8000, seed=2)
    candidates = [dict(BASE, depth=1), dict(BASE, depth=1, auto_class_weights="Balanced"), dict(BASE, depth=4)]
    full = search_catboost(data, TrainConfig(seed=5), 3, candidates=candidates)
    sub = search_catboost(data, TrainConfig(seed=5, search_rows=2000), 3, candidates=candidates)
    assert (full.rows, sub.rows) == (8000, 2000) and full.folds == sub.folds == 3
    assert len(full.trials) == len(sub.trials) == 3, (full.stop_reason, sub.stop_reason)
    assert full.best.params == sub.best.params == candidates[2]
    assert min(t.oof_auc for t in sub.trials[:2]) < 0.6 < 0.7 < sub.trials[2].oof_auc
    assert sub.seconds < full.seconds


def test_winner_is_cross_validated_on_the_shared_folds(toy: QuantisedRows) -> None:
    config = TrainConfig(seed=5, search_rows=1500)
    folds = cv_folds(toy.y, 4, config.seed)
    outcome = search_catboost(toy, config, 4, candidates=[dict(BASE, depth=3)])
    final = winner_on_all_rows(toy, outcome, folds, config)
    assert final is not outcome.best and final.params == outcome.best.params
    assert final.oof.shape == toy.y.shape and not np.isnan(final.oof).any()
    assert len(final.fit_times) == 4
    # a search that already ran on every row with the shared folds (3, as the search's) is not repeated
    whole = search_catboost(toy, TrainConfig(seed=5, search_rows=10**6), 3, candidates=[dict(BASE, depth=3)])
    assert whole.rows == toy.y.size and whole.folds == 3
    assert winner_on_all_rows(toy, whole, cv_folds(toy.y, 3, config.seed), config) is whole.best
    assert winner_on_all_rows(toy, whole, folds, config) is not whole.best


class _SlowDown:
    """Wraps the search's budget (or none) and sleeps at each CatBoost iteration: an injected slow candidate."""

    def __init__(self, budget: Budget | None, delay: float) -> None:
        self.budget, self.delay = budget, delay

    def after_iteration(self, info: Any) -> bool:
        time.sleep(self.delay)
        return self.budget.after_iteration(info) if self.budget else True

    def left(self) -> float:
        return self.budget.left() if self.budget else float("inf")


def _slow_factory(slow_depth: int, delay: float):
    def factory(params, space, data, rows, seed, budget):
        if params["depth"] == slow_depth:
            budget = _SlowDown(budget, delay)
        return catboost_fit_predict(params, space, data, rows, seed, budget)
    return factory


def test_budget_stops_a_slow_candidate_before_it_overruns(toy: QuantisedRows) -> None:
    candidates = [dict(BASE, depth=2), dict(BASE, depth=5), dict(BASE, depth=3)]
    budget = 2.0
    config = TrainConfig(seed=5, time_budget_s=budget, search_rows=2000)
    start = time.perf_counter()
    outcome = search_catboost(toy, config, 3, candidates=candidates, fit_predict=_slow_factory(5, 0.05))
    wall = time.perf_counter() - start
    # the slow candidate would take 3 folds x 120 iterations x 0.05 s = 18 s
    assert [t.params for t in outcome.trials] == [candidates[0]]
    assert outcome.discarded == [candidates[1]]
    assert "reached during candidate 2" in outcome.stop_reason
    assert outcome.seconds <= budget + 0.3 and wall <= budget + 1.0
    assert outcome.best.params == candidates[0]


def test_budget_does_not_start_a_candidate_it_expects_to_overrun(toy: QuantisedRows) -> None:
    candidates = [dict(BASE, depth=5), dict(BASE, depth=2), dict(BASE, depth=3)]
    config = TrainConfig(seed=5, time_budget_s=1.0, search_rows=2000)
    outcome = search_catboost(toy, config, 3, candidates=candidates, fit_predict=_slow_factory(5, 0.02))
    # the first candidate always runs (3 folds of at least 30 iterations x 20 ms) and outlasts the budget
    assert [t.params for t in outcome.trials] == [candidates[0]] and outcome.discarded == []
    assert outcome.trials[0].seconds > 1.0
    assert "next candidate would need about" in outcome.stop_reason
    summary = outcome.summary(1.0)
    assert (summary["candidates_run"], summary["candidates_planned"]) == (1, 3)


def test_search_settings_are_checked() -> None:
    with pytest.raises(UserError, match="search_rows"):
        TrainConfig(search_rows=10).validate()
    assert search_space(TrainConfig(search_rows=500)).search_rows == 500
    assert search_space(TrainConfig(fast=True)).search_rows is None


def test_linear_view_and_fold_results(toy: QuantisedRows) -> None:
    X, y = toy.X, toy.y
    cats = CATS
    numeric = [c for c in X.columns if c not in cats]
    view = linear_view(X, numeric, cats)
    assert list(view.columns) == [*numeric, *cats]
    assert all(view[c].dtype == np.float32 for c in numeric) and all(view[c].dtype == np.int32 for c in cats)
    # a relabelling: equal strings get equal codes, different strings different codes
    for c in cats:
        pairs = pd.DataFrame({"s": X[c].astype(str), "k": view[c]}).drop_duplicates()
        assert pairs["s"].is_unique and pairs["k"].is_unique
    assert np.isnan(view["NUM_THRESHOLD"]).sum() == X["NUM_THRESHOLD"].isna().sum() > 0
    folds = cv_folds(y, 3, 0)
    results = cross_validate_linear(view, y, numeric, cats, folds, 0, 10.0, 1.0)
    assert [r.params["class_weight"] for r in results] == [None, "balanced"]
    for r in results:
        assert not np.isnan(r.oof).any() and 0.6 < r.oof_auc < 0.95 and len(r.fit_times) == 3
    # the shared preprocessing gives what the whole pipeline gives, fold by fold
    fit, val = folds[0]
    pipe = make_linear(numeric, cats, None, 0).fit(view.iloc[fit], y[fit])
    np.testing.assert_allclose(pipe.predict_proba(view.iloc[val])[:, 1], results[0].oof[val], rtol=1e-4)


def test_training_with_a_subsample_search_ranks_catboost_first(tmp_path: Path) -> None:
    """The default (non-fast) procedure end to end on the toy table: candidates compared on a
    subsample, the winner cross-validated on the shared folds; CatBoost > logistic regression > dummy."""
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    write_toy_run(paths, n_train=5000, n_new=0, seed=4)
    config = TrainConfig(seed=3, folds=4, search_rows=2000, time_budget_s=30)
    model, report = train_model(paths, config)
    search = report["search"]
    assert (search["rows"], search["folds"]) == (2000, 3)
    assert search["candidates_planned"] == 8 and 1 <= search["candidates_run"] <= 8
    assert search["stop_reason"] and search["seconds"] <= 30 + 1
    cat = report["models"]["catboost"]
    assert cat["params"] in [t["params"] for t in search["trials"]]
    trial = next(t for t in search["trials"] if t["params"] == cat["params"])
    assert cat["oof"]["roc_auc"] != trial["oof_auc"]  # cross-validated again, on all fit rows
    auc = {name: m["holdout"]["roc_auc"] for name, m in report["models"].items()}
    cost = {name: m["oof"]["normalised_cost"] for name, m in report["models"].items()}
    assert auc["catboost"] > auc["logistic_regression"] > auc["dummy"] + 0.05
    assert cost["catboost"] < cost["logistic_regression"] < cost["dummy"]
    assert model.card["params"]["iterations"] >= 1 and FIXED_PARAMS.items() <= model.card["params"].items()
    text = render_markdown(report)
    assert f"{search['candidates_run']} of 8 candidates" in text and "on 2000 fit rows, 3 folds" in text
    assert f"stopped because: {search['stop_reason']}" in text
