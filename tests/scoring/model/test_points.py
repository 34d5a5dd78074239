"""The points scale: higher is safer, PDO points double the odds, contributions stay additive."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.model import points as P
from scoring.model.calibration import logit
from scoring.model.decision import refused


def test_anchor_and_points_to_double_the_odds():
    p_anchor = 1.0 / (1.0 + P.ANCHOR_ODDS)  # odds good:bad = ANCHOR_ODDS
    assert P.points_from_probability(p_anchor) == pytest.approx(P.ANCHOR_POINTS)
    # doubling the odds of repaying adds PDO points, halving them takes PDO away
    for odds in (2.0, 9.0, 50.0, 400.0):
        p, p_double, p_half = 1 / (1 + odds), 1 / (1 + 2 * odds), 1 / (1 + odds / 2)
        assert P.points_from_probability(p_double) - P.points_from_probability(p) == pytest.approx(P.PDO)
        assert P.points_from_probability(p) - P.points_from_probability(p_half) == pytest.approx(P.PDO)
    assert P.points_from_probability(0.5) == pytest.approx(P.OFFSET)


def test_higher_is_safer_and_the_inverse_holds():
    p = np.linspace(0.001, 0.999, 999)
    pts = P.points_from_probability(p)
    assert np.all(np.diff(pts) < 0)
    np.testing.assert_allclose(P.probability_from_points(pts), p, rtol=1e-12)
    assert isinstance(P.points_from_probability(0.1), float)
    # one client's scalars take a plain-float path: the same values as the array path
    for p_one in (1e-300, 0.013, 0.1, 0.5, 0.97, 1.0):
        assert P.points_from_probability(p_one) == pytest.approx(P.points_from_probability(np.array([p_one]))[0])
    assert P.contribution_points(0.3) == pytest.approx(P.contribution_points(np.array([0.3]))[0])
    assert np.isfinite(P.points_from_probability(0.0)) and np.isfinite(P.points_from_probability(1.0))


def test_contributions_in_points_add_up_to_the_score():
    rng = np.random.default_rng(4)
    base = -2.4
    shap = rng.normal(0, 0.3, size=(200, 30))
    logodds = base + shap.sum(axis=1)
    total = P.points_from_logodds(base) + P.contribution_points(shap).sum(axis=1)
    np.testing.assert_allclose(total, P.points_from_probability(1 / (1 + np.exp(-logodds))), atol=1e-9)
    # a contribution toward refusal (shap > 0) takes points away
    assert P.contribution_points(0.5) < 0 < P.contribution_points(-0.5)


def test_the_threshold_in_points_gives_the_same_decisions():
    """Refused iff points <= threshold points, except for probabilities a rounding error away from
    the threshold (which share its points): the decision itself stays on the probability."""
    rng = np.random.default_rng(5)
    threshold = 0.0968
    p = np.concatenate([rng.uniform(0, 1, 5000), [threshold, np.nextafter(threshold, 0), 0.0968001]])
    pts, limit = P.points_from_probability(p), P.points_from_probability(threshold)
    decided = refused(p, threshold)
    assert np.all(pts[decided] <= limit)
    differ = (pts <= limit) != decided
    assert np.all(pts[differ] == limit) and differ.sum() <= 1
    assert decided[-1] and not decided[-2] and pts[-1] < limit


def test_scale_describes_itself():
    s = P.scale()
    assert s["pdo"] == P.PDO and s["higher_is"] == "safer"
    assert s["factor"] == pytest.approx(P.PDO / math.log(2))
    assert P.points_from_logodds(logit(0.2)) == pytest.approx(P.points_from_probability(0.2))
