"""The population sections' data as protocol results: what the dashboard draws, computed here.

Each function takes a loaded `Population` (see `scoring.service.population`)
and the query's parameters, checks them (`InvalidQuery` with FR/EN messages
per parameter, `UnknownClient` for an unknown client) and returns the
JSON-ready dataclasses of `scoring.service.protocol`: plain Python numbers,
None for a missing value, never numpy. The in-process client calls them on
its own store's population; the API serves the same results as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scoring.service.lang import norm_lang, pick
from scoring.service.population import GROUPS, Population
from scoring.service.population_stats import (
    age_band,
    bin_edges,
    category_counts,
    comparison_groups,
    discrete_values,
    histogram,
    scatter_sample,
    selection_summary,
    share_below_equal,
)
from scoring.service.protocol import (
    Comparison,
    FeatureGroup,
    FeatureMeta,
    InvalidQuery,
    PopulationInfo,
    Quintile,
    ScatterPoint,
    ScatterSample,
    Selection,
    SelectionStats,
    Subgroup,
    UnknownClient,
    region_contains,
)

#: Background points of a scatter sample: default and largest.
MAX_POINTS = 20_000
MAX_POINTS_LIMIT = 50_000
#: Bins of the predicted-probability histogram of a selection.
PROBA_BINS = 40
#: Largest lasso polygon accepted.
MAX_POLYGON_POINTS = 10_000

_TEXT: dict[str, tuple[str, str]] = {
    "feature": ("variable inconnue : {value}", "unknown feature: {value}"),
    "numeric": ("variable numérique attendue : {value} est catégorielle",
                "a numeric feature is expected: {value} is categorical"),
    "group": ("groupe de comparaison inconnu : {value} ; valeurs possibles : {allowed}",
              "unknown comparison group: {value}; allowed values: {allowed}"),
    "max_points": ("nombre entier entre 1 et {limit} attendu (reçu : {value})",
                   "an integer between 1 and {limit} is expected (got {value})"),
    "both": ("indiquez une zone ou des identifiants, pas les deux",
             "give a region or client ids, not both"),
    "axes": ("variable obligatoire pour une zone", "a feature is required with a region"),
    "region_type": ("type de zone inconnu : {value} ; valeurs possibles : rect, span, poly",
                    "unknown region type: {value}; allowed values: rect, span, poly"),
    "region_coords": ("coordonnées de zone manquantes ou non finies : {value}",
                      "missing or non-finite region coordinates: {value}"),
    "region_poly": ("un lasso a entre 3 et {limit} points, autant de x que de y",
                    "a lasso has 3 to {limit} points, as many x as y"),
    "ids": ("liste d'identifiants entiers attendue", "a list of integer client ids is expected"),
}


def _invalid(key: str, text: str, lang: str, **values: Any) -> InvalidQuery:
    return InvalidQuery({key: pick(_TEXT[text], lang, **values)})


def _none(x: float) -> float | None:
    """nan (no data) as None: strict JSON has no NaN."""
    return None if x is None or math.isnan(x) else float(x)


# -- lookups ----------------------------------------------------------------------------------
def check_feature(pop: Population, name: Any, lang: str, *, key: str = "feature",
                  numeric: bool = False) -> str:
    """The feature's name, or InvalidQuery naming the parameter."""
    if not isinstance(name, str) or name not in {f.name for f in pop.features}:
        raise _invalid(key, "feature", lang, value=repr(name))
    if numeric and pop.feature(name).kind != "numeric":
        raise _invalid(key, "numeric", lang, value=name)
    return name


def client_row(pop: Population, client_id: Any) -> int | None:
    """The client's row (None without a client); UnknownClient when it is not in the population."""
    if client_id is None:
        return None
    if isinstance(client_id, bool):
        raise UnknownClient(f"unknown client SK_ID_CURR={client_id!r}")
    try:
        return pop.index_of(int(client_id))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise UnknownClient(f"unknown client SK_ID_CURR={client_id!r}") from None


