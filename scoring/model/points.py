"""The score in points: the one additive unit an advisor reads (credit-scorecard convention).

Log-odds are additive but unreadable; probabilities are readable but not
additive. The credit-scorecard convention gives both: a score in points that
is an affine map of the log-odds, so that

- higher is safer (points grow with the odds of repaying, good:bad);
- a fixed number of points doubles those odds (PDO, points to double the odds);
- the scale is anchored once (ANCHOR_POINTS at ANCHOR_ODDS good:bad) and never
  moves with a model version, so 600 points always means the same risk;
- the refusal threshold is a score too (`threshold_points`), and the decision
  "refused iff probability >= threshold" reads "refused iff points <= threshold points";
- every SHAP contribution (calibrated log-odds of default) becomes
  ``-FACTOR * shap`` points and the base value becomes the starting score, so
  ``base points + sum of contributions = the client's score`` holds exactly,
  as ``base + sum(shap) = log-odds`` does.

Calibration: the model's log-odds are already Platt-calibrated
(`ScoringModel.shap_values` scales CatBoost's TreeSHAP by the calibration
slope and puts the intercept into the base value), so these points describe
the calibrated probability shown to advisors, with no approximation.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: Points that double the odds of repaying (the usual scorecard choice).
PDO = 20.0
#: The anchor: ANCHOR_POINTS at ANCHOR_ODDS good:bad (about 2 % default).
ANCHOR_POINTS = 600.0
ANCHOR_ODDS = 50.0
#: Points per unit of log-odds.
FACTOR = PDO / math.log(2.0)
#: The score at even odds (log-odds 0, a 50 % probability of default).
OFFSET = ANCHOR_POINTS - FACTOR * math.log(ANCHOR_ODDS)

_EPS = 1e-15


def points_from_logodds(logodds: ArrayLike) -> float | np.ndarray:
    """Score of a log-odds of default (higher log-odds, fewer points)."""
    if isinstance(logodds, float | int):  # one client: plain floats, no array round trip
        return OFFSET - FACTOR * float(logodds)
    value = OFFSET - FACTOR * np.asarray(logodds, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def points_from_probability(probability: ArrayLike) -> float | np.ndarray:
    """Score of a probability of default (clipped away from 0 and 1, where it is infinite)."""
    if isinstance(probability, float | int):
        p = min(max(float(probability), _EPS), 1.0 - _EPS)
        return points_from_logodds(math.log(p) - math.log1p(-p))
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1.0 - _EPS)
    return points_from_logodds(np.log(p) - np.log1p(-p))


def probability_from_points(points: ArrayLike) -> float | np.ndarray:
    """Probability of default of a score (the inverse of `points_from_probability`)."""
    logodds = (OFFSET - np.asarray(points, dtype=np.float64)) / FACTOR
    value = 1.0 / (1.0 + np.exp(-logodds))
    return float(value) if value.ndim == 0 else value


def contribution_points(shap: ArrayLike) -> float | np.ndarray:
    """SHAP contributions (log-odds of default) in points: > 0 toward acceptance."""
    if isinstance(shap, float | int):
        return -FACTOR * float(shap)
    value = -FACTOR * np.asarray(shap, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def scale() -> dict[str, float | str]:
    """The scale's definition, for the model card and the API."""
    return {"unit": "points", "pdo": PDO, "anchor_points": ANCHOR_POINTS, "anchor_odds": ANCHOR_ODDS,
            "factor": FACTOR, "offset": OFFSET, "higher_is": "safer"}
