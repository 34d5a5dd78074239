"""scoring.service.population_queries: the population sections' data, checked against numpy."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from scoring.service import population_queries as q
from scoring.service.population import Population
from scoring.service.protocol import InvalidQuery, UnknownClient, to_dict
from tests.panels_support import THRESHOLD, make_population

CLIENT = 100_011


@pytest.fixture(scope="module")
def pop_frame() -> tuple[Population, pl.DataFrame]:
    return make_population(n=1500, seed=9)


def _strict_json(result) -> None:
    """Every result is strict JSON (no NaN, no numpy): both clients must be able to send it."""
    json.dumps(to_dict(result), allow_nan=False)


def test_population_info_lists_features_groups_and_threshold(pop_frame):
    pop, frame = pop_frame
    info = q.population_info(pop)
    assert info.n_clients == frame.height and info.threshold == THRESHOLD
    assert [f.name for f in info.features] == [f.name for f in pop.features]
    income = next(f for f in info.features if f.name == "AMT_INCOME_TOTAL")
    assert income.labels == {"fr": "Revenu annuel", "en": "Annual income"} and income.kind == "numeric"
    assert next(f for f in info.features if f.name == "CODE_GENDER").protected
    assert "credit_asked" in [g.key for g in info.groups]
    assert info.importance[0] == "EXT_SOURCE_2" and "similar" in info.comparison_groups
    assert info.probability_p99 == pytest.approx(np.quantile(pop.proba, 0.99))
    _strict_json(info)


def test_numeric_comparison_equals_numpy(pop_frame):
    pop, frame = pop_frame
    values = frame["AMT_INCOME_TOTAL"].to_numpy()
    i = pop.index_of(CLIENT)
    c = q.comparison(pop, "AMT_INCOME_TOTAL", "all", CLIENT)
    (all_,) = c.subgroups
    assert sum(all_.counts) == np.isfinite(values).sum() and all_.size == frame.height
    assert len(c.edges) == len(all_.counts) + 1
    assert all_.share_below == pytest.approx(100 * np.mean(values < values[i]))
    assert c.client_value == values[i] and c.client_x == pytest.approx(np.clip(values[i], c.edges[0], c.edges[-1]))
    two = q.comparison(pop, "EXT_SOURCE_2", "granted_refused", CLIENT)
    ext = frame["EXT_SOURCE_2"].to_numpy()
    assert [g.key for g in two.subgroups] == ["granted", "refused"]
    assert sum(two.subgroups[1].counts) == np.count_nonzero(pop.refused & np.isfinite(ext))
    _strict_json(two)


def test_categorical_comparison_and_groups_of_the_client(pop_frame):
    pop, frame = pop_frame
    i = pop.index_of(CLIENT)
    c = q.comparison(pop, "NAME_CONTRACT_TYPE", "gender", CLIENT)
    codes, genders = frame["NAME_CONTRACT_TYPE"].to_numpy(), frame["CODE_GENDER"].to_numpy()
    same = genders == genders[i]
    assert c.kind == "categorical" and c.categories == ["Cash loans", "Revolving loans"]
    assert c.client_value == codes[i] and c.client_x == float(c.categories.index(codes[i]))
    (g,) = c.subgroups
    assert g.size == same.sum() and sum(g.counts) == same.sum()
    assert g.share_below == pytest.approx(100 * np.mean(codes[same] == codes[i])) and g.share_equal is None
    band = q.comparison(pop, "AMT_CREDIT", "age_band", CLIENT).subgroups[0]
    lo = int(pop.age_years[i] // 10) * 10
    assert band.age_band == [lo, lo + 10]
    assert band.size == np.count_nonzero((pop.age_years >= lo) & (pop.age_years < lo + 10))
    assert q.comparison(pop, "AMT_CREDIT", "similar", CLIENT).subgroups[0].size == 500


def test_comparison_without_a_client_and_bad_queries(pop_frame):
    pop, _ = pop_frame
    c = q.comparison(pop, "AMT_CREDIT", "similar", None)
    assert c.client_value is None and c.client_x is None and c.subgroups[0].key == "all"
    assert c.subgroups[0].share_below is None
    with pytest.raises(InvalidQuery) as info:
        q.comparison(pop, "NOPE", "all", CLIENT, "en")
    assert set(info.value.errors) == {"feature"} and "unknown feature" in info.value.errors["feature"]
    with pytest.raises(InvalidQuery) as info:
        q.comparison(pop, "AMT_CREDIT", "cousins", CLIENT)
    assert "groupe de comparaison inconnu" in info.value.errors["group"]
    with pytest.raises(UnknownClient):
        q.comparison(pop, "AMT_CREDIT", "all", 1)


def test_scatter_sample_keeps_the_client_and_the_quintiles(pop_frame):
    pop, frame = pop_frame
    s = q.scatter(pop, "AMT_CREDIT", "EXT_SOURCE_2", CLIENT, max_points=300)
    assert len(s.client_ids) <= 301 and len(s.xs) == len(s.ys) == len(s.probability) == len(s.refused)
    i = pop.index_of(CLIENT)
    if np.isfinite(pop.column("EXT_SOURCE_2").values[i]):
        assert CLIENT in s.client_ids
    assert s.client.client_id == CLIENT and s.client.probability == pop.proba[i]
    k = s.client_ids.index(int(pop.ids[5])) if int(pop.ids[5]) in s.client_ids else None
    if k is not None:
        assert s.xs[k] == frame["AMT_CREDIT"][5] and s.refused[k] == bool(pop.refused[5])
    assert sum(r.count for r in s.quintiles) == np.isfinite(pop.column("AMT_CREDIT").values).sum()
    assert s.n_clients == pop.n and s.x_range[0] < s.x_range[1]
    _strict_json(s)
    with pytest.raises(InvalidQuery) as info:
        q.scatter(pop, "NAME_CONTRACT_TYPE", "AMT_CREDIT")
    assert set(info.value.errors) == {"x"}
    with pytest.raises(InvalidQuery) as info:
        q.scatter(pop, "AMT_CREDIT", "AMT_CREDIT", max_points=0)
    assert set(info.value.errors) == {"max_points"}


def test_selection_by_region_and_by_ids_equals_numpy(pop_frame):
    pop, _ = pop_frame
    xs, ys = pop.column("AMT_CREDIT").values, pop.column("EXT_SOURCE_2").values
    box = {"type": "rect", "x0": float(np.nanquantile(xs, 0.7)), "x1": float(np.nanquantile(xs, 0.2)),
           "y0": 0.1, "y1": 0.6}
    inside = (xs >= box["x1"]) & (xs <= box["x0"]) & (ys >= 0.1) & (ys <= 0.6)
    sel = q.selection(pop, "AMT_CREDIT", "EXT_SOURCE_2", box)
    assert sel.selection.count == inside.sum() and not sel.everyone
    train = inside & pop.is_train
    assert sel.selection.default_rate == pytest.approx(np.nanmean(pop.target[train]))
    assert sel.selection.share_refused == pytest.approx(pop.refused[inside].mean())
    assert sum(sel.selection.histogram) == inside.sum() and len(sel.edges) == q.PROBA_BINS + 1
    ids = [int(v) for v in pop.ids[[3, 3, 10, 50]]] + [1]  # a repeat and an unknown id
    by_ids = q.selection(pop, client_ids=ids)
    assert by_ids.selection.count == 3
    assert by_ids.selection.mean_probability == pytest.approx(pop.proba[[3, 10, 50]].mean())
    everyone = q.selection(pop)
    assert everyone.everyone and everyone.selection == everyone.population
    assert everyone.population.count == pop.n
    empty = q.selection(pop, client_ids=[])
    assert empty.selection.count == 0 and empty.selection.default_rate is None
    lasso = {"type": "poly", "x": [box["x1"], box["x0"], box["x0"], box["x1"]], "y": [0.1, 0.1, 0.6, 0.6]}
    assert q.selection(pop, "AMT_CREDIT", "EXT_SOURCE_2", lasso).selection.count == pytest.approx(
        inside.sum(), abs=3)  # the edges of a lasso are open on one side
    _strict_json(empty)


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {"type": "circle"}}, "region"),
    ({"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {"type": "rect", "x0": 1}}, "region"),
    ({"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {"type": "rect", "x0": math.inf, "x1": 1,
                                                         "y0": 0, "y1": 1}}, "region"),
    ({"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {"type": "poly", "x": [1, 2], "y": [1, 2]}}, "region"),
    ({"x": "AMT_CREDIT", "region": {"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1}}, "y"),
    ({"x": "CODE_GENDER", "y": "AMT_CREDIT", "region": {"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1}},
     "x"),
    ({"region": {"type": "rect"}, "client_ids": [1]}, "region"),
    ({"client_ids": ["a"]}, "client_ids"),
    ({"client_ids": [True]}, "client_ids"),
])
def test_bad_selections_name_the_parameter(pop_frame, kwargs, key):
    with pytest.raises(InvalidQuery) as info:
        q.selection(pop_frame[0], **kwargs)
    assert set(info.value.errors) == {key}


def test_queries_never_write_shared_arrays(pop_frame):
    pop, _ = pop_frame
    snapshot = {k: getattr(pop, k).copy() for k in ("proba", "refused", "target", "ids")}
    q.comparison(pop, "AMT_CREDIT", "similar", CLIENT)
    q.scatter(pop, "AMT_CREDIT", "EXT_SOURCE_2", CLIENT)
    q.selection(pop, client_ids=pop.ids[:50].tolist())
    for k, v in snapshot.items():
        assert np.array_equal(getattr(pop, k), v, equal_nan=True)
