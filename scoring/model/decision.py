"""From a probability and the business threshold to a decision and a risk level.

Pure functions shared by the cache, the dashboard and the API so that a
client always gets the same words everywhere.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: Seven risk steps, from very low to very high (index 0..6).
RISK_LEVEL_KEYS = (
    "very_low", "low", "rather_low", "moderate", "rather_high", "high", "very_high",
)
#: Band edges below the threshold, as multiples of it (levels 0-3 lie below it).
_LOWER_FACTORS = (0.25, 0.5, 0.75)
#: Above it (levels 4-6): multiples of the threshold, but never past a third and two thirds
#: of the way to 1, so that a high threshold still leaves three real bands.
_UPPER_FACTORS = ((1.5, 1 / 3), (2.25, 2 / 3))


def risk_band_edges(threshold: float) -> list[float]:
    """The eight strictly increasing edges of the seven risk bands on [0, 1]."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
    lower = [threshold * f for f in _LOWER_FACTORS]
    upper = [min(threshold * f, threshold + (1.0 - threshold) * share) for f, share in _UPPER_FACTORS]
    return [0.0, *lower, threshold, *upper, 1.0]


def risk_level(probability: float, threshold: float) -> int:
    """Index 0..6 of the risk band holding `probability` (the threshold opens level 4)."""
    edges = risk_band_edges(threshold)[1:-1]
    return int(np.searchsorted(edges, probability, side="right"))


def refused(probability: ArrayLike, threshold: float) -> bool | np.ndarray:
    """The project's one decision rule: refused iff the probability of default reaches the threshold.

    Vectorised so that the cache, the population, training metrics and the
    panels all apply the very same comparison: a scalar gives a `bool`, an
    array a boolean array of its shape (nan is never refused).
    """
    decision = np.greater_equal(probability, threshold)
    return bool(decision) if np.ndim(decision) == 0 else decision


def is_refused(probability: float, threshold: float) -> bool:
    """Scalar form of `refused` (kept for readability where one client is decided)."""
    return bool(refused(float(probability), threshold))


def distance_to_threshold_points(probability: float, threshold: float) -> float:
    """Signed distance in percentage points: positive means above the threshold (refused side)."""
    return round((probability - threshold) * 100.0, 1)
