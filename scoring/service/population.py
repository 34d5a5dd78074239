"""The population every dashboard panel compares a client with, loaded once per process.

All arrays are read-only (``flags.writeable = False``): Bokeh sessions share
one `Population` and must never be able to change what another session sees.
Heavy per-feature data (columns, bin edges, the neighbour index) is built
lazily on first use, under a lock, and then shared; everything else here is a
pure function of the population and its arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from scoring.model.decision import refused as decide

#: Comparison groups a panel may offer, in display order.
GROUPS = ("all", "gender", "age_band", "similar", "granted_refused")
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
#: Columns that are protected attributes when the catalogue does not say otherwise.
DEFAULT_PROTECTED = frozenset({"CODE_GENDER", "DAYS_BIRTH", "AGE_YEARS", "NAME_FAMILY_STATUS"})


def _frozen(a: Any, dtype: Any = None) -> np.ndarray:
    """A private read-only copy (a view of a caller's array could be written through)."""
    out = np.array(a, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class FeatureInfo:
    """What a panel needs to offer a feature: its readable label, group and kind."""

    name: str
    kind: str  # "numeric" | "categorical"
    labels: Mapping[str, str]  # lang -> readable label
    group: str  # group key (catalogue GROUPS)
    protected: bool = False

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("fr") or self.name


@dataclass(frozen=True)
class Column:
    """One feature over the whole population: floats (nan = missing) or codes (-1 = missing)."""

    name: str
    kind: str  # "numeric" | "categorical"
    values: np.ndarray
    categories: tuple[str, ...] = ()

    @property
    def missing(self) -> np.ndarray:
        return np.isnan(self.values) if self.kind == "numeric" else self.values < 0


ColumnLoader = Callable[[str], Column]


@dataclass(frozen=True, eq=False)
class Population:
    """Every client's identity, sample, outcome, score and (lazily) feature values.

    Row i of every array is the same client. `features` lists what can be
    compared; `importance` orders feature names by global importance.
    """

    ids: np.ndarray  # int64
    is_train: np.ndarray  # bool
    target: np.ndarray  # float: 0/1, nan for new clients
    proba: np.ndarray  # float: predicted probability of default
    refused: np.ndarray  # bool: proba >= threshold
    gender: np.ndarray  # int8 codes into gender_labels, -1 = unknown
    gender_labels: tuple[str, ...]
    age_years: np.ndarray  # float
    threshold: float
    features: tuple[FeatureInfo, ...]
    importance: tuple[str, ...]
    group_labels: Mapping[str, Mapping[str, str]]  # group key -> lang -> label
    loader: ColumnLoader = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=threading.RLock, repr=False)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def build(
        cls, *, ids: Any, is_train: Any, target: Any, proba: Any, threshold: float,
        gender: Any, age_years: Any, features: Sequence[FeatureInfo],
        importance: Sequence[str], loader: ColumnLoader,
        group_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Population:
        """Copy and freeze the arrays; gender values become codes (missing -> -1)."""
        import polars as pl

        n = len(ids)
        g = gender if isinstance(gender, pl.Series) else pl.Series(
            "g", list(gender), dtype=pl.String, strict=False)
        labels = tuple(sorted(g.drop_nulls().unique().to_list()))
        codes = (g.cast(pl.Enum(list(labels))).to_physical().cast(pl.Int8).fill_null(-1)
                 .to_numpy() if n else np.zeros(0, np.int8))
        proba_a = np.asarray(proba, dtype=np.float64)
        arrays = dict(ids=np.asarray(ids, np.int64), is_train=np.asarray(is_train, bool),
                      target=np.asarray(target, np.float64), proba=proba_a,
                      age_years=np.asarray(age_years, np.float64))
        for name, a in arrays.items():
            if a.shape != (n,):
                raise ValueError(f"population array {name!r} has shape {a.shape}, expected ({n},)")
        return cls(
            ids=_frozen(arrays["ids"]), is_train=_frozen(arrays["is_train"]),
            target=_frozen(arrays["target"]), proba=_frozen(proba_a),
            refused=_frozen(decide(proba_a, threshold)), gender=_frozen(codes), gender_labels=labels,
            age_years=_frozen(arrays["age_years"]), threshold=float(threshold),
            features=tuple(features), importance=tuple(importance),
            group_labels=MappingProxyType(dict(group_labels or {})), loader=loader,
        )

    @classmethod
    def from_frame(
        cls, frame: Any, proba: Any, threshold: float, *, importance: Sequence[str] = (),
        features: Sequence[FeatureInfo] | None = None,
        group_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Population:
        """A population over an in-memory feature table (polars; SK_ID_CURR, TARGET, SAMPLE, ...)."""
        import polars as pl

        from scoring.data.schema import ID_COLUMNS

        if features is None:
            features = feature_infos([c for c in frame.columns if c not in ID_COLUMNS],
                                     frame.schema)
        schema = frame.schema

        def load(name: str) -> Column:
            return column_from_series(frame.get_column(name), schema[name])

        gender = (frame.get_column("CODE_GENDER").cast(pl.String) if "CODE_GENDER" in frame.columns
                  else pl.Series("g", [None] * frame.height, dtype=pl.String))
        target = frame.get_column("TARGET").cast(pl.Float64).fill_null(float("nan")).to_numpy()
        return cls.build(
            ids=frame.get_column("SK_ID_CURR").to_numpy(),
            is_train=(frame.get_column("SAMPLE") == "train").to_numpy(),
            target=target, proba=proba, threshold=threshold, gender=gender,
            age_years=age_in_years(frame), features=features,
            importance=importance or [f.name for f in features], loader=load,
            group_labels=group_labels if group_labels is not None else _catalogue_groups(),
        )

    @classmethod
    def from_paths(cls, paths: Any) -> Population:
        """The population of a run: feature table, cached probabilities, model threshold.

        Probabilities come from the SHAP cache when it exposes them for every
        client (`store.probabilities()`), else from one `predict_proba` over the
        feature table (a one-off per process). Feature columns are converted to
        numpy on first use.
        """
        from scoring.explain.shap_cache import ShapStore

        return population_from_store(ShapStore.open(paths))

    @classmethod
    def from_store(cls, store: Any) -> Population:
        """The population of an open `scoring.explain.shap_cache.ShapStore` (share the client's store)."""
        return population_from_store(store)

    # -- lookups ------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.ids)

    def index_of(self, client_id: int) -> int:
        """Row of a client id; KeyError when unknown."""
        lookup = self._cached("__id_index__", lambda: {int(v): i for i, v in enumerate(self.ids)})
        return lookup[int(client_id)]

    def row_of(self, client_id: int) -> int | None:
        """Row of a client id, or None for a client outside the population (panels show no marker)."""
        try:
            return self.index_of(client_id)
        except KeyError:
            return None

    @property
    def _feature_names(self) -> frozenset[str]:
        return self._cached("__feature_names__", lambda: frozenset(f.name for f in self.features))

    def feature(self, name: str) -> FeatureInfo:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def column(self, name: str) -> Column:
        """The feature's values over the population, loaded once and then shared read-only.

        KeyError when the population has no such feature.
        """
        if name not in self._feature_names:
            raise KeyError(name)

        def load() -> Column:
            col = self.loader(name)
            if len(col.values) != self.n:
                raise ValueError(f"column {name!r} has {len(col.values)} rows, expected {self.n}")
            return Column(col.name, col.kind, _frozen(col.values), tuple(col.categories))
        return self._cached(("column", name), load)

    def _cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """Process-wide memo of derived, read-only data (double-checked under the lock)."""
        value = self._cache.get(key)
        if value is None:
            with self._lock:
                value = self._cache.get(key)
                if value is None:
                    value = build()
                    self._cache[key] = value
        return value


# -- construction helpers ---------------------------------------------------------------------
def age_in_years(frame: Any) -> np.ndarray:
    """Age from AGE_YEARS, or from DAYS_BIRTH (negative days before the application)."""
    import polars as pl

    if "AGE_YEARS" in frame.columns:
        return frame.get_column("AGE_YEARS").cast(pl.Float64).fill_null(float("nan")).to_numpy()
    if "DAYS_BIRTH" in frame.columns:
        days = frame.get_column("DAYS_BIRTH").cast(pl.Float64).fill_null(float("nan")).to_numpy()
        return -days / 365.25
    return np.full(frame.height, np.nan)


def column_from_series(series: Any, dtype: Any) -> Column:
    """A polars column as floats (numeric) or category codes (strings/booleans), the categories
    in their natural order when the catalogue gives one (education levels), else sorted."""
    import polars as pl

    if dtype == pl.String or dtype == pl.Categorical or dtype == pl.Boolean:
        s = series.cast(pl.String)
        from scoring.text.catalogue import ordered_categories

        cats = ordered_categories(series.name, (v for v in s.unique().to_list() if v is not None))
        lookup = pl.DataFrame({"v": list(cats), "c": np.arange(len(cats), dtype=np.int32)})
        codes = (s.to_frame("v").join(lookup, on="v", how="left", maintain_order="left")
                 .get_column("c").fill_null(-1).to_numpy().astype(np.int32))
        return Column(series.name, "categorical", codes, cats)
    values = series.cast(pl.Float64).fill_null(float("nan")).fill_nan(float("nan")).to_numpy()
    return Column(series.name, "numeric", values)


def feature_infos(names: Sequence[str], schema: Mapping[str, Any]) -> list[FeatureInfo]:
    """FeatureInfo per column: labels and groups from scoring.text.catalogue when it is there."""
    import polars as pl

    meta = catalogue_metadata()
    out = []
    for name in names:
        dtype = schema[name]
        kind = "categorical" if dtype in (pl.String, pl.Categorical, pl.Boolean) else "numeric"
        m = meta.get(name, {})
        out.append(FeatureInfo(
            name=name, kind=kind, labels=MappingProxyType(dict(m.get("labels") or {"fr": name})),
            group=m.get("group", "other"), protected=bool(m.get("protected",
                                                                name in DEFAULT_PROTECTED)),
        ))
    return out


def catalogue_metadata() -> dict[str, dict[str, Any]]:
    """name -> {labels: {fr, en}, group, protected} read from scoring.text.catalogue, if present."""
    try:
        from scoring.text import catalogue
    except ImportError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for e in catalogue.entries():
        get = (lambda k, e=e: e.get(k) if isinstance(e, Mapping) else getattr(e, k, None))
        labels = {}
        for lang in ("fr", "en"):
            lab = get(f"label_{lang}")
            if lab is None and isinstance(get("label"), Mapping):
                lab = get("label").get(lang)
            if lab is None and callable(getattr(e, "label", None)):
                lab = e.label(lang)
            if lab:
                labels[lang] = str(lab)
        out[str(get("name"))] = {"labels": labels or None, "group": get("group") or "other",
                                 "protected": bool(get("protected"))}
    return out


# -- pure functions -------------------------------------------------------------------------
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
        return (_frozen(uniq) if 0 < uniq.size <= DISCRETE_MAX_VALUES else None,)
    return pop._cached(("discrete", name), build)[0]


def bin_edges(pop: Population, name: str, bins: int = 30) -> np.ndarray:
    """Shared histogram edges of a numeric feature (cached): one bar per value when discrete."""
    def build() -> np.ndarray:
        uniq = discrete_values(pop, name)
        if uniq is not None:
            step = np.min(np.diff(uniq)) if uniq.size > 1 else 1.0
            mids = np.concatenate([uniq[:1] - step / 2, (uniq[:-1] + uniq[1:]) / 2,
                                   uniq[-1:] + step / 2])
            return _frozen(mids)
        v = pop.column(name).values
        v = v[np.isfinite(v)]
        if v.size == 0:
            return _frozen([0.0, 1.0])
        lo, hi = np.quantile(v, RANGE_QUANTILES)
        if hi <= lo:
            lo, hi = float(v.min()), float(v.max())
            hi = hi if hi > lo else lo + 1.0
        return _frozen(np.linspace(lo, hi, bins + 1))
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
        return _frozen(order), _frozen(stratum)
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
def population_from_store(store: Any) -> Population:
    """See `Population.from_store`: columns are read lazily from the store's in-memory table."""
    frame = store.features
    model = store.model
    proba = _store_probabilities(store, frame)
    if proba is None:  # one predict_proba over the whole table, a one-off per process
        proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
    importance = list(store.global_importance()) if hasattr(store, "global_importance") else []
    if not importance:
        imp = model.booster.get_feature_importance()
        importance = [model.feature_names[i] for i in np.argsort(-np.asarray(imp))]
    from scoring.data.schema import ID_COLUMNS

    names = [c for c in frame.columns if c not in ID_COLUMNS]
    rank = {n: i for i, n in enumerate(importance)}
    importance = sorted(names, key=lambda n: rank.get(n, len(rank)))
    return Population.from_frame(frame, proba, store.threshold, importance=importance,
                                 group_labels=_catalogue_groups())


def _store_probabilities(store: Any, frame: Any) -> np.ndarray | None:
    """Every client's cached probability, in table order, if the store offers them in bulk."""
    get = getattr(store, "probabilities", None)
    if get is None:
        return None
    value = get() if callable(get) else get
    value = np.asarray(value, dtype=np.float64)
    return value if value.shape == (frame.height,) else None


def _catalogue_groups() -> dict[str, dict[str, str]]:
    """Group key -> {fr, en} label from scoring.text.catalogue.GROUPS, when available."""
    try:
        from scoring.text.catalogue import GROUPS as CAT_GROUPS
    except ImportError:
        return {}
    out: dict[str, dict[str, str]] = {}
    items = CAT_GROUPS.items() if isinstance(CAT_GROUPS, Mapping) else (
        (getattr(g, "key", getattr(g, "name", str(g))), g) for g in CAT_GROUPS)
    for key, g in items:
        if isinstance(g, Mapping):
            out[str(key)] = {k: str(v) for k, v in g.items() if k in ("fr", "en")}
        elif isinstance(g, tuple) and len(g) == 2:
            out[str(key)] = {"fr": str(g[0]), "en": str(g[1])}
        elif isinstance(g, str):
            out[str(key)] = {"fr": g, "en": g}
        else:
            out[str(key)] = {lang: str(getattr(g, f"label_{lang}", key)) for lang in ("fr", "en")}
    return out
