"""Business cost and the cost-minimising threshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import UserError
from scoring.model.decision import is_refused
from scoring.model.threshold import (
    bayes_threshold,
    best_threshold,
    business_cost,
    confusion_counts,
    cost_curve,
    normalised_cost,
)


def test_business_cost_hand_computed() -> None:
    y = np.array([1, 1, 0, 0, 1, 0])
    refused = np.array([1, 0, 1, 0, 0, 0])  # FN = 2 (2nd, 5th), FP = 1 (3rd), TP = 1, TN = 2
    assert confusion_counts(y, refused) == (2, 1, 2, 1)
    assert business_cost(y, refused) == 2 * 10 + 1 * 1
    assert business_cost(y, refused, cost_fn=5, cost_fp=2) == 2 * 5 + 1 * 2
    # Normalised by the cost of refusing nobody: 3 defaulters x 10.
    assert normalised_cost(y, refused) == pytest.approx(21 / 30)
    assert normalised_cost(y, np.zeros(6)) == 1.0
    assert normalised_cost(y, y) == 0.0
    # Refusing everybody costs one FP per good client.
    assert normalised_cost(y, np.ones(6)) == pytest.approx(3 / 30)


def test_best_threshold_known_optimum_is_not_one_half() -> None:
    # Sorted by probability; with FN = 10 and FP = 1, refusing down to 0.2 catches the
    # defaulter at 0.2 for the price of two good clients at 0.3 and 0.25.
    proba = np.array([0.05, 0.1, 0.2, 0.25, 0.3, 0.45, 0.6, 0.9])
    y = np.array([0, 0, 1, 0, 0, 1, 0, 1])
    t, cost = best_threshold(y, proba)
    # Candidates: refuse >=0.9: FN 2 -> 20 + FP 0; >=0.6: 20+1; >=0.45: 10+1; >=0.3: 10+2;
    # >=0.25: 10+3; >=0.2: 0+3 (best); >=0.1: 4; >=0.05: 5; nobody: 30.
    assert cost == pytest.approx(3 / 30)
    assert 0.1 < t <= 0.2
    assert t != 0.5
    refused = np.array([is_refused(p, t) for p in proba])
    assert refused.tolist() == (proba >= 0.2).tolist()
    # A cheaper false negative moves the optimum up: FN = 1.5 -> refuse only >= 0.45 (1.5 + 1).
    t2, cost2 = best_threshold(y, proba, cost_fn=1.5, cost_fp=1.0)
    assert 0.3 < t2 <= 0.45
    assert cost2 == pytest.approx((1.5 + 1) / 4.5)


def test_ties_are_never_split() -> None:
    proba = np.array([0.3, 0.3, 0.3, 0.1])
    y = np.array([1, 0, 0, 0])
    thresholds, costs = cost_curve(y, proba)
    # Three decisions only: nobody, the three tied clients, everybody.
    assert len(thresholds) == 3
    assert costs.tolist() == [10.0, 2.0, 3.0]


def test_everybody_and_nobody_are_candidates() -> None:
    y = np.array([1, 1, 0])
    t, cost = best_threshold(y, np.array([0.0, 0.0, 0.0]))
    assert t == 0.0 and cost == pytest.approx(1 / 20)  # refuse all: one FP
    t, cost = best_threshold(np.array([1, 0, 0]), np.array([0.0, 1.0, 1.0]), cost_fn=1, cost_fp=10)
    assert t > 1.0 and cost == 1.0  # a probability of 1 must still be grantable


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20)), min_size=1, max_size=40),
       st.floats(0.5, 20), st.floats(0.5, 20))
def test_best_threshold_matches_brute_force(rows: list[tuple[int, int]], cost_fn: float,
                                            cost_fp: float) -> None:
    y = np.array([r[0] for r in rows])
    proba = np.array([r[1] / 20 for r in rows])
    if y.sum() == 0:
        y[0] = 1
    t, cost = best_threshold(y, proba, cost_fn, cost_fp)
    candidates = [*np.unique(proba), np.inf]
    brute = min(normalised_cost(y, proba >= c, cost_fn, cost_fp) for c in candidates)
    assert cost == pytest.approx(brute)
    # The returned threshold, applied with the project's rule, gives exactly that cost.
    assert normalised_cost(y, proba >= t, cost_fn, cost_fp) == pytest.approx(cost)


def test_calibrated_probabilities_give_the_bayes_threshold() -> None:
    rng = np.random.default_rng(3)
    proba = rng.uniform(0.0, 0.3, 200_000)
    y = (rng.random(proba.size) < proba).astype(int)
    t, _ = best_threshold(y, proba)
    assert bayes_threshold() == pytest.approx(1 / 11)
    assert abs(t - 1 / 11) < 0.015


def test_bad_inputs_are_named() -> None:
    with pytest.raises(UserError, match="cost_fn"):
        business_cost(np.array([1]), np.array([1]), cost_fn=-1)
    with pytest.raises(UserError, match="both"):
        best_threshold(np.array([1, 0]), np.array([0.2, 0.1]), cost_fn=0, cost_fp=0)
    with pytest.raises(ValueError, match="0 and 1"):
        business_cost(np.array([2, 0]), np.array([1, 0]))
    with pytest.raises(ValueError, match="length"):
        best_threshold(np.array([1, 0]), np.array([0.2]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        best_threshold(np.array([1, 0]), np.array([0.2, 1.5]))
    with pytest.raises(ValueError, match="defaulter"):
        normalised_cost(np.array([0, 0]), np.array([1, 0]))
