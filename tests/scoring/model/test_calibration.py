"""Platt calibration: probabilities become default rates, decisions and SHAP additivity stay."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.model.calibration import calibrate, fit_platt, logit, sigmoid
from scoring.paths import Paths


def test_fit_platt_recovers_a_known_distortion() -> None:
    rng = np.random.default_rng(3)
    true_logit = rng.normal(-2.5, 1.2, size=40_000)
    y = rng.random(true_logit.size) < sigmoid(true_logit)
    distorted = sigmoid(0.5 * true_logit + 1.0)  # what class weights do, roughly
    slope, intercept = fit_platt(y, distorted)
    assert slope == pytest.approx(2.0, rel=0.08)
    assert intercept == pytest.approx(-2.0, abs=0.2)
    calibrated = calibrate(distorted, slope, intercept)
    assert calibrated.mean() == pytest.approx(y.mean(), abs=0.005)
    assert distorted.mean() > y.mean() + 0.15


def test_calibration_keeps_the_ranking_and_falls_back_to_identity() -> None:
    p = np.linspace(0.01, 0.99, 50)
    assert np.all(np.diff(calibrate(p, 1.7, -0.4)) > 0)
    y = (p < 0.5).astype(int)  # anti-correlated: a decreasing map would be needed
    assert fit_platt(y, p) == (1.0, 0.0)
    np.testing.assert_allclose(calibrate(p, 1.0, 0.0), p, atol=1e-12)
    np.testing.assert_allclose(sigmoid(logit(p)), p, atol=1e-12)


def test_registered_model_is_calibrated_and_decides_as_before(small_run: Paths) -> None:
    from scoring.model.registry import load_current

    model = load_current(small_run)
    features = pl.read_parquet(small_run.features)
    train = features.filter(pl.col("SAMPLE") == "train")
    proba = model.predict_proba(train)
    y = train["TARGET"].to_numpy()
    assert proba.mean() == pytest.approx(y.mean(), abs=0.02)
    # decisions at the calibrated threshold equal the raw booster's at the raw threshold
    raw_proba = model.booster.predict_proba(model.pool(train))[:, 1]
    raw_threshold = model.card["threshold_before_calibration"]
    np.testing.assert_array_equal(proba >= model.threshold, raw_proba >= raw_threshold)
    # SHAP stays additive in calibrated log-odds
    values, base = model.shap_values(train[:50])
    np.testing.assert_allclose(base + values.sum(axis=1), model.raw_score(train[:50]), atol=1e-9)
    assert model.card["calibration_map"]["slope"] == model.calibration_slope
