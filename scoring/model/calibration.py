"""Platt scaling in log-odds: turns a class-weighted model's scores back into default rates.

Class weights (chosen by CV to handle the imbalance) shift CatBoost's
probabilities far above the real default rate, which would mislead an advisor
reading "probability of default". A logistic fit of the outcome on the
out-of-fold log-odds gives an affine map ``slope * raw + intercept`` that
restores calibrated probabilities while keeping the ranking, the decisions
(the threshold is mapped the same way) and SHAP additivity.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

_EPS = 1e-12


def logit(proba: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def fit_platt(y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) mapping log-odds of `proba` to calibrated log-odds of `y`.

    Falls back to the identity when the fit is not increasing (the map must keep the ranking).
    """
    x = logit(proba).reshape(-1, 1)
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(x, np.asarray(y, dtype=int))
    slope, intercept = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    if not np.isfinite(slope) or slope <= 0 or not np.isfinite(intercept):
        return 1.0, 0.0
    return slope, intercept


def calibrate(proba: np.ndarray | float, slope: float, intercept: float) -> np.ndarray:
    """Calibrated probabilities (the threshold goes through the same map)."""
    return sigmoid(slope * logit(proba) + intercept)
