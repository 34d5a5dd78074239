"""The policy on protected inputs, and what it costs: the same model with and without them.

By default the model is trained without the inputs the catalogue excludes by
policy (`catalogue.excluded_inputs()`: gender, see EU directive 2004/113/EC);
`train --keep-protected` keeps them, for comparison only. Either way the
report trains the other variant too, with the chosen CatBoost parameters on
the same folds (its own CV threshold and calibration, then one refit), and
compares hold-out AUC, business cost and the fairness figures of both
(`scoring.model.fairness`, on the hold-out's known outcomes). The model card
lists the excluded inputs and the served model's fairness figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from scoring.model import fairness
from scoring.model.calibration import calibrate, fit_platt
from scoring.model.decision import refused
from scoring.model.scoring_model import MISSING_CATEGORY
from scoring.model.training.candidates import metrics_at
from scoring.model.training.catboost_search import (
    QuantisedRows,
    cross_validate_catboost,
    refit_iterations,
)
from scoring.model.training.config import TrainConfig
from scoring.model.training.data import TrainingData
from scoring.progress import log, step
from scoring.text import catalogue


def policy_inputs(full: TrainingData, config: TrainConfig) -> TrainingData:
    """The training data the model may use: without the inputs excluded by policy, unless
    `config.keep_protected`."""
    return full if config.keep_protected else full.without(excluded_present(full))


def excluded_present(data: TrainingData) -> list[str]:
    """Inputs excluded by policy that this feature table has."""
    return [name for name in catalogue.excluded_inputs() if name in data.feature_names]


def _group_frame(full: TrainingData, rows: np.ndarray) -> pl.DataFrame:
    """The hold-out's grouping columns (missing categories back to null) and outcomes."""
    columns = [g.column for g in catalogue.PROTECTED_GROUPINGS if g.column in full.X.columns]
    target = pl.Series("TARGET", full.y[rows], dtype=pl.Int8)
    if not columns:  # e.g. a table without any protected column: every grouping reported absent
        return pl.DataFrame([target])
    frame = pl.from_pandas(full.X.iloc[rows][columns].reset_index(drop=True))
    frame = frame.with_columns(pl.col(c).replace(MISSING_CATEGORY, None)
                               for c in columns if frame.schema[c] == pl.String)
    return frame.with_columns(target)


def holdout_fairness(groups: pl.DataFrame, proba: np.ndarray, threshold: float) -> dict[str, Any]:
    """Every protected grouping's figures on the hold-out (calibrated probabilities)."""
    return fairness.fairness_report(groups, proba, refused(proba, threshold), catalogue.PROTECTED_GROUPINGS,
                                    outcomes=True)


