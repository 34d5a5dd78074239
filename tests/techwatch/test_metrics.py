"""The metrics come from scikit-learn and agree with a direct computation by hand."""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from math import comb

import numpy as np
import pytest

from techwatch.measure import measure
from techwatch.protocol import MethodResult, ari, cluster_ari, fold_metrics

# A constructed example: 10 products, 3 categories, 3 mistakes.
Y_TRUE = np.array(["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"], dtype=object)
Y_PRED = np.array(["a", "a", "b", "a", "b", "b", "c", "c", "c", "a"], dtype=object)


def _f1_by_hand(true: np.ndarray, pred: np.ndarray, label: str) -> float:
    tp = sum(t == label and p == label for t, p in zip(true, pred, strict=True))
    fp = sum(t != label and p == label for t, p in zip(true, pred, strict=True))
    fn = sum(t == label and p != label for t, p in zip(true, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn)


def _ari_by_pairs(true: np.ndarray, assigned: np.ndarray) -> float:
    """Hubert & Arabie's index from the pair counts, with the expectation under chance."""
    n = len(true)
    same_both = sum(1 for i, j in combinations(range(n), 2)
                    if true[i] == true[j] and assigned[i] == assigned[j])
    same_true = sum(comb(c, 2) for c in Counter(true.tolist()).values())
    same_assigned = sum(comb(c, 2) for c in Counter(assigned.tolist()).values())
    expected = same_true * same_assigned / comb(n, 2)
    maximum = (same_true + same_assigned) / 2
    return (same_both - expected) / (maximum - expected)


def test_accuracy_and_macro_f1_match_a_direct_computation() -> None:
    accuracy, macro_f1 = fold_metrics(Y_TRUE, Y_PRED)
    assert accuracy == pytest.approx(7 / 10)
    # by hand: a = 2*3/(6+1+1) = 0.75, b = 2*2/(4+1+1) = 2/3, c = 2*2/(4+1+1) = 2/3
    assert macro_f1 == pytest.approx((0.75 + 2 / 3 + 2 / 3) / 3)
    assert macro_f1 == pytest.approx(np.mean([_f1_by_hand(Y_TRUE, Y_PRED, c) for c in "abc"]))


def test_ari_matches_the_pair_counting_formula() -> None:
    clusters = np.array([0, 0, 1, 0, 1, 1, 2, 2, 2, 0])
    assert ari(Y_TRUE, clusters) == pytest.approx(_ari_by_pairs(Y_TRUE, clusters))
    renamed = np.array([{"a": 5, "b": 7, "c": 1}[y] for y in Y_TRUE])
    assert ari(Y_TRUE, renamed) == pytest.approx(1.0)  # cluster names do not matter


def test_ari_of_random_partitions_is_near_zero() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 2000)
    assert abs(ari(labels, rng.integers(0, 4, 2000))) < 0.01


def test_kmeans_recovers_well_separated_groups_for_every_seed() -> None:
    rng = np.random.default_rng(1)
    centres = np.eye(3) * 10
    labels = np.repeat(np.array(["x", "y", "z"], dtype=object), 20)
    space = np.vstack([c + rng.normal(size=(20, 3)) for c in centres])
    scores, first = cluster_ari(space, labels, seeds=3, n_init=2)
    assert scores == pytest.approx([1.0, 1.0, 1.0])
    assert len(set(first.tolist())) == 3


def test_summary_uses_the_sample_standard_deviation() -> None:
    result = MethodResult(key="k", label="k", accuracy=[0.8, 0.9, 1.0], macro_f1=[0.5, 0.5, 0.5],
                          chosen_c=[1.0] * 3, confusion=[], ari=[0.2, 0.4], clusters=[],
                          seconds={}, peak_mib={}, docs_per_second=0.0)
    summary = result.summary()
    assert summary["accuracy_mean"] == pytest.approx(0.9)
    assert summary["accuracy_std"] == pytest.approx(0.1)  # sqrt(((-.1)^2 + 0 + .1^2) / 2)
    assert summary["macro_f1_std"] == 0.0
    assert summary["ari_std"] == pytest.approx(np.sqrt(0.02))


def test_measure_sees_a_large_allocation() -> None:
    with measure(interval=0.001) as m:
        block = np.ones(100 * 2**20 // 8)  # 100 MiB, touched
        block.sum()
        del block
    assert m.peak_mib > 80
    assert m.seconds > 0