def rows_of(pop: Population, client_ids: np.ndarray) -> np.ndarray:
    """Sorted, distinct rows of the given ids (ids outside the population are left out)."""
    order = pop._cached("__id_order__", lambda: np.argsort(pop.ids, kind="stable"))
    sorted_ids = pop.ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, client_ids), 0, max(pop.n - 1, 0))
    found = (sorted_ids[pos] == client_ids) if pop.n else np.zeros(client_ids.size, bool)
    return np.unique(order[pos[found]])


# -- the feature list -------------------------------------------------------------------------
def population_info(pop: Population) -> PopulationInfo:
    """Features, groups, importance order, size and threshold (computed once per population)."""
    def build() -> PopulationInfo:
        return PopulationInfo(
            n_clients=pop.n, threshold=pop.threshold,
            features=[FeatureMeta(f.name, f.kind, {lang: f.label(lang) for lang in ("fr", "en")},
                                  f.group, bool(f.protected)) for f in pop.features],
            groups=[FeatureGroup(str(k), {lang: str(v.get(lang) or v.get("fr") or k) for lang in ("fr", "en")})
                    for k, v in pop.group_labels.items()],
            importance=list(pop.importance), comparison_groups=list(GROUPS),
            probability_p99=float(np.quantile(pop.proba, 0.99)) if pop.n else 1.0,
        )
    return pop._cached("__info__", build)


# -- compared with others ---------------------------------------------------------------------
def comparison(pop: Population, feature: Any, group: Any = "all", client_id: Any = None,
               lang: str = "fr") -> Comparison:
    """Histogram (or category counts) of a feature per comparison sub-group, and the client in it.

    Without a client, the groups defined by the client (gender, age band,
    similar clients) fall back to everybody.
    """
    feature = check_feature(pop, feature, lang)
    if group not in GROUPS:
        raise _invalid("group", "group", lang, value=repr(group), allowed=", ".join(GROUPS))
    row = client_row(pop, client_id)
    col = pop.column(feature)
    if row is None and group not in ("all", "granted_refused"):
        group_masks = [("all", np.ones(pop.n, dtype=bool))]
    else:
        group_masks = comparison_groups(pop, group, row if row is not None else 0)
    if col.kind == "categorical":
        k = len(col.categories)
        code = int(col.values[row]) if row is not None else -1
        subgroups = [_category_subgroup(pop, key, mask, col.values, code, k, row) for key, mask in group_masks]
        return Comparison(feature, "categorical", group, _cid(pop, row), [], None, list(col.categories),
                          subgroups, col.categories[code] if code >= 0 else None,
                          float(code) if code >= 0 else None)
    edges = bin_edges(pop, feature)
    uniq = discrete_values(pop, feature)
    x = float(col.values[row]) if row is not None else float("nan")
    subgroups = []
    for key, mask in group_masks:
        counts, _ = histogram(col.values, mask, edges)
        below, equal = share_below_equal(col.values[mask], x)
        subgroups.append(Subgroup(key, int(np.count_nonzero(mask)), counts.astype(int).tolist(),
                                  _none(below), _none(equal), _band(pop, key, row)))
    client_x = None if math.isnan(x) else float(np.clip(x, edges[0], edges[-1]))
    return Comparison(feature, "numeric", group, _cid(pop, row), edges.tolist(),
                      None if uniq is None else uniq.tolist(), [], subgroups, _none(x), client_x)


def _category_subgroup(pop: Population, key: str, mask: np.ndarray, codes: np.ndarray, code: int,
                       k: int, row: int | None) -> Subgroup:
    counts = category_counts(codes, mask, k)
    known = int(counts.sum())
    share = 100.0 * int(counts[code]) / known if code >= 0 and known else None
    return Subgroup(key, int(np.count_nonzero(mask)), counts.astype(int).tolist(), share, None,
                    _band(pop, key, row))


def _band(pop: Population, key: str, row: int | None) -> list[int] | None:
    if key != "age_band" or row is None:
        return None
    band = age_band(pop.age_years[row])
    return None if band is None else [band[0], band[1]]


