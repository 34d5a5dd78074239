"""What the dashboard sections compute on the population: pure functions of a `Population`.

Comparison groups and the client's neighbours, histograms and category counts,
the stratified scatter sample, brushing (points in a drawn region) and the
summary of a selection. Each reads the shared, read-only population; what is
costly to build (the neighbour index, bin edges, the sample order) is cached
on the population under its lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.service.population import GROUPS, Population, read_only

#: Width of an age band in years (30-39, 40-49, ...).
AGE_BAND_YEARS = 10
#: Neighbours in the "similar clients" group.
SIMILAR_K = 500
#: Numeric, non-protected features (by global importance) used to find similar clients.
SIMILAR_FEATURES = 8
#: A numeric feature with at most this many distinct values gets one bar per value.
DISCRETE_MAX_VALUES = 20
#: Histogram range: these quantiles, so that a few extreme values do not squash the chart.
RANGE_QUANTILES = (0.005, 0.995)
#: Fixed seed of the background sample, so every session shows the same points.
SAMPLE_SEED = 20_241
#: Risk strata (quantiles of the predicted probability) of the stratified scatter sample.
SAMPLE_STRATA = 10


def percentile_of(values: np.ndarray, x: float) -> float:
    """Percentile rank (0-100) of x among the non-missing values: ties count half (mid-rank).

    A client whose value equals everybody's sits at the 50th percentile, not
    at 0 or 100. nan when x or every value is missing.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0 or x is None or np.isnan(x):
        return float("nan")
    below = np.count_nonzero(v < x)
    equal = np.count_nonzero(v == x)
    return float(100.0 * (below + 0.5 * equal) / v.size)


