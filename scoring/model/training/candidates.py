"""How training judges a model, and the simplest one.

Every model is judged the same way: out-of-fold probabilities on the same
stratified folds, the business threshold chosen on them, per-fold metrics at
that threshold. The families compared, from simple to complex: the prior-only
dummy here, the logistic regression (`linear`), CatBoost (`catboost_search`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score
from threadpoolctl import threadpool_limits

from scoring.model.decision import refused as decide
from scoring.model.threshold import best_threshold, normalised_cost

Folds = list[tuple[np.ndarray, np.ndarray]]
METRICS = ("roc_auc", "accuracy", "precision", "recall", "normalised_cost", "fit_time_s")


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
    return finish_cv(CVResult(name, params, oof, times, infos), y, cost_fn, cost_fp, time.perf_counter() - start)


def finish_cv(result: CVResult, y: np.ndarray, cost_fn: float, cost_fp: float, seconds: float) -> CVResult:
    """Complete out-of-fold predictions into a result: the cost-minimising threshold, cost, AUC."""
    result.threshold, result.oof_cost = best_threshold(y, result.oof, cost_fn, cost_fp)
    result.oof_auc = float(roc_auc_score(y, result.oof))
    result.seconds = seconds
    return result


def better(a: CVResult, b: CVResult | None) -> bool:
    """Lower OOF business cost wins; AUC breaks ties."""
    if b is None:
        return True
    return (round(a.oof_cost, 9), -a.oof_auc) < (round(b.oof_cost, 9), -b.oof_auc)


def make_dummy() -> DummyClassifier:
    return DummyClassifier(strategy="prior")


def fit_sklearn(model: Any, X: pd.DataFrame, y: np.ndarray) -> Any:
    """Fit with one BLAS thread: on a busy 2-core machine threaded BLAS spins and runs ~10x slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        return model.fit(X, y)


def sklearn_fit_predict(make: Callable[[], Any], X: pd.DataFrame, y: np.ndarray) -> FitPredict:
    def fit_predict(fit: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        model = fit_sklearn(make(), X.iloc[fit], y[fit])
        return model.predict_proba(X.iloc[val])[:, 1], {}
    return fit_predict
