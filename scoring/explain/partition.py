"""One partition of the nightly build: scores and SHAP values of a slice of clients.

The local build and the Dask build (`cache_dask`) call the same function, so
that a partition computed on a cluster's worker is byte for byte the one
computed in the driver. It only computes: the driver alone writes the build's
single SQLite file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.explain.cache_layout import sigmoid
from scoring.model.scoring_model import ScoringModel


@dataclass(frozen=True)
class PartitionResult:
    """What the driver stores for one partition: ids, probability, raw score, float32 SHAP."""

    ids: np.ndarray  # int64 SK_ID_CURR, in the feature table's order
    probability: np.ndarray  # float64
    raw: np.ndarray  # float64 calibrated log-odds
    shap: np.ndarray  # float32 (n, k), as stored
    base_value: float
    abs_shap_sum: np.ndarray  # float64 (k,): sum of |SHAP| (computed before the float32 cast)


def compute_partition(model: ScoringModel, chunk: pl.DataFrame, *, thread_count: int = -1) -> PartitionResult:
    """One TreeSHAP pass over `chunk`; probability and raw score follow from its sum.

    `thread_count` is CatBoost's (-1: every core; a Dask worker passes its own thread count).
    """
    shap, base = model.shap_values(chunk, thread_count=thread_count)
    raw = base + shap.sum(axis=1)
    return PartitionResult(
        ids=chunk.get_column("SK_ID_CURR").to_numpy(),
        probability=sigmoid(raw),
        raw=raw,
        shap=shap.astype(np.float32),
        base_value=float(base[0]),
        abs_shap_sum=np.abs(shap).sum(axis=0),
    )
