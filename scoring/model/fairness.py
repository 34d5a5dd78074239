"""Fairness of the model's decisions by protected group, computed with fairlearn's `MetricFrame`.

For each grouping the catalogue declares (`catalogue.PROTECTED_GROUPINGS`):
group size, approval rate, mean probability and, when outcomes are known
(the training hold-out), observed default rate, false-refusal rate (good
clients refused) and missed-defaulter rate (defaulters granted); then the
summary figures over the groups large enough to say something: the
selection-rate ratio (lowest approval rate / highest: the four-fifths rule)
and the equalised-odds difference.

Coding for fairlearn: the favourable outcome is the positive class, so
`y_true` = 1 for a good client (repaid), `y_pred` = 1 for an approved credit.
Then the selection rate is the approval rate, the false-negative rate is the
false-refusal rate and the false-positive rate the missed-defaulter rate.

It sits in the model layer because training reports it (the model card, and
the comparison with and without protected inputs) and the monitoring snapshot
(`scoring.monitoring`, a layer above) reports it again on every nightly build.

Why the rows are compressed first: fairlearn 0.15 stacks every element of a
group one by one (about 3 s per metric on 356,000 clients); grouping the rows
by (group, outcome, decision) and passing the counts as `sample_weight` gives
exactly the same figures from a few dozen rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from scoring.text.catalogue import YEAR_DAYS, ProtectedGrouping

#: Below this many clients a group's figures are shown, flagged, and left out of the summaries.
MIN_GROUP = 100
#: Error rates need at least this many defaulters and as many good clients in the group.
MIN_OUTCOMES = 20
#: The four-fifths rule: a group approved at less than 80 % of the best-approved group's rate.
FOUR_FIFTHS = 0.8
#: Largest acceptable gap in false-refusal or missed-defaulter rate between groups.
EQUALISED_ODDS_LIMIT = 0.1
#: Group key of clients whose grouping value is missing.
MISSING_GROUP = "__missing__"


# --------------------------------------------------------------------------- groups

def _grouping_values(frame: pl.DataFrame, grouping: ProtectedGrouping) -> pl.Series | None:
    """The grouping column, or its derivation (age from DAYS_BIRTH); None when absent."""
    if grouping.column in frame.columns:
        return frame.get_column(grouping.column)
    if grouping.column == "AGE_YEARS" and "DAYS_BIRTH" in frame.columns:
        return (-frame.get_column("DAYS_BIRTH").cast(pl.Float64) / YEAR_DAYS).alias("AGE_YEARS")
    return None


def _band_key(lo: float | None, hi: float | None) -> str:
    fmt = "{:g}".format
    return f"<{fmt(hi)}" if lo is None else f">={fmt(lo)}" if hi is None else f"{fmt(lo)}-{fmt(hi)}"


def group_keys(frame: pl.DataFrame, grouping: ProtectedGrouping) -> tuple[pl.Series, list[dict[str, Any]]] | None:
    """(one group key per row, the groups present in display order), None when the column is absent.

    Bands carry `band` = [lo, hi) (None for an open end) so that a front end words them
    (`catalogue.band_label`); missing values form the group `MISSING_GROUP`.
    """
    values = _grouping_values(frame, grouping)
    if values is None:
        return None
    if grouping.bands:
        x = values.cast(pl.Float64).fill_null(float("nan")).to_numpy()
        edges = [None, *grouping.bands, None]
        bands = list(zip(edges[:-1], edges[1:], strict=True))
        index = np.searchsorted(np.asarray(grouping.bands, dtype=np.float64), x, side="right")
        index[np.isnan(x)] = len(bands)
        names = pl.Series([_band_key(lo, hi) for lo, hi in bands] + [MISSING_GROUP], dtype=pl.String)
        keys = names.gather(index)
        groups = [{"group": _band_key(lo, hi), "band": [lo, hi]} for lo, hi in bands]
    else:
        keys = values.cast(pl.String).fill_null(MISSING_GROUP)
        groups = [{"group": key} for key in sorted(set(keys.unique().to_list()) - {MISSING_GROUP})]
    present = set(keys.unique().to_list())
    groups.append({"group": MISSING_GROUP})
    return keys.alias("g"), [g for g in groups if g["group"] in present]


# --------------------------------------------------------------------------- metrics

def _n(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight))


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(np.sum(weights))
    return float(np.dot(values, weights) / total) if total else float("nan")


def _mean_probability(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray,
                      probability: np.ndarray) -> float:
    return _weighted_mean(probability, sample_weight)


def _default_rate(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return _weighted_mean(1.0 - np.asarray(y_true, dtype=np.float64), sample_weight)


def _compressed(keys: Any, good: np.ndarray, approved: np.ndarray, probability: np.ndarray) -> pl.DataFrame:
    """One row per (group, outcome, decision) with its client count and mean probability."""
    return (pl.DataFrame({"g": pl.Series(keys, dtype=pl.String), "y": good.astype(np.int8),
                          "a": approved.astype(np.int8), "p": probability.astype(np.float64)})
            .group_by(["g", "y", "a"]).agg(pl.len().alias("w"), pl.col("p").mean())
            .sort(["g", "y", "a"]))


def _metric_frame(rows: pl.DataFrame, known: bool) -> Any:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )

    weight = rows["w"].to_numpy().astype(np.float64)
    metrics: dict[str, Any] = {"n": _n, "approval_rate": selection_rate, "mean_probability": _mean_probability}
    params: dict[str, dict[str, Any]] = {
        "n": {"sample_weight": weight}, "approval_rate": {"sample_weight": weight},
        "mean_probability": {"sample_weight": weight, "probability": rows["p"].to_numpy()}}
    if known:
        metrics |= {"default_rate": _default_rate, "false_refusal_rate": false_negative_rate,
                    "missed_defaulter_rate": false_positive_rate}
        params |= {k: {"sample_weight": weight} for k in ("default_rate", "false_refusal_rate",
                                                             "missed_defaulter_rate")}
    return MetricFrame(metrics=metrics, y_true=rows["y"].to_numpy(), y_pred=rows["a"].to_numpy(),
                       sensitive_features=rows["g"].to_numpy(), sample_params=params)


def _figure(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _summaries(rows: pl.DataFrame, reliable: list[str], reliable_outcomes: list[str],
               known: bool) -> dict[str, float | None]:
    """Selection-rate ratio over the large groups; equalised-odds difference over those with
    enough defaulters and good clients too (fairlearn's own definitions)."""
    from fairlearn.metrics import demographic_parity_ratio, equalized_odds_difference

    out: dict[str, float | None] = {"selection_rate_ratio": None, "equalised_odds_difference": None}
    sub = rows.filter(pl.col("g").is_in(reliable))
    if len(reliable) >= 2:
        out["selection_rate_ratio"] = _figure(demographic_parity_ratio(
            sub["y"].to_numpy(), sub["a"].to_numpy(), sensitive_features=sub["g"].to_numpy(),
            sample_weight=sub["w"].to_numpy().astype(np.float64)))
    sub = rows.filter(pl.col("g").is_in(reliable_outcomes))
    if known and len(reliable_outcomes) >= 2:
        out["equalised_odds_difference"] = _figure(equalized_odds_difference(
            sub["y"].to_numpy(), sub["a"].to_numpy(), sensitive_features=sub["g"].to_numpy(),
            sample_weight=sub["w"].to_numpy().astype(np.float64)))
    return out


def group_fairness(keys: Any, groups: list[dict[str, Any]], probability: np.ndarray,
                   refused: np.ndarray, default: np.ndarray | None) -> dict[str, Any]:
    """Every figure per group and the summaries; `default` (1 = defaulted) None without outcomes.

    A group below `MIN_GROUP` clients (or, for error rates, `MIN_OUTCOMES` defaulters or
    good clients) is flagged `small` and named in `warnings`; rates that have no denominator
    (no defaulter in a group) are None, never 0.
    """
    known = default is not None
    good = np.zeros(len(keys), dtype=np.int8) if default is None else 1 - np.asarray(default, dtype=np.int8)
    approved = 1 - np.asarray(refused, dtype=np.int8)
    rows = _compressed(keys, good, approved, np.asarray(probability, dtype=np.float64))
    by_group = _metric_frame(rows, known).by_group
    out_groups, warnings = [], []
    reliable, reliable_outcomes = [], []
    for descriptor in groups:
        key = descriptor["group"]
        m = by_group.loc[key]
        n = int(m["n"])
        entry: dict[str, Any] = dict(descriptor, n=n, approval_rate=_figure(m["approval_rate"]),
                                     mean_probability=_figure(m["mean_probability"]))
        small = n < MIN_GROUP
        if known:
            n_default = int(rows.filter((pl.col("g") == key) & (pl.col("y") == 0))["w"].sum())
            n_good = n - n_default
            entry |= {"n_defaulters": n_default, "n_good": n_good,
                      "default_rate": _figure(m["default_rate"]),
                      "false_refusal_rate": _figure(m["false_refusal_rate"]) if n_good else None,
                      "missed_defaulter_rate": _figure(m["missed_defaulter_rate"]) if n_default else None}
            few_outcomes = min(n_default, n_good) < MIN_OUTCOMES
            entry["small_outcomes"] = few_outcomes
            if not small and not few_outcomes and key != MISSING_GROUP:
                reliable_outcomes.append(key)
            if few_outcomes and not small:
                warnings.append({"group": key, "n": n, "reason": "few_outcomes",
                                 "n_defaulters": n_default, "n_good": n_good})
        entry["small"] = small
        if small:
            warnings.append({"group": key, "n": n, "reason": "small_group"})
        elif key != MISSING_GROUP:
            reliable.append(key)
        out_groups.append(entry)
    summary = _summaries(rows, reliable, reliable_outcomes, known)
    if len(reliable) < 2:
        warnings.append({"reason": "too_few_groups", "n_groups": len(reliable)})
    return {"groups": out_groups, **summary, "warnings": warnings, "findings": _findings(summary)}


def _findings(summary: dict[str, float | None]) -> list[dict[str, Any]]:
    """What a person must review: the four-fifths rule broken, error rates too far apart."""
    out = []
    ratio, gap = summary["selection_rate_ratio"], summary["equalised_odds_difference"]
    if ratio is not None and ratio < FOUR_FIFTHS:
        out.append({"figure": "selection_rate_ratio", "value": ratio, "limit": FOUR_FIFTHS})
    if gap is not None and gap > EQUALISED_ODDS_LIMIT:
        out.append({"figure": "equalised_odds_difference", "value": gap, "limit": EQUALISED_ODDS_LIMIT})
    return out


def fairness_report(frame: pl.DataFrame, probability: np.ndarray, refused: np.ndarray,
                    groupings: tuple[ProtectedGrouping, ...], *, outcomes: bool) -> dict[str, Any]:
    """Every grouping of `frame`'s clients (with their probabilities and decisions), keyed by the
    grouping's key; with `outcomes`, the frame's TARGET gives the observed defaults."""
    default = frame.get_column("TARGET").cast(pl.Int8).to_numpy() if outcomes else None
    report: dict[str, Any] = {}
    for grouping in groupings:
        found = group_keys(frame, grouping)
        if found is None:
            report[grouping.key] = {"column": grouping.column, "absent": True, "groups": [],
                                    "warnings": [{"reason": "column_absent"}], "findings": []}
            continue
        keys, groups = found
        report[grouping.key] = {"column": grouping.column,
                                **group_fairness(keys, groups, probability, refused, default)}
    return report
