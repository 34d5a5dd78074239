"""CatBoost in training: data quantised once, a budgeted search on a subsample, the winner's CV.

Why it is fast at the real size (307,511 clients, measured on 2 cores):
- categories of up to 64 values are one-hot encoded inside the trees instead
  of target statistics (CTRs), the bulk of each iteration: 2.4x faster, same
  AUC (the widest category here, ORGANIZATION_TYPE, has 58 values);
- one Newton step per leaf (`leaf_estimation_iterations=1`): 15 % faster;
- the fit rows are quantised once per border count and every fold of every
  candidate is a slice of that pool (building and quantising a pool from
  pandas cost about 1.5 s per fit);
- candidates are compared on a stratified subsample with fewer folds, and
  only the winner is cross-validated on all fit rows (the folds every model
  shares) and refit.

Borders are computed on all fit rows, validation parts included: this uses
the features' distribution, never the target, exactly as the final refit does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool
from sklearn.model_selection import train_test_split

from scoring.model.training.candidates import (
    CVResult,
    FitPredict,
    Folds,
    better,
    cross_validate,
)
from scoring.model.training.config import TrainConfig
from scoring.model.training.data import cv_folds
from scoring.progress import log

CATBOOST_THREADS = 2
#: Parameters every candidate shares (see the module docstring for the measured gains).
FIXED_PARAMS: dict[str, Any] = {"one_hot_max_size": 64, "leaf_estimation_iterations": 1}


@dataclass(frozen=True)
class SearchSpace:
    """Where the randomized search samples CatBoost parameters, and on how many rows and folds."""

    depth: tuple[int, ...]
    learning_rate: tuple[float, float]  # log-uniform bounds
    l2_leaf_reg: tuple[float, float]  # log-uniform bounds
    class_weights: tuple[str | None, ...]
    border_count: tuple[int, ...]
    max_ctr_complexity: tuple[int, ...]  # 1 = no category combinations: ~3x faster, same AUC here
    max_iterations: int
    early_stopping_rounds: int
    max_candidates: int
    search_rows: int | None = None  # stratified subsample the candidates are compared on (None: all)
    search_folds: int | None = None  # folds of that comparison (None: the training's folds)


def search_space(config: TrainConfig) -> SearchSpace:
    space = _space(config)
    return space if config.search_rows is None else replace(space, search_rows=config.search_rows)


def _space(config: TrainConfig) -> SearchSpace:
    if config.fast:
        return SearchSpace((4, 5), (0.1, 0.2), (1.0, 5.0), (None, "Balanced"), (32,), (1,), 120, 15, 2)
    if config.full_search:
        # learning rates from 0.04: the winner's CV, refit and policy variant grow with its trees
        # (up to 2000); at the real size that keeps the whole full search under 30 minutes
        return SearchSpace((4, 5, 6, 7), (0.04, 0.2), (1.0, 30.0),
                           (None, "Balanced", "SqrtBalanced"), (64, 128, 254), (1, 2), 2000, 60, 40,
                           search_rows=100_000, search_folds=3)
    # learning rates from 0.1: at the real size a fold at 0.15 reached the AUC of one at 0.094
    # (0.7918 vs 0.7920) with 218 trees instead of 580, in 12 s instead of 30 s; at these rates
    # 20 rounds without improvement end a fold (each extra round is a tree fitted for nothing)
    return SearchSpace((4, 5, 6, 7), (0.1, 0.25), (1.0, 10.0), (None, "Balanced"), (64,), (1,),
                       600, 20, 8, search_rows=40_000, search_folds=3)


def sample_candidates(space: SearchSpace, seed: int) -> list[dict[str, Any]]:
    """A sensible default, the same with the other class weights, then random draws."""
    rng = np.random.default_rng(seed)
    base = {"depth": 6 if 6 in space.depth else max(space.depth),
            "learning_rate": round(float(np.sqrt(np.prod(space.learning_rate))), 4),
            "l2_leaf_reg": 3.0, "border_count": space.border_count[0],
            "max_ctr_complexity": space.max_ctr_complexity[0]}
    found = [dict(base, auto_class_weights=w) for w in space.class_weights[:2]]
    for _ in range(50 * space.max_candidates):
        if len(found) >= space.max_candidates:
            break
        lo, hi = np.log(space.learning_rate)
        l2lo, l2hi = np.log(space.l2_leaf_reg)
        cand = {"depth": int(rng.choice(space.depth)),
                "learning_rate": round(float(np.exp(rng.uniform(lo, hi))), 4),
                "l2_leaf_reg": round(float(np.exp(rng.uniform(l2lo, l2hi))), 3),
                "border_count": int(rng.choice(space.border_count)),
                "max_ctr_complexity": int(rng.choice(space.max_ctr_complexity)),
                "auto_class_weights": space.class_weights[int(rng.integers(len(space.class_weights)))]}
        if cand not in found:
            found.append(cand)
    return found[:space.max_candidates]


def make_catboost(params: dict[str, Any], iterations: int, seed: int, cat_features: list[str] | None,
                  early_stopping_rounds: int | None = None) -> CatBoostClassifier:
    """A CatBoost classifier with the shared fixed parameters; `cat_features=None` to fit a Pool."""
    kw = {k: v for k, v in (FIXED_PARAMS | params).items() if v is not None}
    if cat_features is None:
        kw.pop("border_count", None)  # a quantised pool carries its own borders
    return CatBoostClassifier(iterations=iterations, random_seed=seed, thread_count=CATBOOST_THREADS,
                              verbose=0, allow_writing_files=False, cat_features=cat_features,
                              early_stopping_rounds=early_stopping_rounds, **kw)


class QuantisedRows:
    """The fit rows as one CatBoost pool per border count, built once; folds are slices of it."""

    def __init__(self, X: pd.DataFrame, y: np.ndarray, cat_features: list[str]) -> None:
        self.X, self.y, self.cat_features = X, y, cat_features
        self._pools: dict[int, Pool] = {}

    def pool(self, border_count: int) -> Pool:
        if border_count not in self._pools:
            pool = Pool(self.X, self.y, cat_features=self.cat_features)
            pool.quantize(border_count=border_count)
            self._pools[border_count] = pool
        return self._pools[border_count]

    def fit(self, params: dict[str, Any], iterations: int, seed: int) -> CatBoostClassifier:
        """The final model: `params` with `iterations` trees on every row."""
        model = make_catboost(params, iterations, seed, None)
        model.fit(self.pool(params["border_count"]))
        return model


class BudgetExceeded(Exception):
    """The search's time budget ran out during a candidate, which is therefore discarded."""


