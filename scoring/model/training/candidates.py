"""The three model families compared by training, their CV evaluation and the CatBoost search.

From simple to complex: a prior-only dummy, a logistic regression on imputed
and scaled numbers plus one-hot categories, and CatBoost on native
categories. Every model is judged the same way: out-of-fold probabilities on
the same stratified folds, the business threshold chosen on them, per-fold
metrics at that threshold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from scoring.model.decision import refused as decide
from scoring.model.threshold import best_threshold, normalised_cost
from scoring.model.training.config import TrainConfig
from scoring.progress import log

Folds = list[tuple[np.ndarray, np.ndarray]]
METRICS = ("roc_auc", "accuracy", "precision", "recall", "normalised_cost", "fit_time_s")
CATBOOST_THREADS = 2


def metrics_at(y: np.ndarray, proba: np.ndarray, threshold: float, cost_fn: float,
               cost_fp: float) -> dict[str, float]:
    """Ranking and decision metrics at one threshold (refused iff proba >= threshold)."""
    refused = decide(proba, threshold).astype(np.int8)
    auc = roc_auc_score(y, proba) if 0 < y.sum() < y.size else float("nan")
    return {
        "roc_auc": float(auc),
        "accuracy": float(accuracy_score(y, refused)),
        "precision": float(precision_score(y, refused, zero_division=0)),
        "recall": float(recall_score(y, refused, zero_division=0)),
        "normalised_cost": normalised_cost(y, refused, cost_fn, cost_fp),
    }


@dataclass
class CVResult:
    """Out-of-fold probabilities of one model and what each fold's fit reported."""

    name: str
    params: dict[str, Any]
    oof: np.ndarray
    fit_times: list[float]
    fold_info: list[dict[str, Any]] = field(default_factory=list)
    threshold: float = float("nan")
    oof_cost: float = float("nan")
    oof_auc: float = float("nan")
    seconds: float = 0.0

    def fold_metrics(self, y: np.ndarray, folds: Folds, cost_fn: float,
                     cost_fp: float) -> dict[str, dict[str, float]]:
        """Mean and std over folds of each metric, at the threshold chosen on all OOF rows."""
        rows = []
        for (_, val), t in zip(folds, self.fit_times, strict=True):
            m = metrics_at(y[val], self.oof[val], self.threshold, cost_fn, cost_fp)
            m["fit_time_s"] = t
            rows.append(m)
        return {k: {"mean": float(np.mean([r[k] for r in rows])),
                    "std": float(np.std([r[k] for r in rows]))} for k in METRICS}


FitPredict = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, dict[str, Any]]]


def cross_validate(name: str, params: dict[str, Any], fit_predict: FitPredict, y: np.ndarray,
                   folds: Folds, cost_fn: float, cost_fp: float) -> CVResult:
    """Fit on each fold's training part, predict its validation part, pick the OOF threshold."""
    start = time.perf_counter()
    oof = np.full(y.size, np.nan)
    times, infos = [], []
    for fit, val in folds:
        t0 = time.perf_counter()
        oof[val], info = fit_predict(fit, val)
        times.append(time.perf_counter() - t0)
        infos.append(info)
    result = CVResult(name, params, oof, times, infos)
    result.threshold, result.oof_cost = best_threshold(y, oof, cost_fn, cost_fp)
    result.oof_auc = float(roc_auc_score(y, oof))
    result.seconds = time.perf_counter() - start
    return result


def better(a: CVResult, b: CVResult | None) -> bool:
    """Lower OOF business cost wins; AUC breaks ties."""
    if b is None:
        return True
    return (round(a.oof_cost, 9), -a.oof_auc) < (round(b.oof_cost, 9), -b.oof_auc)


# --- dummy and linear ---------------------------------------------------------------------

def make_dummy() -> DummyClassifier:
    return DummyClassifier(strategy="prior")


def make_linear(numeric: list[str], categorical: list[str], class_weight: str | None,
                seed: int) -> Pipeline:
    """Median imputation (+ missing indicators) and scaling for numbers, one-hot for categories."""
    numeric_part = Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                             ("scale", StandardScaler())])
    prep = ColumnTransformer(
        [("num", numeric_part, numeric),
         ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), categorical)],
        sparse_threshold=0.0)
    clf = LogisticRegression(C=0.5, class_weight=class_weight, max_iter=1000, random_state=seed)
    return Pipeline([("prep", prep), ("clf", clf)])


