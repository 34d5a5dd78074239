"""Decision words and risk levels: the same everywhere, for any threshold."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.model.decision import (
    RISK_LEVEL_KEYS,
    distance_to_threshold_points,
    is_refused,
    risk_band_edges,
    risk_level,
)


@pytest.mark.parametrize("threshold", [0.02, 0.08, 0.3, 0.5, 0.503, 0.9, 0.99])
def test_seven_real_bands_for_any_threshold(threshold: float) -> None:
    edges = risk_band_edges(threshold)
    assert len(edges) == len(RISK_LEVEL_KEYS) + 1 == 8
    assert edges[0] == 0.0 and edges[-1] == 1.0 and edges[4] == threshold
    assert np.all(np.diff(edges) > 0), edges  # no empty band, even for a high threshold


@pytest.mark.parametrize("threshold", [0.08, 0.503])
def test_the_threshold_opens_level_four_and_matches_the_decision(threshold: float) -> None:
    edges = risk_band_edges(threshold)
    for level in range(7):
        middle = (edges[level] + edges[level + 1]) / 2
        assert risk_level(middle, threshold) == level
        assert is_refused(middle, threshold) == (level >= 4)
    assert risk_level(threshold, threshold) == 4 and is_refused(threshold, threshold)
    assert risk_level(np.nextafter(threshold, 0), threshold) == 3


def test_distance_in_points() -> None:
    assert distance_to_threshold_points(0.123, 0.08) == pytest.approx(4.3)
    assert distance_to_threshold_points(0.05, 0.08) == pytest.approx(-3.0)


def test_invalid_threshold_is_refused() -> None:
    with pytest.raises(ValueError):
        risk_band_edges(1.0)


def test_refused_is_vectorised_and_matches_the_scalar_rule() -> None:
    from scoring.model.decision import refused

    proba = np.array([[0.0, 0.0799], [0.08, 0.9]])
    decided = refused(proba, 0.08)
    assert decided.dtype == bool and decided.shape == proba.shape
    assert decided.tolist() == [[False, False], [True, True]]
    assert refused(0.08, 0.08) is True and refused(np.float64(0.01), 0.08) is False
    assert [is_refused(p, 0.08) for p in proba.ravel()] == decided.ravel().tolist()
    assert refused(np.array([np.nan]), 0.08).tolist() == [False]