class Budget:
    """Seconds a search may use from its creation; also a CatBoost callback that stops at the end."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def left(self) -> float:
        return self.seconds - self.elapsed()

    def after_iteration(self, info: Any) -> bool:
        """CatBoost's callback protocol: returning False stops the fit."""
        return self.left() > 0


FitPredictFactory = Callable[[dict[str, Any], SearchSpace, QuantisedRows, np.ndarray, int, Budget | None],
                             FitPredict]


def catboost_fit_predict(params: dict[str, Any], space: SearchSpace, data: QuantisedRows, rows: np.ndarray,
                         seed: int, budget: Budget | None = None) -> FitPredict:
    """Fit on a fold of `rows` (positions in `data`), predict its validation part.

    Early stopping on the validation part (the OOF scores are thus a bit
    optimistic). With a `budget`, a fit still running when it ends is stopped
    and BudgetExceeded raised.
    """
    def fit_predict(fit: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        pool = data.pool(params["border_count"])
        model = make_catboost(params, space.max_iterations, seed, None, space.early_stopping_rounds)
        model.fit(pool.slice(rows[fit]), eval_set=pool.slice(rows[val]), use_best_model=True,
                  callbacks=[budget] if budget is not None else None)
        if budget is not None and budget.left() <= 0:
            raise BudgetExceeded
        return model.predict_proba(data.X.iloc[rows[val]])[:, 1], {"trees": int(model.tree_count_)}
    return fit_predict


@dataclass
class SearchOutcome:
    """What the search did: its trials, the best, and why it stopped."""

    best: CVResult
    trials: list[CVResult]
    planned: int
    stop_reason: str
    seconds: float
    rows: int
    folds: int
    discarded: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, budget_s: float) -> dict[str, Any]:
        return {"budget_s": budget_s, "seconds": self.seconds, "rows": self.rows, "folds": self.folds,
                "candidates_planned": self.planned, "candidates_run": len(self.trials),
                "stop_reason": self.stop_reason, "discarded": self.discarded,
                "trials": [{"params": t.params, "oof_cost": t.oof_cost, "oof_auc": t.oof_auc,
                            "mean_trees": round(float(np.mean([i["trees"] for i in t.fold_info])), 1),
                            "seconds": t.seconds} for t in self.trials]}


