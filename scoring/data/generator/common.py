"""Shared helpers of the synthetic generator: schema-checked categories, amounts, frames.

Every categorical value is drawn by name from `scoring.data.schema` declarations,
so a generated value outside the schema is a programming error caught at
the first chunk, not a surprise in the loader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.data.schema import TABLES


@dataclass
class Clients:
    """Per-client arrays of one chunk that every table generator reads (numpy, length n)."""

    sk_id_curr: np.ndarray       # int64 ids
    is_train: np.ndarray         # bool
    age_years: np.ndarray        # float
    income: np.ndarray           # AMT_INCOME_TOTAL
    credit: np.ndarray           # current application AMT_CREDIT
    worthiness: np.ndarray       # latent creditworthiness (seen by EXT_SOURCE_*), N(0,1), high = risky
    behaviour: np.ndarray        # latent repayment behaviour (seen in the histories), N(0,1), high = risky
    true_pd: np.ndarray          # true default probability
    target: np.ndarray           # int TARGET draw (also drawn for new clients, never written)

    @property
    def n(self) -> int:
        return len(self.sk_id_curr)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def categories(table: str, column: str) -> tuple[str, ...]:
    cats = TABLES[table].column(column).categories
    if cats is None:
        raise ValueError(f"{table}.{column} has no categories in scoring.data.schema")
    return cats


def draw_codes(rng: np.random.Generator, table: str, column: str,
               weights: dict[str, float], n: int) -> np.ndarray:
    """Category codes (indices into the schema's categories) drawn with `weights`."""
    cats = categories(table, column)
    unknown = set(weights) - set(cats)
    if unknown:
        raise ValueError(f"{table}.{column}: {sorted(unknown)} not in scoring.data.schema categories")
    p = np.array([weights.get(c, 0.0) for c in cats], dtype=float)
    p /= p.sum()
    return rng.choice(len(cats), size=n, p=p)


def code_of(table: str, column: str, value: str) -> int:
    return categories(table, column).index(value)


def cat_series(table: str, column: str, codes: np.ndarray,
               null: np.ndarray | None = None) -> pl.Series:
    """A String series of schema categories from integer codes; `null` marks missing rows."""
    cats = categories(table, column)
    lookup = pl.Series(column, cats, dtype=pl.String)
    idx = pl.Series(np.asarray(codes, dtype=np.int64))
    if null is not None and null.any():
        idx = pl.select(pl.when(pl.Series(null)).then(None).otherwise(idx)).to_series()
    return lookup.gather(idx).alias(column)


def draw(rng: np.random.Generator, table: str, column: str, weights: dict[str, float],
         n: int, null: np.ndarray | None = None) -> pl.Series:
    return cat_series(table, column, draw_codes(rng, table, column, weights, n), null)


def money(x: np.ndarray, step: float = 0.005) -> np.ndarray:
    """Round amounts like the real files (half-cent steps, 3 decimals at most)."""
    return np.round(np.round(np.asarray(x, dtype=float) / step) * step, 3)


def with_nulls(x: np.ndarray, null: np.ndarray | None) -> np.ndarray:
    """Float copy of `x` with NaN where `null` (NaN becomes an empty CSV field)."""
    out = np.asarray(x, dtype=float).copy()
    if null is not None:
        out[null] = np.nan
    return out


def frame(table: str, columns: dict[str, object]) -> pl.DataFrame:
    """Assemble a table chunk in schema order and dtypes; NaN floats become nulls.

    Raises if a column is missing or extra, so generators cannot drift from the schema.
    """
    schema = TABLES[table]
    names = schema.column_names
    missing = [c for c in names if c not in columns]
    extra = [c for c in columns if c not in names]
    if missing or extra:
        raise ValueError(f"{table}: generator columns differ from schema (missing {missing}, extra {extra})")
    series = []
    for col in schema.columns:
        value = columns[col.name]
        if isinstance(value, pl.Series):
            s = value.alias(col.name)
        else:
            arr = np.asarray(value)
            s = pl.Series(col.name, arr)
            if col.kind == "float":
                s = s.cast(pl.Float64).fill_nan(None)
        series.append(s.cast(col.polars_dtype))
    return pl.DataFrame(series)


def repeat_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(parent index, position within parent) for `counts[i]` children of each parent i."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(counts.sum()) - np.repeat(starts, counts)
    return parent, pos
