"""PSI and the per-feature drift: closed-form values, and a feature shifted on purpose in
generated new clients is the one flagged."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from scoring.data.schema import ID_COLUMNS
from scoring.monitoring import drift
from scoring.paths import Paths


def test_identical_distributions_have_zero_psi() -> None:
    x = np.random.default_rng(1).normal(size=5000)
    assert drift.numeric_drift(x, x.copy())["psi"] == 0.0
    cats = pl.Series("C", ["a", "b", None, "c"] * 100)
    assert drift.feature_drift(cats, cats.clone())["psi"] == 0.0


def test_a_known_shift_of_the_deciles_gives_its_closed_form() -> None:
    reference = np.arange(1000.0)  # deciles at 99.9, 199.8, ...: 10 % of the values in each bin
    # incoming: 15 % in each of the first five bins, 5 % in each of the last five
    incoming = np.r_[np.repeat(np.arange(0, 500, 100) + 5.0, 150), np.repeat(np.arange(500, 1000, 100) + 5.0, 50)]
    out = drift.numeric_drift(reference, incoming)
    assert out["reference"] == [0.1] * 10 and out["incoming"] == [0.15] * 5 + [0.05] * 5
    # 5 * 0.05 * ln(1.5) + 5 * (-0.05) * ln(0.5) = 0.25 * ln 3
    assert out["psi"] == pytest.approx(0.25 * math.log(3), rel=1e-12)
    assert drift.status(out["psi"]) == "shifted"


def test_a_normal_mean_shift_matches_the_normal_cdf() -> None:
    grid = norm.ppf((np.arange(200_000) + 0.5) / 200_000)  # an exact N(0, 1) sample
    mu = 0.3
    shares = np.diff(norm.cdf(norm.ppf(np.linspace(0, 1, 11)) - mu))
    expected = float(np.sum((shares - 0.1) * np.log(shares / 0.1)))
    assert drift.numeric_drift(grid, grid + mu)["psi"] == pytest.approx(expected, rel=1e-3)


def test_categories_missing_values_and_empty_bins() -> None:
    ref = pl.Series("C", ["a"] * 500 + ["b"] * 500)
    inc = pl.Series("C", ["a"] * 800 + ["b"] * 200)
    out = drift.feature_drift(ref, inc)  # 0.3 ln 1.6 - 0.3 ln 0.4 = 0.3 ln 4
    assert out["psi"] == pytest.approx(0.3 * math.log(4)) and out["test"] == "chi2" and out["p_value"] < 1e-6
    assert out["categories"] == ["a", "b"] and out["missing"] == {"reference": 0.0, "incoming": 0.0}
    # a category absent from the reference counts as EPSILON there
    inc2 = pl.Series("C", ["a"] * 450 + ["b"] * 450 + ["z"] * 50 + [None] * 50)
    e, a = np.array([0.5, 0.5, drift.EPSILON, drift.EPSILON]), np.array([0.45, 0.45, 0.05, 0.05])
    assert drift.feature_drift(ref, inc2)["psi"] == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    assert drift.status(0.05) == "stable" and drift.status(0.1) == "watch" and drift.status(0.25) == "watch"
    assert drift.status(None) == "unknown"


def test_a_feature_shifted_on_purpose_in_generated_new_clients_is_the_only_one_flagged(small_run: Paths) -> None:
    """Generated clients split at random into reference and "new" (the same distribution), then
    the new clients' income multiplied by 2.5: income alone crosses 0.25."""
    train = pl.read_parquet(small_run.features).filter(pl.col("SAMPLE") == "train")
    rng = np.random.default_rng(3)
    new = rng.random(train.height) < 0.3
    reference, incoming = train.filter(pl.Series(~new)), train.filter(pl.Series(new))
    incoming = incoming.with_columns(pl.col("AMT_INCOME_TOTAL") * 2.5)
    columns = [c for c in train.columns if c not in ID_COLUMNS]
    out = drift.population_drift(reference, incoming, columns, set(columns))
    psi = {name: f["psi"] for name, f in out["features"].items()}
    assert psi["AMT_INCOME_TOTAL"] > drift.PSI_SHIFT and out["ranked"][0] == "AMT_INCOME_TOTAL"
    assert out["alarms"] == [{"feature": "AMT_INCOME_TOTAL", "psi": psi["AMT_INCOME_TOTAL"]}]
    # the features computed from income move too (they are shifted); nothing else crosses 0.25
    derived = {"INCOME_PER_PERSON", "CREDIT_INCOME_RATIO", "ANNUITY_INCOME_RATIO", "BUREAU_DEBT_INCOME_RATIO",
               "TOTAL_DEBT_INCOME_RATIO"}
    others = {n: v for n, v in psi.items() if n not in derived | {"AMT_INCOME_TOTAL"}}
    assert max(others.values()) < drift.PSI_SHIFT, sorted(others.items(), key=lambda kv: -kv[1])[:3]
    # without the shift, nothing is flagged
    clean = drift.population_drift(reference, train.filter(pl.Series(new)), columns, set(columns))
    assert clean["alarms"] == [] and max(f["psi"] for f in clean["features"].values()) < drift.PSI_SHIFT


def test_no_alarm_below_the_minimum_number_of_incoming_clients() -> None:
    ref = pl.DataFrame({"X": np.arange(1000.0)})
    inc = pl.DataFrame({"X": np.arange(drift.MIN_INCOMING - 1, dtype=np.float64) + 5000})
    out = drift.population_drift(ref, inc, ["X"], {"X"})
    assert out["features"]["X"]["status"] == "shifted" and out["alarms"] == [] and not out["enough_incoming"]
