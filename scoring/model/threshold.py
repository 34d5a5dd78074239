"""Business cost of credit decisions and the threshold that minimises it.

A missed defaulter (false negative: the credit is granted, the client
defaults) costs `cost_fn`; a refused good client (false positive) costs
`cost_fp`. The decision rule is the project's one rule: refused iff
probability >= threshold (`scoring.model.decision.is_refused`).

Normalised cost (used in every report): the total cost divided by the cost of
refusing nobody, i.e. ``cost_fn * (number of defaulters)``. So 1.0 means "no
better than granting every credit", 0.0 means "no error at all"; values are
comparable across sample sizes and default rates of the same order.
"""

from __future__ import annotations

import numpy as np

from scoring.errors import UserError


def check_costs(cost_fn: float, cost_fp: float) -> None:
    """Costs must be finite, non-negative and not both zero (else every threshold is optimal)."""
    for name, value in (("cost_fn", cost_fn), ("cost_fp", cost_fp)):
        if not np.isfinite(value) or value < 0:
            raise UserError(f"{name} must be a finite number >= 0, got {value!r}")
    if cost_fn == 0 and cost_fp == 0:
        raise UserError("cost_fn and cost_fp cannot both be 0")


def _labels(y_true: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {y.shape}")
    if y.size and not np.isin(y, (0, 1)).all():
        bad = y[~np.isin(y, (0, 1))][0]
        raise ValueError(f"y_true must hold only 0 and 1, found {bad!r}")
    return y.astype(bool)


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) where y_pred is True/1 for a refused credit."""
    y, p = _labels(y_true), _labels(y_pred)
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {y.size} vs {p.size}")
    tp = int(np.count_nonzero(y & p))
    fp = int(np.count_nonzero(~y & p))
    fn = int(np.count_nonzero(y & ~p))
    return y.size - tp - fp - fn, fp, fn, tp


def business_cost(y_true: np.ndarray, y_pred: np.ndarray, cost_fn: float = 10.0,
                  cost_fp: float = 1.0) -> float:
    """Total cost of the decisions `y_pred` (1 = refused): cost_fn * FN + cost_fp * FP."""
    check_costs(cost_fn, cost_fp)
    _, fp, fn, _ = confusion_counts(y_true, y_pred)
    return float(cost_fn * fn + cost_fp * fp)


def _baseline(n_positive: int, cost_fn: float) -> float:
    """Cost of refusing nobody: the denominator of the normalised cost."""
    base = cost_fn * n_positive
    if base <= 0:
        raise ValueError("normalised cost is undefined without any defaulter (or with cost_fn = 0)")
    return float(base)


def normalised_cost(y_true: np.ndarray, y_pred: np.ndarray, cost_fn: float = 10.0,
                    cost_fp: float = 1.0) -> float:
    """Total cost divided by the cost of refusing nobody (cost_fn x defaulters); 1.0 = grant all."""
    cost = business_cost(y_true, y_pred, cost_fn, cost_fp)
    return cost / _baseline(int(np.count_nonzero(_labels(y_true))), cost_fn)


def cost_curve(y_true: np.ndarray, proba: np.ndarray, cost_fn: float = 10.0,
               cost_fp: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct decision on `proba` with its total cost, exactly, in O(n log n).

    Returns (thresholds, costs), thresholds decreasing. Each threshold lies
    midway between two consecutive distinct probabilities, so it reproduces
    the same refusals on these data while staying away from both; the first
    one refuses nobody (1.0, or just above 1 if a probability equals 1) and
    the last refuses everybody (0.0).
    """
    check_costs(cost_fn, cost_fp)
    y = _labels(y_true)
    p = np.asarray(proba, dtype=float)
    if p.shape != y.shape:
        raise ValueError(f"y_true and proba differ in length: {y.size} vs {p.size}")
    if p.size == 0:
        raise ValueError("cannot choose a threshold on zero predictions")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise ValueError("probabilities must be finite and within [0, 1]")
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    # Refusing the first i clients (by decreasing probability): counts after each one.
    tp = np.cumsum(ys)
    fp = np.arange(1, ys.size + 1) - tp
    # Only cut after the last member of a group of tied probabilities.
    last_of_group = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True])
    n_pos = int(tp[-1])
    costs = np.r_[cost_fn * n_pos, cost_fn * (n_pos - tp[last_of_group]) + cost_fp * fp[last_of_group]]
    values = ps[last_of_group]  # lowest refused probability of each cut
    below = np.r_[values[1:], 0.0]  # highest granted probability (none -> 0)
    thresholds = (values + below) / 2.0
    # Rounding can put a midpoint on the lower value: fall back to the refused value itself.
    thresholds = np.where(thresholds > below, thresholds, values)
    thresholds[-1] = 0.0  # refusing everybody
    top = 1.0 if ps[0] < 1.0 else float(np.nextafter(1.0, 2.0))
    return np.r_[top, thresholds], costs.astype(float)


def best_threshold(y_true: np.ndarray, proba: np.ndarray, cost_fn: float = 10.0,
                   cost_fp: float = 1.0) -> tuple[float, float]:
    """The cost-minimising threshold on these predictions and its normalised cost.

    Exact: every distinct cut of the sorted probabilities is evaluated. Ties
    in cost go to the highest threshold (fewest refusals).
    """
    thresholds, costs = cost_curve(y_true, proba, cost_fn, cost_fp)
    i = int(np.argmin(costs))
    n_pos = int(np.count_nonzero(_labels(y_true)))
    return float(thresholds[i]), float(costs[i]) / _baseline(n_pos, cost_fn)


def bayes_threshold(cost_fn: float = 10.0, cost_fp: float = 1.0) -> float:
    """The optimal threshold for *calibrated* probabilities: cost_fp / (cost_fn + cost_fp)."""
    check_costs(cost_fn, cost_fp)
    return cost_fp / (cost_fn + cost_fp)