def _cid(pop: Population, row: int | None) -> int | None:
    return None if row is None else int(pop.ids[row])


# -- two features at once ---------------------------------------------------------------------
def scatter(pop: Population, x: Any, y: Any, client_id: Any = None, max_points: Any = MAX_POINTS,
            lang: str = "fr") -> ScatterSample:
    """A deterministic, risk-stratified sample of two numeric features, with the client's point."""
    x = check_feature(pop, x, lang, key="x", numeric=True)
    y = check_feature(pop, y, lang, key="y", numeric=True)
    if (isinstance(max_points, bool) or not isinstance(max_points, int | np.integer)
            or not 1 <= max_points <= MAX_POINTS_LIMIT):
        raise _invalid("max_points", "max_points", lang, value=repr(max_points), limit=MAX_POINTS_LIMIT)
    row = client_row(pop, client_id)
    xs, ys = pop.column(x).values, pop.column(y).values
    rows = scatter_sample(pop, x, y, int(max_points), row)
    drawable = row is not None and bool(np.isfinite(xs[row]) and np.isfinite(ys[row]))
    if row is not None and not drawable:
        rows = rows[rows != row]
    client = None if row is None else ScatterPoint(
        int(pop.ids[row]), _none(float(xs[row])), _none(float(ys[row])), float(pop.proba[row]),
        bool(pop.refused[row]))
    ex, ey = bin_edges(pop, x), bin_edges(pop, y)
    return ScatterSample(
        x=x, y=y, client_ids=pop.ids[rows].tolist(), xs=xs[rows].tolist(), ys=ys[rows].tolist(),
        probability=pop.proba[rows].tolist(), refused=pop.refused[rows].tolist(), n_clients=pop.n,
        client=client, x_range=[float(ex[0]), float(ex[-1])], y_range=[float(ey[0]), float(ey[-1])],
        quintiles=pop._cached(("quintiles", x, y), lambda: quintiles(pop, x, y)),
    )


def quintiles(pop: Population, x: str, y: str) -> list[Quintile]:
    """Per quintile of x (whole population): its range, client count, mean y, mean probability.

    One `searchsorted` and a few `bincount`s, so it stays cheap at 356k clients.
    """
    xs, ys = pop.column(x).values, pop.column(y).values
    ok = np.isfinite(xs)
    if not ok.any():
        return []
    xk, yk, pk = xs[ok], ys[ok], pop.proba[ok]
    edges = np.unique(np.quantile(xk, np.linspace(0, 1, 6)))
    nb = max(len(edges) - 1, 1)
    bins = np.clip(np.searchsorted(edges, xk, side="right") - 1, 0, nb - 1)
    counts = np.bincount(bins, minlength=nb)
    proba_sum = np.bincount(bins, weights=pk, minlength=nb)
    yok = np.isfinite(yk)
    y_n = np.bincount(bins[yok], minlength=nb)
    y_sum = np.bincount(bins[yok], weights=yk[yok], minlength=nb)
    return [Quintile(float(edges[b]), float(edges[min(b + 1, len(edges) - 1)]), int(counts[b]),
                     float(y_sum[b] / y_n[b]) if y_n[b] else None,
                     float(proba_sum[b] / counts[b]) if counts[b] else None) for b in range(nb)]


# -- brushing ---------------------------------------------------------------------------------
def proba_edges() -> np.ndarray:
    return np.linspace(0.0, 1.0, PROBA_BINS + 1)