def search_sample(y: np.ndarray, rows: int | None, seed: int) -> np.ndarray:
    """Sorted positions of a stratified subsample of `rows` rows (all of them if there are fewer)."""
    if rows is None or rows >= y.size:
        return np.arange(y.size)
    keep, _ = train_test_split(np.arange(y.size), train_size=rows, stratify=y, random_state=seed)
    return np.sort(keep)


def search_catboost(data: QuantisedRows, config: TrainConfig, n_folds: int,
                    candidates: list[dict[str, Any]] | None = None,
                    fit_predict: FitPredictFactory = catboost_fit_predict) -> SearchOutcome:
    """Randomized search on a stratified subsample, inside a real time budget.

    A candidate starts only if the slowest one so far would still end inside
    the budget, and a candidate running when the budget ends is stopped and
    discarded; only the first always runs, so there is always a winner.
    `candidates` defaults to the space's random draws (tests give their own).
    """
    space = search_space(config)
    candidates = sample_candidates(space, config.seed) if candidates is None else candidates
    rows = search_sample(data.y, space.search_rows, config.seed)
    y = data.y[rows]
    folds = cv_folds(y, space.search_folds or n_folds, config.seed)
    budget = Budget(config.search_budget_s)
    trials: list[CVResult] = []
    best: CVResult | None = None
    discarded: list[dict[str, Any]] = []
    stop_reason = f"all {len(candidates)} candidates ran"
    for i, params in enumerate(candidates):
        slowest = max((t.seconds for t in trials), default=0.0)
        if i and slowest > budget.left():
            stop_reason = (f"time budget: the next candidate would need about {slowest:.0f} s, "
                           f"{max(budget.left(), 0.0):.0f} s of {budget.seconds:.0f} s were left")
            break
        try:
            res = cross_validate("catboost", params,
                                 fit_predict(params, space, data, rows, config.seed, budget if i else None),
                                 y, folds, config.cost_fn, config.cost_fp)
        except BudgetExceeded:
            discarded.append(params)
            stop_reason = f"time budget: reached during candidate {i + 1}, which was stopped and discarded"
            break
        trials.append(res)
        log.info("catboost candidate %d/%d %s: OOF cost %.4f, AUC %.4f, %.1f s", i + 1, len(candidates),
                 params, res.oof_cost, res.oof_auc, res.seconds)
        if better(res, best):
            best = res
    assert best is not None
    log.info("catboost search on %d rows, %d folds: %d of %d candidates (%s)", rows.size, len(folds),
             len(trials), len(candidates), stop_reason)
    return SearchOutcome(best, trials, len(candidates), stop_reason, budget.elapsed(), int(rows.size),
                         len(folds), discarded)


def cross_validate_catboost(data: QuantisedRows, params: dict[str, Any], folds: Folds,
                            config: TrainConfig) -> CVResult:
    """One parameter set on the shared folds of all fit rows (threshold, calibration, tree count)."""
    return cross_validate("catboost", params,
                          catboost_fit_predict(params, search_space(config), data, np.arange(data.y.size),
                                               config.seed),
                          data.y, folds, config.cost_fn, config.cost_fp)


def winner_on_all_rows(data: QuantisedRows, outcome: SearchOutcome, folds: Folds,
                       config: TrainConfig) -> CVResult:
    """The search winner's CV on the shared folds; the search's own trial when it already was that."""
    if outcome.rows == data.y.size and outcome.folds == len(folds):
        return outcome.best  # same rows, same folds (same seed): nothing to redo
    return cross_validate_catboost(data, outcome.best.params, folds, config)


def refit_iterations(result: CVResult) -> int:
    """Trees for the final fit: the mean of the folds' early-stopped tree counts, rounded up."""
    return max(1, math.ceil(float(np.mean([i["trees"] for i in result.fold_info]))))
