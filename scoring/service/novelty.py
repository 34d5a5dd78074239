"""Unusual values: a what-if or a new applicant scored on values the model has not seen is flagged.

The score is still computed; the answer carries `DataWarning`s that name the
fields, so that an advisor reads it with care:

- "range": a numeric feature beyond the 0.5 %-99.5 % range of the training
  clients (value and range seen are given);
- "combination": the row's mean distance to its nearest training clients
  (standardized numeric features) beyond the 99th percentile of the training
  clients' own; the fields farthest from the nearest training client are named.

For a what-if, only what the edit *changed* can be flagged (a `baseline`, the
client's own feature row): a client's own values are never a warning, and a
combination is flagged only when the edit moved it farther from the training
clients. A new applicant (`POST /score`) has no baseline: every feature counts.

The yardstick is the model version's `NoveltyReference` (computed at training);
for a model saved before it existed, it is computed once per process from the
store's train rows, with the same settings.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import polars as pl

from scoring.model.novelty import NoveltyReference
from scoring.progress import log
from scoring.service.lang import pick
from scoring.service.protocol import DataWarning
from scoring.text import catalogue
from scoring.text.guidance import TEXT

#: Fields named by a combination warning.
COMBINATION_FIELDS = 3
_LOCK = threading.Lock()
_FITTED: dict[int, tuple[Any, NoveltyReference]] = {}


def numeric_features(model: Any) -> list[str]:
    """The model's numeric feature columns, in model order."""
    cats = set(model.cat_features)
    return [name for name in model.feature_names if name not in cats]


def reference(store: Any) -> NoveltyReference:
    """The served model's reference: its own, or computed once per process from the train rows."""
    model = store.model
    numeric = numeric_features(model)
    own = getattr(model, "novelty", None)
    if own is not None and own.names == numeric:
        return own
    with _LOCK:
        hit = _FITTED.get(id(model))
        if hit is None or hit[0] is not model:
            train = store.features.filter(pl.col("SAMPLE") == "train")
            log.info("novelty: model %s has no reference; computing it from %d train rows",
                     model.version, train.height)
            values = train.select(pl.col(numeric).cast(pl.Float64)).to_numpy()
            _FITTED[id(model)] = hit = (model, NoveltyReference.fit(values, numeric))
        return hit[1]


def values_of(ref: NoveltyReference, features: pl.DataFrame) -> np.ndarray:
    """Feature rows as floats over the reference's columns (nan = missing)."""
    return features.select(pl.col(ref.names).cast(pl.Float64)).to_numpy()


def changed(values: np.ndarray, baseline: np.ndarray | None) -> np.ndarray:
    """Where a row differs from the baseline row (everything when there is none)."""
    if baseline is None:
        return np.ones(values.shape, dtype=bool)
    return ~np.isclose(values, baseline.reshape(1, -1), rtol=1e-9, atol=1e-12, equal_nan=True)


def out_of_range(ref: NoveltyReference, values: np.ndarray, baseline: np.ndarray | None = None) -> np.ndarray:
    """Rows x names: a changed (or, without baseline, any) value beyond the training range."""
    return ref.outside(values) & changed(values, baseline)


def far(ref: NoveltyReference, values: np.ndarray, baseline: np.ndarray | None = None) -> np.ndarray:
    """Per row: farther from the training clients than the limit (and than the baseline, if any)."""
    distance = ref.distances(values)
    out = distance > ref.limit
    if baseline is not None:
        out &= distance > ref.distances(baseline)[0] * (1.0 + 1e-9)
    return out


def warnings(ref: NoveltyReference, features: pl.DataFrame, lang: str = "fr",
             baseline: pl.DataFrame | None = None) -> list[DataWarning]:
    """The warnings of ONE scored feature row (against the client's own row, for a what-if)."""
    values = values_of(ref, features)
    base = None if baseline is None else values_of(ref, baseline)[0]
    found = []
    outside = out_of_range(ref, values, base)[0]
    if outside.any():
        found.append(_range_warning(ref, values[0], np.flatnonzero(outside), lang))
    if far(ref, values, base)[0]:
        found.append(_combination_warning(ref, values[0], base, lang))
    return found


def _range_warning(ref: NoveltyReference, row: np.ndarray, where: np.ndarray, lang: str) -> DataWarning:
    width = np.where(ref.high > ref.low, ref.high - ref.low, 1.0)
    with np.errstate(over="ignore"):  # 1e308 is far beyond: +inf ranks it first, as it should
        excess = np.maximum(ref.low - row, row - ref.high) / width
    order = where[np.argsort(-excess[where], kind="stable")]
    names = [ref.names[j] for j in order]
    labels = [catalogue.label(name, lang) for name in names]
    items = "; ".join(pick(TEXT["range_item"], lang, label=labels[i],
                           value=catalogue.format_value(name, float(row[j]), lang),
                           low=catalogue.format_value(name, float(ref.low[j]), lang),
                           high=catalogue.format_value(name, float(ref.high[j]), lang))
                      for i, (name, j) in enumerate(zip(names, order, strict=True)))
    return DataWarning("range", names, labels, pick(TEXT["range"], lang, items=items))


def _combination_warning(ref: NoveltyReference, row: np.ndarray, base: np.ndarray | None,
                         lang: str) -> DataWarning:
    """Named: the standardized features farthest from the nearest training client (among the
    edited ones, when the edit changed any of them)."""
    gap = np.abs(ref.standardize(row)[0] - ref.nearest(row)[0]).astype(np.float64)
    moved = changed(row.reshape(1, -1), base)[0][ref.knn_columns]
    if moved.any():
        gap = np.where(moved, gap, -1.0)
    order = np.argsort(-gap, kind="stable")[:COMBINATION_FIELDS]
    names = [ref.knn_names[j] for j in order if gap[j] >= 0]
    labels = [catalogue.label(name, lang) for name in names]
    return DataWarning("combination", names, labels, pick(TEXT["combination"], lang, labels=", ".join(labels)))
