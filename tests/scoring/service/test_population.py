"""scoring.service.population: read-only arrays and the pure comparison functions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.service.population import GROUPS, Population
from scoring.service.population_stats import (
    age_band,
    bin_edges,
    comparison_groups,
    comparison_mask,
    histogram,
    neighbour_index,
    percentile_of,
    points_in_geometry,
    scatter_sample,
    selection_summary,
    share_below_equal,
    similar_rows,
)
from tests.panels_support import THRESHOLD, make_population


@pytest.fixture(scope="module")
def pop_frame() -> tuple[Population, pl.DataFrame]:
    return make_population(n=1500, seed=5)


def test_arrays_are_read_only_copies(pop_frame):
    pop, _ = pop_frame
    for name in ("ids", "is_train", "target", "proba", "refused", "gender", "age_years"):
        arr = getattr(pop, name)
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError):
            arr[0] = arr[0]
    col = pop.column("AMT_CREDIT")
    assert not col.values.flags.writeable
    # a caller's array is copied, so changing it later does not reach the population
    proba = np.linspace(0, 1, 3)
    small = Population.build(ids=[1, 2, 3], is_train=[True, True, False], target=[0, 1, np.nan],
                             proba=proba, threshold=0.5, gender=["F", None, "M"],
                             age_years=[30, 40, 50], features=[], importance=[],
                             loader=lambda n: None)
    proba[0] = 0.99
    assert small.proba[0] == 0.0
    assert small.refused.tolist() == [False, True, True]
    assert small.gender.tolist() == [0, -1, 1]


def test_population_matches_frame(pop_frame):
    pop, frame = pop_frame
    assert pop.ids.tolist() == frame["SK_ID_CURR"].to_list()
    assert np.array_equal(pop.is_train, (frame["SAMPLE"] == "train").to_numpy())
    assert np.isnan(pop.target[~pop.is_train]).all()
    assert set(np.unique(pop.target[pop.is_train])) <= {0.0, 1.0}
    assert np.array_equal(pop.refused, pop.proba >= THRESHOLD)
    assert pop.index_of(int(frame["SK_ID_CURR"][17])) == 17
    with pytest.raises(KeyError):
        pop.index_of(1)
    with pytest.raises(KeyError):
        pop.column("NOT_A_FEATURE")
    cat = pop.column("NAME_CONTRACT_TYPE")
    assert cat.kind == "categorical"
    decoded = [cat.categories[c] for c in cat.values]
    assert decoded == frame["NAME_CONTRACT_TYPE"].to_list()


def test_percentile_of_constructed_values():
    values = np.arange(1.0, 101.0)  # 1..100
    assert percentile_of(values, 50.0) == pytest.approx(49.5)  # 49 below, one tie counted half
    assert percentile_of(values, 0.0) == 0.0
    assert percentile_of(values, 1000.0) == 100.0
    assert percentile_of(np.array([2.0, np.nan, 4.0]), 3.0) == 50.0  # missing values ignored
    assert np.isnan(percentile_of(values, np.nan))
    assert percentile_of(np.full(10, 7.0), 7.0) == 50.0
    assert share_below_equal(np.array([0.0, 0, 0, 1, 2]), 0.0) == (0.0, 60.0)


def test_comparison_masks(pop_frame):
    pop, frame = pop_frame
    i = 42
    assert comparison_mask(pop, "all", i).all()
    same = comparison_mask(pop, "gender", i)
    genders = frame["CODE_GENDER"].to_numpy()
    assert np.array_equal(same, genders == genders[i])
    band = comparison_mask(pop, "age_band", i)
    lo, hi = age_band(pop.age_years[i])
    assert hi - lo == 10 and lo <= pop.age_years[i] < hi
    assert np.array_equal(band, (pop.age_years >= lo) & (pop.age_years < hi))
    split = comparison_groups(pop, "granted_refused", i)
    assert [k for k, _ in split] == ["granted", "refused"]
    assert np.array_equal(split[1][1], pop.refused) and np.array_equal(split[0][1], ~pop.refused)
    with pytest.raises(ValueError, match="unknown comparison group"):
        comparison_mask(pop, "nope", i)
    for g in GROUPS:
        assert comparison_mask(pop, g, i)[i]  # the client always belongs to its own group


def test_similar_clients_are_nearest_on_important_non_protected_features(pop_frame):
    pop, _ = pop_frame
    idx = neighbour_index(pop)
    assert "AGE_YEARS" not in idx.features and "CODE_GENDER" not in idx.features
    assert idx.features[0] == "EXT_SOURCE_2"
    assert neighbour_index(pop) is idx  # built once
    rows = similar_rows(pop, 10, k=50)
    assert rows.size == 50 and 10 in rows
    dist = np.linalg.norm(idx.matrix - idx.matrix[10], axis=1)
    # brute force: the 50 chosen are no farther than the 50th smallest distance
    assert dist[rows].max() <= np.sort(dist)[49] + 1e-6


def test_histogram_counts_match_numpy(pop_frame):
    pop, _ = pop_frame
    values = pop.column("AMT_CREDIT").values
    mask = pop.refused
    edges = bin_edges(pop, "AMT_CREDIT")
    counts, e = histogram(values, mask, edges)
    assert np.array_equal(e, edges)
    # outliers are clipped into the end bins, so every selected value is counted once
    assert counts.sum() == np.count_nonzero(mask & np.isfinite(values))
    inner = (values >= edges[0]) & (values < edges[1]) & mask
    low = mask & (values < edges[0])
    assert counts[0] == np.count_nonzero(inner | low)
    discrete = bin_edges(pop, "CNT_CHILDREN")
    assert np.allclose(discrete, [-0.5, 0.5, 1.5, 2.5, 3.5])  # one bar per value


def test_selection_summary_equals_direct_computation(pop_frame):
    pop, frame = pop_frame
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(pop.n, 300, replace=False))
    got = selection_summary(pop, rows)
    sub = frame[rows.tolist()]
    train = sub.filter(pl.col("SAMPLE") == "train")
    assert got["count"] == 300
    assert got["train_count"] == train.height
    assert got["default_rate"] == pytest.approx(train["TARGET"].cast(pl.Float64).mean())
    assert got["mean_proba"] == pytest.approx(pop.proba[rows].mean())
    assert got["share_refused"] == pytest.approx((pop.proba[rows] >= THRESHOLD).mean())
    mask = np.zeros(pop.n, bool)
    mask[rows] = True
    assert selection_summary(pop, mask) == got
    empty = selection_summary(pop, np.array([], dtype=np.int64))
    assert empty["count"] == 0 and np.isnan(empty["mean_proba"])


def test_scatter_sample_is_deterministic_stratified_and_keeps_the_client(pop_frame):
    pop, _ = pop_frame
    client = 7
    a = scatter_sample(pop, "EXT_SOURCE_2", "AMT_CREDIT", 300, client)
    b = scatter_sample(pop, "EXT_SOURCE_2", "AMT_CREDIT", 300, client)
    assert np.array_equal(a, b)
    assert client in a and a.size <= 301 and a.size >= 280
    assert np.all(np.diff(a) > 0)
    ext = pop.column("EXT_SOURCE_2").values
    drawn = a[a != client]
    assert np.isfinite(ext[drawn]).all()  # rows with a missing value cannot be drawn
    # stratified: each risk decile keeps its share of the drawable rows (within rounding)
    valid = np.flatnonzero(np.isfinite(ext))
    cuts = np.quantile(pop.proba, np.linspace(0, 1, 11)[1:-1])
    share_pop = np.bincount(np.searchsorted(cuts, pop.proba[valid], "right"), minlength=10)
    share_smp = np.bincount(np.searchsorted(cuts, pop.proba[drawn], "right"), minlength=10)
    assert np.allclose(share_smp / share_smp.sum(), share_pop / share_pop.sum(), atol=0.01)
    everyone = scatter_sample(pop, "AMT_INCOME_TOTAL", "AMT_CREDIT", 10**6, client)
    assert everyone.size == pop.n


def test_points_in_geometry_rect_and_lasso():
    xs = np.array([0.0, 1.0, 2.0, 0.5, np.nan])
    ys = np.array([0.0, 1.0, 2.0, 0.2, 0.5])
    rect = {"type": "rect", "x0": 1.5, "x1": -0.1, "y0": -0.1, "y1": 1.1}
    assert points_in_geometry(xs, ys, rect).tolist() == [True, True, False, True, False]
    triangle = {"type": "poly", "x": [-1.0, 3.0, -1.0], "y": [-1.0, -1.0, 3.0]}
    # inside the triangle x + y < 2 (and > the two legs)
    assert points_in_geometry(xs, ys, triangle).tolist() == [True, False, False, True, False]
    with pytest.raises(ValueError):
        points_in_geometry(xs, ys, {"type": "point"})


def test_functions_never_write_shared_arrays(pop_frame):
    pop, _ = pop_frame
    before = {k: getattr(pop, k).copy() for k in ("proba", "target", "refused", "age_years")}
    credit = pop.column("AMT_CREDIT").values.copy()
    for g in GROUPS:
        comparison_groups(pop, g, 3)
    selection_summary(pop, np.arange(10))
    scatter_sample(pop, "EXT_SOURCE_2", "AMT_CREDIT", 100, 3)
    for k, v in before.items():
        assert np.array_equal(getattr(pop, k), v, equal_nan=True)
    assert np.array_equal(pop.column("AMT_CREDIT").values, credit)


def test_ordered_categories_keep_their_natural_order():
    """Education levels read from lowest to highest, not alphabetically; other categories sort."""
    from scoring.service.population import column_from_series

    levels = ["Higher education", "Academic degree", "Lower secondary", None,
              "Secondary / secondary special", "Incomplete higher", "Higher education"]
    col = column_from_series(pl.Series("NAME_EDUCATION_TYPE", levels), pl.String)
    assert col.categories == ("Lower secondary", "Secondary / secondary special", "Incomplete higher",
                              "Higher education", "Academic degree")
    assert [col.categories[c] if c >= 0 else None for c in col.values] == levels
    other = column_from_series(pl.Series("NAME_HOUSING_TYPE", ["b", "a", "c"]), pl.String)
    assert other.categories == ("a", "b", "c")
