"""A small feature table with a known, partly non-linear signal.

It has the exact shape of `data/processed/features.parquet` (ids, TARGET,
SAMPLE, numeric and String categorical features with nulls), so training can
be tested and benchmarked without the raw-data pipeline. The signal mixes a
linear part (a linear model finds it) with threshold and interaction effects
(only trees find them); its true AUC stays below the leakage guard's limit.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.atomic import atomic_path
from scoring.paths import Paths


def toy_feature_table(n_train: int = 4000, n_new: int = 600, seed: int = 0, *,
                      n_noise: int = 4, leaky: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(feature table, true probabilities); about 8 % defaulters among train clients.

    `leaky=True` adds a `LEAK` column that is the target plus a little noise.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_new
    x = rng.normal(size=(n, 5))
    grade = rng.choice(["A", "B", "C", "D", "E"], size=n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    region = rng.choice([f"R{i:02d}" for i in range(12)], size=n)
    housing = rng.choice(["own", "rent", "parents"], size=n, p=[0.5, 0.4, 0.1]).astype(object)
    grade_effect = pl.Series(grade).replace_strict(
        {"A": -0.6, "B": -0.2, "C": 0.2, "D": 0.5, "E": 0.9}, return_dtype=pl.Float64).to_numpy()
    logit = (
        -3.6
        + 0.45 * x[:, 0]  # linear part
        + grade_effect
        + 2.0 * (np.abs(x[:, 1]) > 1.1)  # symmetric threshold effect: invisible to a linear model
        + 1.4 * ((x[:, 2] > 0.3) & (x[:, 3] < -0.3))  # interaction
    )
    pd_true = 1.0 / (1.0 + np.exp(-logit))
    target = (rng.random(n) < pd_true).astype(np.int8)
    x1 = x[:, 1].copy()
    x1[rng.random(n) < 0.1] = np.nan
    housing[rng.random(n) < 0.05] = None
    sample = np.where(np.arange(n) < n_train, "train", "new")
    cols: dict[str, object] = {
        "SK_ID_CURR": pl.Series(np.arange(100_001, 100_001 + n), dtype=pl.Int64),
        "TARGET": pl.Series(np.where(sample == "train", target, -1), dtype=pl.Int8),
        "SAMPLE": pl.Series(sample, dtype=pl.String),
        "NUM_LINEAR": x[:, 0],
        "NUM_THRESHOLD": pl.Series(x1, nan_to_null=True),
        "NUM_INTER_A": x[:, 2],
        "NUM_INTER_B": x[:, 3],
        "NUM_INT_COUNT": rng.poisson(1.0, size=n).astype(np.int64),
        "CAT_GRADE": pl.Series(grade, dtype=pl.String),
        "CAT_REGION": pl.Series(region, dtype=pl.String),
        "CAT_HOUSING": pl.Series(housing.tolist(), dtype=pl.String),
    }
    for i in range(n_noise):
        cols[f"NUM_NOISE_{i}"] = rng.normal(size=n)
    if leaky:
        cols["LEAK"] = target.astype(np.float64) + rng.normal(scale=0.05, size=n)
    frame = pl.DataFrame(cols)
    frame = frame.with_columns(
        pl.when(pl.col("SAMPLE") == "train").then(pl.col("TARGET")).alias("TARGET"))
    truth = pl.DataFrame({"SK_ID_CURR": frame["SK_ID_CURR"], "TRUE_PD": pd_true})
    truth = truth.with_columns(SAMPLE=frame["SAMPLE"])
    return frame, truth


def write_toy_run(paths: Paths, n_train: int = 4000, n_new: int = 600, seed: int = 0,
                  *, truth: bool = True, **kw: object) -> None:
    """Write the toy table to `paths.features` (and its true probabilities to `paths.truth`)."""
    frame, true_pd = toy_feature_table(n_train, n_new, seed, **kw)
    with atomic_path(paths.features) as tmp:
        frame.write_parquet(tmp)
    if truth:
        with atomic_path(paths.truth) as tmp:
            true_pd.write_parquet(tmp)
