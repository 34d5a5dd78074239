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
#: Columns that are protected attributes when the catalogue does not say otherwise.
DEFAULT_PROTECTED = frozenset({"CODE_GENDER", "DAYS_BIRTH", "AGE_YEARS", "NAME_FAMILY_STATUS"})


def read_only(a: Any, dtype: Any = None) -> np.ndarray:
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
            ids=read_only(arrays["ids"]), is_train=read_only(arrays["is_train"]),
            target=read_only(arrays["target"]), proba=read_only(proba_a),
            refused=read_only(decide(proba_a, threshold)), gender=read_only(codes), gender_labels=labels,
            age_years=read_only(arrays["age_years"]), threshold=float(threshold),
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
            return Column(col.name, col.kind, read_only(col.values), tuple(col.categories))
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