def selection(pop: Population, x: Any = None, y: Any = None, region: Mapping[str, Any] | None = None,
              client_ids: Sequence[int] | None = None, lang: str = "fr") -> Selection:
    """The clients inside `region` on features x and y (every population client, not a sample),
    or the given ids (ids outside the population are left out), or nobody = everyone."""
    if region is not None and client_ids is not None:
        raise _invalid("region", "both", lang)
    rows: np.ndarray | None = None
    if region is not None:
        if x is None or y is None:
            raise _invalid("x" if x is None else "y", "axes", lang)
        x = check_feature(pop, x, lang, key="x", numeric=True)
        y = check_feature(pop, y, lang, key="y", numeric=True)
        shape = check_region(region, lang)
        rows = np.flatnonzero(region_contains(shape, pop.column(x).values, pop.column(y).values))
    elif client_ids is not None:
        if isinstance(client_ids, str | bytes | Mapping) or not all(
                isinstance(i, int | np.integer) and not isinstance(i, bool) for i in client_ids):
            raise _invalid("client_ids", "ids", lang)
        ids = np.fromiter((min(max(int(i), -(2**63)), 2**63 - 1) for i in client_ids), np.int64)
        rows = rows_of(pop, ids)
    whole = pop._cached("__whole_stats__", lambda: _stats(pop, np.arange(pop.n)))
    return Selection(edges=proba_edges().tolist(), selection=whole if rows is None else _stats(pop, rows),
                     population=whole, everyone=rows is None)


def _stats(pop: Population, rows: np.ndarray) -> SelectionStats:
    s = selection_summary(pop, rows)
    counts, _ = np.histogram(pop.proba[rows], bins=proba_edges())
    return SelectionStats(count=s["count"], train_count=s["train_count"],
                          default_rate=_none(s["default_rate"]), mean_probability=_none(s["mean_proba"]),
                          share_refused=_none(s["share_refused"]), histogram=counts.astype(int).tolist())


def check_region(region: Any, lang: str) -> dict[str, Any]:
    """A Bokeh selection geometry with finite coordinates, or InvalidQuery on "region"."""
    if not isinstance(region, Mapping) or region.get("type") not in ("rect", "span", "poly"):
        kind = region.get("type") if isinstance(region, Mapping) else region
        raise _invalid("region", "region_type", lang, value=repr(kind))
    kind = region["type"]
    if kind == "poly":
        px, py = region.get("x"), region.get("y")
        ok = (isinstance(px, list | tuple) and isinstance(py, list | tuple) and len(px) == len(py)
              and 3 <= len(px) <= MAX_POLYGON_POINTS)
        if not ok or not all(_finite(v) for v in (*px, *py)):
            raise _invalid("region", "region_poly", lang, limit=MAX_POLYGON_POINTS)
        return {"type": "poly", "x": [float(v) for v in px], "y": [float(v) for v in py]}
    direction = region.get("direction") or "h"
    if kind == "span" and direction not in ("h", "v"):
        raise _invalid("region", "region_coords", lang, value="direction")
    keys = {"rect": ("x0", "x1", "y0", "y1"), "span": ("x0", "x1") if direction == "h" else ("y0", "y1")}[kind]
    bad = [k for k in keys if not _finite(region.get(k))]
    if bad:
        raise _invalid("region", "region_coords", lang, value=", ".join(bad))
    return {"type": kind, "direction": direction, **{k: float(region[k]) for k in keys}}


def _finite(value: Any) -> bool:
    return (isinstance(value, int | float | np.number) and not isinstance(value, bool)
            and math.isfinite(float(value)))


class PopulationAnswers:
    """The population calls of the `ScoringClient` protocol, answered from the population that
    `_population()` returns: one implementation for the in-process client (and test doubles)."""

    def _population(self) -> Population:
        raise NotImplementedError

    def population(self) -> PopulationInfo:
        return population_info(self._population())

    def comparison(self, feature: str, group: str = "all", client_id: int | None = None,
                   lang: str = "fr") -> Comparison:
        return comparison(self._population(), feature, group, client_id, norm_lang(lang))

    def scatter(self, x: str, y: str, client_id: int | None = None, max_points: int = MAX_POINTS,
                lang: str = "fr") -> ScatterSample:
        return scatter(self._population(), x, y, client_id, max_points, norm_lang(lang))

    def selection(self, x: str | None = None, y: str | None = None, region: Mapping[str, Any] | None = None,
                  client_ids: Sequence[int] | None = None, lang: str = "fr") -> Selection:
        return selection(self._population(), x, y, region, client_ids, norm_lang(lang))
