"""NoveltyReference: the training ranges, the nearest-neighbour yardstick, and its file beside the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from catboost import CatBoostClassifier, Pool

from scoring.errors import UserError
from scoring.model.novelty import NOVELTY_FILE, NoveltyReference
from scoring.model.scoring_model import ScoringModel, to_model_frame

NAMES = ["x", "y", "z", "flag", "sparse"]


def _sample(n: int, seed: int) -> np.ndarray:
    """x and y strongly tied (y ~ x), z free, a 0/1 flag, a column with missing values."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = x + rng.normal(scale=0.1, size=n)
    z = rng.normal(size=n)
    flag = (rng.random(n) < 0.3).astype(float)
    sparse = np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n))
    return np.column_stack([x, y, z, flag, sparse])


@pytest.fixture(scope="module")
def reference() -> NoveltyReference:
    return NoveltyReference.fit(_sample(6000, 0), NAMES, seed=1)


def test_ranges_are_the_training_quantiles(reference: NoveltyReference) -> None:
    values = _sample(6000, 0)
    for j in range(len(NAMES)):
        known = values[:, j][~np.isnan(values[:, j])]
        assert reference.low[j] == pytest.approx(np.quantile(known, 0.005))
        assert reference.high[j] == pytest.approx(np.quantile(known, 0.995))
    row = np.array([[reference.high[0] + 1.0, 0.0, reference.low[2] - 1.0, 1.0, np.nan]])
    assert reference.outside(row)[0].tolist() == [True, False, True, False, False]
    # about 1 % of the training clients lie beyond each continuous column's range, by construction
    share = reference.outside(values)[:, 0].mean()
    assert 0.005 <= share <= 0.015


def test_distance_uses_the_continuous_complete_columns(reference: NoveltyReference) -> None:
    assert reference.knn_names == ["x", "y", "z"]  # the flag has two values, "sparse" has gaps
    assert np.isfinite(reference.limit) and reference.limit > 0


def test_a_combination_far_from_every_client_is_beyond_the_limit(reference: NoveltyReference) -> None:
    # x high and y low: each within its own range, never together in training
    odd = np.array([[1.8, -1.8, 0.0, 0.0, 0.0]])
    assert not reference.outside(odd).any()
    assert reference.distances(odd)[0] > reference.limit
    fresh = _sample(3000, 99)  # new clients from the same population
    share = (reference.distances(fresh) > reference.limit).mean()
    assert share < 0.03  # the limit is the training clients' 99th percentile
    # a missing value takes the training mean: it never makes a row look unusual
    centre = np.array([[np.nan, np.nan, np.nan, np.nan, np.nan]])
    assert reference.distances(centre)[0] < reference.limit


def test_file_round_trip_and_errors(reference: NoveltyReference, tmp_path: Path) -> None:
    assert NoveltyReference.load(tmp_path) is None  # a model saved before the reference existed
    reference.save(tmp_path)
    loaded = NoveltyReference.load(tmp_path)
    assert loaded is not None and loaded.names == NAMES and loaded.knn_names == reference.knn_names
    assert loaded.limit == reference.limit and loaded.k == reference.k
    probe = _sample(50, 5)
    np.testing.assert_array_equal(loaded.distances(probe), reference.distances(probe))
    (tmp_path / NOVELTY_FILE).write_bytes(b"not a numpy archive")
    with pytest.raises(UserError, match="corrupted"):
        NoveltyReference.load(tmp_path)


def test_fit_needs_clients_and_matching_columns() -> None:
    with pytest.raises(UserError, match="two training clients"):
        NoveltyReference.fit(np.zeros((1, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="values must be"):
        NoveltyReference.fit(np.zeros((5, 2)), ["a"])


def test_the_model_folder_carries_the_reference(reference: NoveltyReference, tmp_path: Path) -> None:
    values = _sample(300, 3)
    frame = pl.DataFrame({name: values[:, j] for j, name in enumerate(NAMES)}).fill_nan(None)
    y = (values[:, 0] > 0).astype(int)
    booster = CatBoostClassifier(iterations=5, depth=2, verbose=0, thread_count=1, allow_writing_files=False)
    booster.fit(Pool(to_model_frame(frame, NAMES, []), y))
    ScoringModel(booster, NAMES, [], 0.3, "v1", novelty=reference).save(tmp_path / "with")
    ScoringModel(booster, NAMES, [], 0.3, "v1").save(tmp_path / "without")
    assert (tmp_path / "with" / NOVELTY_FILE).is_file()
    assert ScoringModel.load(tmp_path / "with").novelty.limit == reference.limit
    assert ScoringModel.load(tmp_path / "without").novelty is None  # old models keep loading


def test_an_absurd_magnitude_is_far_not_an_error(reference: NoveltyReference) -> None:
    """1e300 overflows float32 once standardized: it must come out as a (huge) finite distance."""
    row = np.zeros((1, len(reference.names)))
    row[0, reference.knn_columns[0]] = 1e300
    distance = reference.distances(row)
    assert np.isfinite(distance).all() and distance[0] > reference.limit