def _variant(fit: TrainingData, hold: TrainingData, folds: list, config: TrainConfig,
             params: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """The other variant with the chosen parameters: CV threshold, Platt map, refit, hold-out."""
    rows = QuantisedRows(fit.X, fit.y, fit.cat_features)
    res = cross_validate_catboost(rows, params, folds, config)
    model = rows.fit(params, refit_iterations(res), config.seed)
    slope, intercept = fit_platt(fit.y, res.oof)
    proba = calibrate(model.predict_proba(hold.X)[:, 1], slope, intercept)
    threshold = float(calibrate(res.threshold, slope, intercept))
    return proba, {"threshold": threshold, "n_features": len(fit.feature_names),
                   **metrics_at(hold.y, proba, threshold, config.cost_fn, config.cost_fp)}


def _summary(fair: dict[str, Any]) -> dict[str, Any]:
    return {key: {"selection_rate_ratio": g.get("selection_rate_ratio"),
                  "equalised_odds_difference": g.get("equalised_odds_difference")}
            for key, g in fair.items()}


def protected_report(full: TrainingData, fit_idx: np.ndarray, hold_idx: np.ndarray, folds: list,
                     config: TrainConfig, params: dict[str, Any], served_holdout_proba: np.ndarray,
                     served_threshold: float) -> dict[str, Any]:
    """The served model's hold-out fairness, its excluded inputs, and the with/without comparison.

    `served_holdout_proba` and `served_threshold` are calibrated (as served).
    """
    candidates = excluded_present(full)
    groups = _group_frame(full, hold_idx)
    served = holdout_fairness(groups, served_holdout_proba, served_threshold)
    served_metrics = {"threshold": served_threshold,
                      "n_features": len(policy_inputs(full, config).feature_names), **metrics_at(
        full.y[hold_idx], served_holdout_proba, served_threshold, config.cost_fn, config.cost_fp)}
    report: dict[str, Any] = {
        "policy": "kept for comparison (--keep-protected)" if config.keep_protected else "excluded",
        "excluded_by_policy": list(catalogue.excluded_inputs()),
        "excluded_inputs": [] if config.keep_protected else candidates,
        "fairness": served, "comparison": None,
    }
    if not candidates:
        report["note"] = "the feature table has no input excluded by policy: nothing to compare"
        return report
    other_data = full.without(candidates) if config.keep_protected else full
    served_key, other_key = ("with", "without") if config.keep_protected else ("without", "with")
    with step(f"train: the same model {other_key} the protected inputs (for the report)"):
        other_proba, other_metrics = _variant(other_data.subset(fit_idx), other_data.subset(hold_idx), folds,
                                              config, params)
    other_fair = holdout_fairness(groups, other_proba, other_metrics["threshold"])
    log.info("protected inputs %s: hold-out AUC %.4f (served, %s) vs %.4f (%s)", candidates,
             served_metrics["roc_auc"], served_key, other_metrics["roc_auc"], other_key)
    report["comparison"] = {
        "inputs": candidates, "served": served_key,
        served_key: {**served_metrics, "fairness": _summary(served)},
        other_key: {**other_metrics, "fairness": _summary(other_fair)},
        "other_fairness": other_fair,
    }
    return report


def render_markdown(section: dict[str, Any] | None) -> list[str]:
    """The report's "Protected inputs and fairness" section (lines of Markdown)."""
    if not section:
        return []
    lines = ["", "## Protected inputs and fairness", "",
             f"- policy: inputs {', '.join(section['excluded_by_policy']) or 'none'} are excluded by policy "
             "(EU directive 2004/113/EC: no credit terms by gender); this model: "
             f"{section['policy']}; inputs left out: {', '.join(section['excluded_inputs']) or 'none'}"]
    if section.get("note"):
        lines.append(f"- {section['note']}")
    comp = section.get("comparison")
    if comp:
        keys = ("with", "without")
        lines += ["", f"| model ({', '.join(comp['inputs'])}) | hold-out AUC | normalised cost | threshold | "
                  + " | ".join(f"{g} ratio / EOD" for g in comp[comp['served']]["fairness"]) + " |",
                  "|---|---:|---:|---:|" + "---:|" * len(comp[comp["served"]]["fairness"])]
        for key in keys:
            m = comp[key]
            fair = " | ".join(f"{_f(v['selection_rate_ratio'])} / {_f(v['equalised_odds_difference'])}"
                              for v in m["fairness"].values())
            served = " (served)" if key == comp["served"] else ""
            lines.append(f"| {key}{served} | {_f(m['roc_auc'])} | {_f(m['normalised_cost'])} | "
                         f"{_f(m['threshold'])} | {fair} |")
        lines.append("")
        lines.append("Ratio: lowest approval rate / highest over groups of at least "
                     f"{fairness.MIN_GROUP} clients (four-fifths rule: >= {fairness.FOUR_FIFTHS}); EOD: "
                     "equalised-odds difference (largest gap in false-refusal or missed-defaulter rate).")
    lines += ["", "### Served model, hold-out, by group", "",
              "| grouping | group | clients | approved | default rate | false refusals | missed defaulters |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for key, g in section["fairness"].items():
        for row in g.get("groups", []):
            small = " (too few to conclude)" if row["small"] or row.get("small_outcomes") else ""
            lines.append(f"| {key} | {row['group']}{small} | {row['n']} | {_f(row['approval_rate'])} | "
                         f"{_f(row.get('default_rate'))} | {_f(row.get('false_refusal_rate'))} | "
                         f"{_f(row.get('missed_defaulter_rate'))} |")
    return lines


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