def fit_sklearn(model: Any, X: pd.DataFrame, y: np.ndarray) -> Any:
    """Fit with one BLAS thread: on a busy 2-core machine threaded BLAS spins and runs ~10x slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        return model.fit(X, y)


def sklearn_fit_predict(make: Callable[[], Any], X: pd.DataFrame, y: np.ndarray) -> FitPredict:
    def fit_predict(fit: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        model = fit_sklearn(make(), X.iloc[fit], y[fit])
        return model.predict_proba(X.iloc[val])[:, 1], {}
    return fit_predict


# --- CatBoost -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchSpace:
    """Where the randomized search samples CatBoost parameters, and how long it may run."""

    depth: tuple[int, ...]
    learning_rate: tuple[float, float]  # log-uniform bounds
    l2_leaf_reg: tuple[float, float]  # log-uniform bounds
    class_weights: tuple[str | None, ...]
    border_count: tuple[int, ...]
    max_ctr_complexity: tuple[int, ...]  # 1 = no category combinations: ~3x faster, same AUC here
    max_iterations: int
    early_stopping_rounds: int
    max_candidates: int


def search_space(config: TrainConfig) -> SearchSpace:
    if config.fast:
        return SearchSpace((4, 5), (0.1, 0.2), (1.0, 5.0), (None, "Balanced"), (32,), (1,), 120, 15, 2)
    if config.full_search:
        return SearchSpace((4, 5, 6, 7, 8), (0.02, 0.2), (1.0, 30.0),
                           (None, "Balanced", "SqrtBalanced"), (64, 128, 254), (1, 2), 2000, 60, 40)
    return SearchSpace((4, 5, 6, 7), (0.06, 0.2), (1.0, 10.0), (None, "Balanced"), (64,), (1,),
                       600, 30, 8)


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


def make_catboost(params: dict[str, Any], iterations: int, seed: int, cat_features: list[str],
                  early_stopping_rounds: int | None = None) -> CatBoostClassifier:
    kw = {k: v for k, v in params.items() if v is not None}
    return CatBoostClassifier(iterations=iterations, random_seed=seed, thread_count=CATBOOST_THREADS,
                              verbose=0, allow_writing_files=False, cat_features=cat_features,
                              early_stopping_rounds=early_stopping_rounds, **kw)


def catboost_fit_predict(params: dict[str, Any], space: SearchSpace, X: pd.DataFrame,
                         y: np.ndarray, cats: list[str], seed: int) -> FitPredict:
    """Early stopping on each fold's validation part (the OOF scores are thus a bit optimistic)."""
    def fit_predict(fit: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        model = make_catboost(params, space.max_iterations, seed, cats, space.early_stopping_rounds)
        val_pool = Pool(X.iloc[val], y[val], cat_features=cats)
        model.fit(Pool(X.iloc[fit], y[fit], cat_features=cats), eval_set=val_pool,
                  use_best_model=True)
        return model.predict_proba(val_pool)[:, 1], {"trees": int(model.tree_count_)}
    return fit_predict


def search_catboost(X: pd.DataFrame, y: np.ndarray, cats: list[str], folds: Folds,
                    config: TrainConfig) -> tuple[CVResult, list[CVResult]]:
    """Randomized search inside the CV, stopped when the next candidate would overrun the budget.

    The first two candidates (default parameters, without and with class
    weights) always run, so class weighting is always chosen by CV.
    """
    space = search_space(config)
    candidates = sample_candidates(space, config.seed)
    budget, start = config.search_budget_s, time.perf_counter()
    trials: list[CVResult] = []
    best: CVResult | None = None
    for i, params in enumerate(candidates):
        elapsed = time.perf_counter() - start
        slowest = max((t.seconds for t in trials), default=0.0)
        if i >= 2 and elapsed + slowest > budget:
            log.info("catboost search: stopping after %d candidates (%.0f s of a %.0f s budget)",
                     i, elapsed, budget)
            break
        fp = catboost_fit_predict(params, space, X, y, cats, config.seed)
        res = cross_validate("catboost", params, fp, y, folds, config.cost_fn, config.cost_fp)
        trials.append(res)
        log.info("catboost candidate %d/%d %s: OOF cost %.4f, AUC %.4f, %.1f s", i + 1,
                 len(candidates), params, res.oof_cost, res.oof_auc, res.seconds)
        if better(res, best):
            best = res
    assert best is not None
    return best, trials


def refit_iterations(result: CVResult) -> int:
    """Trees for the final fit: the mean of the folds' early-stopped tree counts, rounded up."""
    return max(1, math.ceil(float(np.mean([i["trees"] for i in result.fold_info]))))
