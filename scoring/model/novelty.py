"""What the model has seen: the training clients' value ranges and how close they lie to each other.

A score is only as good as the data behind it: for values beyond anything
the training clients had, CatBoost's trees simply extend their last leaf. A
`NoveltyReference` keeps, per numeric feature, the 0.5 % and 99.5 %
quantiles of the training clients, and a nearest-neighbour yardstick: the
mean distance from a training client to its `k` nearest others (on the
standardized numeric features that are never missing in training and take
more than two values), whose 99th percentile is the `limit` beyond which a
combination of values is far from every training client.

It is computed once, at training time, and saved with the model version
(`novelty.npz`, written by `ScoringModel.save` inside the version's atomic
folder); a model saved without one gets it computed once per process by the
service from the feature table's train rows (`fit` with the same settings).
The neighbours are searched in a fixed random sample of the training clients
(`index`); the reference distances are those of *other* training clients (a
second, disjoint sample), so that a new applicant and a training client are
measured the same way.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from scoring.errors import UserError

NOVELTY_FILE = "novelty.npz"
#: Quantiles bounding "the range seen in training" for each numeric feature.
RANGE_QUANTILES = (0.005, 0.995)
#: Neighbours averaged in the distance, the percentile of the training clients' own distances
#: used as the limit, and the sample sizes (search index, reference clients).
K_NEIGHBOURS = 5
LIMIT_PERCENTILE = 99.0
INDEX_SIZE = 10_000
REFERENCE_SIZE = 2_000
#: Query rows per block (bounds the distance matrix held in memory).
_BLOCK = 256
#: Standardized values are clipped to this many standard deviations (float32 stays finite).
Z_LIMIT = 1e6


@dataclass(frozen=True)
class NoveltyReference:
    """Training ranges per numeric feature and the nearest-neighbour distance yardstick."""

    names: list[str]  # numeric feature columns with a range (model order)
    low: np.ndarray  # 0.5 % quantile per name (nan: never observed)
    high: np.ndarray  # 99.5 % quantile per name
    knn_names: list[str]  # the standardized features of the distance
    center: np.ndarray  # their training mean
    scale: np.ndarray  # their training standard deviation (> 0)
    index: np.ndarray = field(repr=False)  # standardized sample searched for neighbours (float32)
    k: int = K_NEIGHBOURS
    limit: float = float("inf")  # 99th percentile of training clients' mean k-NN distance

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def fit(cls, values: np.ndarray, names: list[str], *, seed: int = 0, k: int = K_NEIGHBOURS,
            index_size: int = INDEX_SIZE, reference_size: int = REFERENCE_SIZE) -> NoveltyReference:
        """The reference of the training clients' numeric features `values` (rows x names, nan = missing)."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(names):
            raise ValueError(f"values must be (clients, {len(names)}), got {values.shape}")
        if values.shape[0] < 2:
            raise UserError("the novelty reference needs at least two training clients")
        low, high = _quantiles(values, RANGE_QUANTILES)
        present = ~np.isnan(values).any(axis=0)
        distinct = np.array([present[j] and np.unique(values[:, j]).size > 2 for j in range(len(names))],
                            dtype=bool)
        std = np.nanstd(values, axis=0) if values.size else np.zeros(len(names))
        keep = np.flatnonzero(distinct & (std > 0))
        center, scale = np.nanmean(values[:, keep], axis=0), std[keep]
        z = ((values[:, keep] - center) / scale).astype(np.float32)
        rng = np.random.default_rng(seed)
        order = rng.permutation(z.shape[0])
        n_index = min(index_size, max(z.shape[0] - min(reference_size, z.shape[0] // 2), 1))
        index = z[np.sort(order[:n_index])]
        ref_rows = np.sort(order[n_index:n_index + reference_size])
        k = max(1, min(k, index.shape[0]))
        reference = cls([*names], low, high, [names[j] for j in keep], center, scale, index, k)
        limit = float("inf")
        if ref_rows.size and keep.size:
            limit = float(np.percentile(reference._distances(z[ref_rows]), LIMIT_PERCENTILE))
        return cls(reference.names, low, high, reference.knn_names, center, scale, index, k, limit)

    # -- questions -------------------------------------------------------------------------------
    def outside(self, values: np.ndarray) -> np.ndarray:
        """Boolean (rows x names): a known value strictly beyond the training range."""
        values = np.asarray(values, dtype=np.float64).reshape(-1, len(self.names))
        with np.errstate(invalid="ignore"):
            return (values < self.low) | (values > self.high)

    @cached_property
    def knn_columns(self) -> np.ndarray:
        """Positions of `knn_names` among `names`."""
        where = {name: i for i, name in enumerate(self.names)}
        return np.array([where[name] for name in self.knn_names], dtype=np.int64)

    def standardize(self, values: np.ndarray) -> np.ndarray:
        """Rows over `names` -> their `knn_names` in training standard deviations; a missing
        value takes the training mean (0), so it never makes a row look unusual."""
        values = np.asarray(values, dtype=np.float64).reshape(-1, len(self.names))[:, self.knn_columns]
        with np.errstate(over="ignore", invalid="ignore"):
            z = (values - self.center) / self.scale
        # a value a million deviations away is as unusual as one further: clipping keeps an
        # absurd input (1e300) finite in float32 instead of failing the neighbour search
        return np.clip(np.where(np.isnan(z), 0.0, z), -Z_LIMIT, Z_LIMIT).astype(np.float32)

    def distances(self, values: np.ndarray) -> np.ndarray:
        """Mean distance of each row (over `names`) to its k nearest training clients."""
        return self._distances(self.standardize(values))

    def nearest(self, values: np.ndarray) -> np.ndarray:
        """Each row's (over `names`) nearest training client in the index (standardized, knn_names)."""
        z = self.standardize(values)
        if not self.knn_names:
            return z
        _dist, idx = self._search.kneighbors(z, n_neighbors=1)
        return self.index[idx[:, 0]]

    def _distances(self, z: np.ndarray) -> np.ndarray:
        if z.shape[0] == 0 or not self.knn_names:
            return np.zeros(z.shape[0])
        out = np.empty(z.shape[0])
        for start in range(0, z.shape[0], _BLOCK):
            dist, _idx = self._search.kneighbors(z[start:start + _BLOCK], n_neighbors=self.k)
            out[start:start + _BLOCK] = dist.mean(axis=1)
        return out

    @cached_property
    def _search(self) -> Any:
        from sklearn.neighbors import NearestNeighbors

        return NearestNeighbors(n_neighbors=self.k, algorithm="ball_tree").fit(self.index)

    # -- storage ---------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write `novelty.npz` into a model version folder being written."""
        with (directory / NOVELTY_FILE).open("wb") as fh:
            np.savez_compressed(
                fh, names=np.array(self.names, dtype=str), low=self.low, high=self.high,
                knn_names=np.array(self.knn_names, dtype=str), center=self.center, scale=self.scale,
                index=self.index, k=np.array(self.k), limit=np.array(self.limit))

    @classmethod
    def load(cls, directory: Path) -> NoveltyReference | None:
        """The version's reference, or None for a model saved without one (a corrupt file is an error)."""
        path = directory / NOVELTY_FILE
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                ref = cls([str(n) for n in data["names"]], data["low"], data["high"],
                          [str(n) for n in data["knn_names"]], data["center"], data["scale"],
                          data["index"], int(data["k"]), float(data["limit"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise UserError(f"novelty reference {path} is corrupted: {exc}") from exc
        if len(ref.low) != len(ref.names) or ref.index.shape[1:] != (len(ref.knn_names),):
            raise UserError(f"novelty reference {path} is corrupted: array sizes do not match")
        return ref


def _quantiles(values: np.ndarray, qs: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the two quantiles of its known values (nan when a column has none)."""
    low, high = np.full(values.shape[1], np.nan), np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        known = values[:, j][~np.isnan(values[:, j])]
        if known.size:
            low[j], high[j] = np.quantile(known, qs)
    return low, high