def share_below_equal(values: np.ndarray, x: float) -> tuple[float, float]:
    """(% of non-missing values strictly below x, % equal to x): the words an advisor reads."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0 or x is None or np.isnan(x):
        return float("nan"), float("nan")
    return (100.0 * np.count_nonzero(v < x) / v.size, 100.0 * np.count_nonzero(v == x) / v.size)


def age_band(age: float) -> tuple[int, int] | None:
    """The 10-year band [lo, hi) holding `age`; None when unknown."""
    if age is None or np.isnan(age):
        return None
    lo = int(age // AGE_BAND_YEARS) * AGE_BAND_YEARS
    return lo, lo + AGE_BAND_YEARS


def comparison_mask(pop: Population, group: str, client_index: int) -> np.ndarray:
    """Rows the client is compared with (the client included).

    "granted_refused" covers everybody: the panel splits it by `pop.refused`
    (see `comparison_groups`). Gender and age only *describe* a group here;
    they never enter a score or a reason.
    """
    n = pop.n
    if group in ("all", "granted_refused"):
        return np.ones(n, dtype=bool)
    if group == "gender":
        code = pop.gender[client_index]
        return pop.gender == code if code >= 0 else np.ones(n, dtype=bool)
    if group == "age_band":
        band = age_band(pop.age_years[client_index])
        if band is None:
            return np.ones(n, dtype=bool)
        return (pop.age_years >= band[0]) & (pop.age_years < band[1])
    if group == "similar":
        mask = np.zeros(n, dtype=bool)
        mask[similar_rows(pop, client_index)] = True
        return mask
    raise ValueError(f"unknown comparison group {group!r}; expected one of {', '.join(GROUPS)}")


def comparison_groups(pop: Population, group: str, client_index: int
                      ) -> list[tuple[str, np.ndarray]]:
    """(sub-group key, mask) pairs to draw: one distribution, or granted and refused."""
    if group == "granted_refused":
        return [("granted", ~pop.refused), ("refused", pop.refused.copy())]
    return [(group, comparison_mask(pop, group, client_index))]


def similar_features(pop: Population, k: int = SIMILAR_FEATURES) -> list[str]:
    """The k most important numeric, non-protected features."""
    infos = {f.name: f for f in pop.features}
    out = []
    for name in pop.importance:
        f = infos.get(name)
        if f is not None and f.kind == "numeric" and not f.protected:
            out.append(name)
        if len(out) == k:
            break
    return out


@dataclass(frozen=True)
class NeighbourIndex:
    """A KD-tree over standardised, median-imputed important features (float32)."""

    features: tuple[str, ...]
    matrix: np.ndarray
    tree: Any


def neighbour_index(pop: Population) -> NeighbourIndex:
    """Built once per process on first use, then shared."""
    def build() -> NeighbourIndex:
        from sklearn.neighbors import KDTree

        names = similar_features(pop)
        cols = []
        for name in names:
            v = pop.column(name).values
            finite = v[np.isfinite(v)]
            med = float(np.median(finite)) if finite.size else 0.0
            std = float(finite.std()) if finite.size else 0.0
            cols.append((np.where(np.isfinite(v), v, med) - med) / (std or 1.0))
        matrix = (np.column_stack(cols) if cols else np.zeros((pop.n, 1))).astype(np.float32)
        matrix.flags.writeable = False
        return NeighbourIndex(tuple(names), matrix, KDTree(matrix, leaf_size=40))
    return pop._cached("__neighbours__", build)


def similar_rows(pop: Population, client_index: int, k: int = SIMILAR_K) -> np.ndarray:
    """Rows of the k clients closest to this one (itself included)."""
    idx = neighbour_index(pop)
    k = max(1, min(k, pop.n))
    _, rows = idx.tree.query(idx.matrix[client_index:client_index + 1], k=k)
    return np.sort(rows[0])


def discrete_values(pop: Population, name: str) -> np.ndarray | None:
    """The distinct values of a numeric feature with few of them (cached), else None."""
    def build() -> tuple[np.ndarray | None]:
        v = pop.column(name).values
        uniq = np.unique(v[np.isfinite(v)])
        return (read_only(uniq) if 0 < uniq.size <= DISCRETE_MAX_VALUES else None,)
    return pop._cached(("discrete", name), build)[0]


def bin_edges(pop: Population, name: str, bins: int = 30) -> np.ndarray:
    """Shared histogram edges of a numeric feature (cached): one bar per value when discrete."""
    def build() -> np.ndarray:
        uniq = discrete_values(pop, name)
        if uniq is not None:
            step = np.min(np.diff(uniq)) if uniq.size > 1 else 1.0
            mids = np.concatenate([uniq[:1] - step / 2, (uniq[:-1] + uniq[1:]) / 2,
                                   uniq[-1:] + step / 2])
            return read_only(mids)
        v = pop.column(name).values
        v = v[np.isfinite(v)]
        if v.size == 0:
            return read_only([0.0, 1.0])
        lo, hi = np.quantile(v, RANGE_QUANTILES)
        if hi <= lo:
            lo, hi = float(v.min()), float(v.max())
            hi = hi if hi > lo else lo + 1.0
        return read_only(np.linspace(lo, hi, bins + 1))
    return pop._cached(("edges", name, bins), build)


def histogram(values: np.ndarray, mask: np.ndarray, bins: np.ndarray | int
              ) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the non-missing values under mask; outliers go to the end bins."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.asarray(mask, dtype=bool) & np.isfinite(v)]
    if np.ndim(bins) == 0:
        return np.histogram(v, bins=int(bins))
    edges = np.asarray(bins, dtype=np.float64)
    counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
    return counts, edges


def category_counts(codes: np.ndarray, mask: np.ndarray, n_categories: int) -> np.ndarray:
    """Count per category code (missing codes, -1, are left out)."""
    c = np.asarray(codes)[np.asarray(mask, dtype=bool)]
    return np.bincount(c[c >= 0], minlength=n_categories)[:n_categories]


def selection_summary(pop: Population, indices: np.ndarray) -> dict[str, float | int]:
    """Count, observed default rate (train clients), mean predicted probability, share refused.

    `indices` is an array of population rows or a boolean mask; rates are nan
    when nobody (or no train client) is selected.
    """
    idx = np.asarray(indices)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    count = int(idx.size)
    train = pop.is_train[idx]
    n_train = int(np.count_nonzero(train))
    return {
        "count": count,
        "train_count": n_train,
        "default_rate": float(np.nanmean(pop.target[idx][train])) if n_train else float("nan"),
        "mean_proba": float(pop.proba[idx].mean()) if count else float("nan"),
        "share_refused": float(pop.refused[idx].mean()) if count else float("nan"),
    }


def warm_up(pop: Population) -> dict[str, float]:
    """Build the shared derived data now (neighbour index, sample order): seconds per step.

    Call it once per process (e.g. from the server's `on_server_loaded`) so
    that no advisor waits for the first "similar clients" comparison.
    """
    import time

    timings = {}
    for name, build in (("neighbour_index", neighbour_index), ("sample_order", _sample_order)):
        started = time.perf_counter()
        build(pop)
        timings[name] = round(time.perf_counter() - started, 3)
    return timings


def _sample_order(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by (risk stratum, fixed random key), and each row's stratum (cached)."""
    def build() -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(SAMPLE_SEED)
        key = rng.random(pop.n)
        if pop.n:
            cuts = np.quantile(pop.proba, np.linspace(0, 1, SAMPLE_STRATA + 1)[1:-1])
            stratum = np.searchsorted(cuts, pop.proba, side="right").astype(np.int32)
        else:
            stratum = np.zeros(0, np.int32)
        order = np.lexsort((key, stratum))
        return read_only(order), read_only(stratum)
    return pop._cached("__sample_order__", build)


def scatter_sample(pop: Population, x: str, y: str, max_points: int,
                   client_index: int | None = None) -> np.ndarray:
    """Sorted rows to draw: a deterministic sample stratified by risk decile, plus the client.

    Only rows with both values present can be drawn. Each risk stratum keeps
    its share of those rows, and within a stratum the same fixed random key
    decides, so the sample is the same in every session and changes little
    from one feature pair to the next.
    """
    vx, vy = pop.column(x).values, pop.column(y).values
    valid = _drawable(vx) & _drawable(vy)
    order, stratum = _sample_order(pop)
    rows = order[valid[order]]
    if rows.size > max_points:
        strata = stratum[rows]
        sizes = np.bincount(strata, minlength=SAMPLE_STRATA)
        quota = np.floor(sizes * (max_points / rows.size)).astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rank = np.arange(rows.size) - starts[strata]
        rows = rows[rank < quota[strata]]
    rows = np.sort(rows)
    pos = int(np.searchsorted(rows, client_index)) if client_index is not None else 0
    if client_index is not None and (pos == rows.size or rows[pos] != client_index):
        rows = np.sort(np.append(rows, client_index))
    return rows


def _drawable(values: np.ndarray) -> np.ndarray:
    return values >= 0 if values.dtype.kind in "iu" else np.isfinite(values)


def points_in_geometry(xs: np.ndarray, ys: np.ndarray, geometry: Mapping[str, Any]) -> np.ndarray:
    """Boolean mask of points inside a Bokeh selection geometry (rect, poly or span).

    The one implementation is `scoring.service.protocol.region_contains`,
    which the dashboard also uses on the points it shows.
    """
    from scoring.service.protocol import region_contains

    return region_contains(geometry, xs, ys)


# -- loading a run ------------------------------------------------------------------------------
