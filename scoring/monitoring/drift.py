"""Drift of the incoming clients against the training clients: PSI per feature and of the score.

The Population Stability Index, the credit-risk convention:
``PSI = sum_i (a_i - e_i) * ln(a_i / e_i)`` over bins, `e` the reference
(training) shares and `a` the incoming ones; below 0.1 stable, 0.1 to 0.25 to
watch, above 0.25 shifted. Bins: the reference deciles for a number (fewer
when values repeat), every category for a category, and one bin for missing
values either way; an empty bin counts as a share of `EPSILON` (the usual
convention, so that a category absent on one side gives a large but finite
term).

A statistical test (scipy, imported only when a snapshot is computed) goes with each feature where it adds information: the
two-sample Kolmogorov-Smirnov test for a number (it sees shifts inside a
bin), the chi-squared test of the bin counts for a category. With hundreds of
thousands of clients any difference is "significant", so alarms follow the
PSI (an effect size); the p-values are reported for the data team.

Why no library: evidently (which has a PSI) does not import with pandas 3
(0.7.23: `infer_dtype_from_object` was removed from pandas), and nannyml
(0.13.1) has no PSI and pulls cloud-storage clients, LightGBM and usage
telemetry; the binning is a few lines of numpy/Polars and the tests are scipy's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

#: PSI limits: below WATCH stable, up to SHIFT "to watch", above SHIFT shifted (an alarm).
PSI_WATCH = 0.1
PSI_SHIFT = 0.25
#: Reference quantile bins of a number.
N_BINS = 10
#: Share given to an empty bin.
EPSILON = 1e-4
#: Fewer incoming clients than this: the drift is reported but raises no alarm.
MIN_INCOMING = 100

_NUMERIC = (pl.Float32, pl.Float64, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16,
            pl.UInt32, pl.UInt64, pl.Boolean)


def psi(expected: np.ndarray, actual: np.ndarray, epsilon: float = EPSILON) -> float:
    """PSI of two vectors of bin shares (each summing to 1); empty bins count as `epsilon`."""
    e = np.clip(np.asarray(expected, dtype=np.float64), epsilon, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), epsilon, None)
    return float(np.sum((a - e) * np.log(a / e)))


def status(value: float | None) -> str:
    """"stable", "watch" or "shifted" by the credit-risk convention ("unknown" without a value)."""
    if value is None or not math.isfinite(value):
        return "unknown"
    return "shifted" if value > PSI_SHIFT else "watch" if value >= PSI_WATCH else "stable"


def quantile_edges(reference: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Inner bin edges: the reference's quantiles (deciles by default), repeated values merged."""
    known = reference[~np.isnan(reference)]
    if known.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1)[1:-1]))


def numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (-inf, e1], (e1, e2], ..., (ek, inf), then the missing values."""
    missing = np.isnan(values)
    index = np.searchsorted(edges, values[~missing], side="left")
    counts = np.bincount(index, minlength=edges.size + 1)
    return np.append(counts, int(missing.sum()))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros(counts.size)


def _rounded(values: np.ndarray, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


def numeric_drift(reference: np.ndarray, incoming: np.ndarray) -> dict[str, Any]:
    """PSI over the reference deciles (+ missing), the KS test on known values, the bins drawn."""
    edges = quantile_edges(reference)
    ref_counts, inc_counts = numeric_counts(reference, edges), numeric_counts(incoming, edges)
    ref_shares, inc_shares = _shares(ref_counts), _shares(inc_counts)
    ref_known, inc_known = reference[~np.isnan(reference)], incoming[~np.isnan(incoming)]
    test: dict[str, Any] = {"test": "ks", "statistic": None, "p_value": None}
    if ref_known.size and inc_known.size:
        from scipy import stats

        result = stats.ks_2samp(ref_known, inc_known, method="asymp")
        test |= {"statistic": float(result.statistic), "p_value": float(result.pvalue)}
    return {
        "kind": "numeric", "psi": psi(ref_shares, inc_shares), **test,
        "edges": _rounded(edges, 9),
        "range": [float(ref_known.min()), float(ref_known.max())] if ref_known.size else None,
        "reference": _rounded(ref_shares[:-1]), "incoming": _rounded(inc_shares[:-1]),
        "missing": {"reference": float(ref_shares[-1]), "incoming": float(inc_shares[-1])},
    }


def categorical_drift(reference: pl.Series, incoming: pl.Series) -> dict[str, Any]:
    """PSI over every category seen on either side (+ missing), the chi-squared test of the counts."""
    sides = pl.concat([pl.DataFrame({"v": reference.cast(pl.String), "inc": False}),
                       pl.DataFrame({"v": incoming.cast(pl.String), "inc": True})])
    counts = (sides.group_by("v").agg((~pl.col("inc")).sum().alias("ref_n"), pl.col("inc").sum().alias("inc_n"))
              .sort("v", nulls_last=True))
    known = counts.filter(pl.col("v").is_not_null())
    missing = counts.filter(pl.col("v").is_null())
    ref_counts = np.append(known["ref_n"].to_numpy(), missing["ref_n"].sum()).astype(np.float64)
    inc_counts = np.append(known["inc_n"].to_numpy(), missing["inc_n"].sum()).astype(np.float64)
    ref_shares, inc_shares = _shares(ref_counts), _shares(inc_counts)
    table = np.vstack([ref_counts, inc_counts])
    table = table[:, table.sum(axis=0) > 0]
    test: dict[str, Any] = {"test": "chi2", "statistic": None, "p_value": None}
    if table.shape[1] >= 2 and table.sum(axis=1).all():
        from scipy import stats

        result = stats.chi2_contingency(table)
        test |= {"statistic": float(result.statistic), "p_value": float(result.pvalue)}
    return {
        "kind": "categorical", "psi": psi(ref_shares, inc_shares), **test,
        "categories": known["v"].to_list(),
        "reference": _rounded(ref_shares[:-1]), "incoming": _rounded(inc_shares[:-1]),
        "missing": {"reference": float(ref_shares[-1]), "incoming": float(inc_shares[-1])},
    }


def _as_float(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def feature_drift(reference: pl.Series, incoming: pl.Series) -> dict[str, Any]:
    """The drift of one column (numbers and categories alike), with its status and sizes."""
    if isinstance(reference.dtype, _NUMERIC):
        out = numeric_drift(_as_float(reference), _as_float(incoming))
    else:
        out = categorical_drift(reference, incoming)
    out["status"] = status(out["psi"])
    out["n_reference"], out["n_incoming"] = reference.len(), incoming.len()
    return out


def population_drift(reference: pl.DataFrame, incoming: pl.DataFrame, columns: list[str],
                     model_inputs: set[str]) -> dict[str, Any]:
    """Every column's drift keyed by its name, the columns by decreasing PSI, and the alarms
    (model inputs above `PSI_SHIFT`, none when fewer than `MIN_INCOMING` incoming clients)."""
    features = {}
    for name in columns:
        entry = feature_drift(reference.get_column(name), incoming.get_column(name))
        entry["model_input"] = name in model_inputs
        features[name] = entry
    ranked = sorted(features, key=lambda n: -features[n]["psi"])
    enough = incoming.height >= MIN_INCOMING
    alarms = [{"feature": n, "psi": features[n]["psi"]} for n in ranked
              if enough and features[n]["model_input"] and features[n]["psi"] > PSI_SHIFT]
    return {"features": features, "ranked": ranked, "alarms": alarms, "enough_incoming": enough}


def score_drift(reference: np.ndarray, incoming: np.ndarray) -> dict[str, Any]:
    """The predicted probability's drift (the same PSI, over the reference's score deciles)."""
    out = numeric_drift(np.asarray(reference, dtype=np.float64), np.asarray(incoming, dtype=np.float64))
    out["status"] = status(out["psi"])
    out["n_reference"], out["n_incoming"] = int(np.size(reference)), int(np.size(incoming))
    return out
