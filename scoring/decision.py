"""From a probability and the business threshold to a decision and a risk level.

Pure functions shared by the cache, the dashboard and the API so that a
client always gets the same words everywhere.
"""

from __future__ import annotations

import numpy as np

#: Seven risk steps, from very low to very high (index 0..6).
RISK_LEVEL_KEYS = (
    "very_low", "low", "rather_low", "moderate", "rather_high", "high", "very_high",
)
#: Band edges as multiples of the threshold: levels 0-3 lie below it, 4-6 at or above it.
_EDGE_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.25)


def risk_band_edges(threshold: float) -> list[float]:
    """The eight edges of the seven risk bands on the probability scale [0, 1]."""
    inner = [min(threshold * f, 1.0) for f in _EDGE_FACTORS]
    return [0.0, *inner, 1.0]


def risk_level(probability: float, threshold: float) -> int:
    """Index 0..6 of the risk band holding `probability` (the threshold opens level 4)."""
    edges = risk_band_edges(threshold)[1:-1]
    return int(np.searchsorted(edges, probability, side="right"))


def is_refused(probability: float, threshold: float) -> bool:
    """The credit is refused when the probability of default reaches the threshold."""
    return bool(probability >= threshold)


def distance_to_threshold_points(probability: float, threshold: float) -> float:
    """Signed distance in percentage points: positive means above the threshold (refused side)."""
    return round((probability - threshold) * 100.0, 1)
