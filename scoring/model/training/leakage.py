"""Leakage guard: a feature that predicts the target almost alone is a bug, not a win.

Two cheap checks stop training before anything is registered: any single
feature with an AUC above a limit on the fit rows, and a hold-out AUC above
what credit data allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from scoring.errors import UserError
from scoring.model.training.data import cv_folds

MAX_FEATURE_AUC = 0.9
MAX_HOLDOUT_AUC = 0.82


class LeakageError(UserError):
    """A feature or a model is too good to be true: the target probably leaks into the features."""


def _auc_columns(values: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Symmetric AUC (max(auc, 1 - auc)) of each column, by ranks (Mann-Whitney), vectorised."""
    ranks = rankdata(values, axis=0)
    pos = y.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    auc = (ranks[pos].sum(axis=0) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    return np.maximum(auc, 1.0 - auc)


def _target_encode_oof(col: pd.Series, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold smoothed mean target per category: a leak shows, an id-like column does not."""
    codes, _ = pd.factorize(col, use_na_sentinel=False)
    prior, weight = float(y.mean()), 10.0
    out = np.empty(y.size)
    for fit, val in cv_folds(y, folds, seed):
        sums = np.bincount(codes[fit], weights=y[fit], minlength=codes.max() + 1)
        counts = np.bincount(codes[fit], minlength=codes.max() + 1)
        out[val] = ((sums + prior * weight) / (counts + weight))[codes[val]]
    return out


def single_feature_auc(X: pd.DataFrame, y: np.ndarray, cat_features: list[str],
                       seed: int = 0, folds: int = 3) -> dict[str, float]:
    """AUC of each feature used alone: numeric by value (missing ranked lowest), categorical by
    out-of-fold target mean. Symmetric, so 0.5 = useless and 1.0 = the target itself."""
    cats = set(cat_features)
    numeric = [c for c in X.columns if c not in cats]
    result: dict[str, float] = {}
    if numeric:
        values = X[numeric].to_numpy(dtype=float, na_value=np.nan)
        values = np.where(np.isnan(values), -np.inf, values)
        result.update(zip(numeric, _auc_columns(values, y).tolist(), strict=True))
    for c in cat_features:
        enc = _target_encode_oof(X[c], y, folds, seed)
        result[c] = float(_auc_columns(enc[:, None], y)[0])
    return {c: result[c] for c in X.columns}


def check_feature_leakage(aucs: dict[str, float], limit: float = MAX_FEATURE_AUC) -> None:
    """Raise LeakageError naming every feature whose AUC alone exceeds `limit`."""
    suspects = sorted(((a, c) for c, a in aucs.items() if a > limit), reverse=True)
    if suspects:
        named = ", ".join(f"{c} (AUC {a:.3f})" for a, c in suspects[:10])
        raise LeakageError(f"possible target leakage: {len(suspects)} feature(s) reach an AUC above "
                           f"{limit} on their own: {named}. Remove them from the feature table; "
                           "no model was registered.")


def check_holdout_auc(holdout_auc: dict[str, float], top_features: dict[str, float],
                      limit: float = MAX_HOLDOUT_AUC) -> None:
    """Raise LeakageError when a model's hold-out AUC exceeds `limit`, naming the likeliest suspects."""
    over = {m: a for m, a in holdout_auc.items() if a > limit}
    if over:
        models = ", ".join(f"{m} (AUC {a:.3f})" for m, a in over.items())
        suspects = ", ".join(f"{c} (AUC alone {a:.3f})" for c, a in top_features.items())
        raise LeakageError(f"possible target leakage: hold-out AUC above {limit} for {models}; "
                           f"strongest single features: {suspects}. No model was registered.")
