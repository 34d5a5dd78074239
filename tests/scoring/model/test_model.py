"""ScoringModel: both input paths (few rows, many rows) give the same scores and SHAP values."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from catboost import CatBoostClassifier

from scoring.errors import UserError
from scoring.model.scoring_model import SMALL_FRAME_ROWS, ScoringModel, to_model_frame


@pytest.fixture(scope="module")
def model_and_frame() -> tuple[ScoringModel, pl.DataFrame]:
    rng = np.random.default_rng(0)
    n = 400
    x1 = rng.normal(size=n)
    x2 = np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n))
    colour = rng.choice(["red", "green", None], size=n)
    y = (x1 + np.nan_to_num(x2) + (colour == "red") + rng.normal(size=n) > 1).astype(int)
    frame = pl.DataFrame({"x1": x1, "x2": x2, "colour": colour}).with_columns(
        pl.col("x2").fill_nan(None)
    )
    names, cats = ["x1", "x2", "colour"], ["colour"]
    booster = CatBoostClassifier(iterations=30, depth=3, verbose=0, thread_count=1, allow_writing_files=False)
    from catboost import Pool

    booster.fit(Pool(to_model_frame(frame, names, cats), y, cat_features=cats))
    return ScoringModel(booster, names, cats, threshold=0.3, version="test"), frame


def test_small_and_large_inputs_agree(model_and_frame) -> None:
    model, frame = model_and_frame
    big = model.predict_proba(frame)
    small = np.concatenate([model.predict_proba(frame[i : i + 1]) for i in range(0, 80)])
    np.testing.assert_allclose(small, big[:80], rtol=0, atol=1e-12)
    values_big, base_big = model.shap_values(frame[:SMALL_FRAME_ROWS + 1])
    values_small, base_small = model.shap_values(frame[:SMALL_FRAME_ROWS])
    np.testing.assert_allclose(values_small, values_big[:SMALL_FRAME_ROWS], atol=1e-12)
    np.testing.assert_allclose(base_small, base_big[:SMALL_FRAME_ROWS], atol=1e-12)


def test_missing_model_column_is_named(model_and_frame) -> None:
    model, frame = model_and_frame
    with pytest.raises(UserError, match="x2"):
        model.predict_proba(frame.drop("x2")[:1])
    with pytest.raises(UserError, match="x2"):
        model.predict_proba(frame.drop("x2"))
