"""The model comparison as a readable Markdown page (the JSON form is the report dict itself)."""

from __future__ import annotations

from typing import Any

from scoring.model import points
from scoring.model.training.protected import render_markdown as protected_section

_LABELS = {
    "roc_auc": "ROC AUC", "accuracy": "accuracy", "precision": "precision", "recall": "recall",
    "normalised_cost": "normalised cost", "fit_time_s": "fit time (s)",
}


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if value != value else f"{value:.{digits}f}"
    return str(value)


def _scale_line(threshold: float | None) -> str:
    """What advisors read: the score in points (scoring.model.points) and the threshold on that scale."""
    line = (f"score scale for advisors: points = {points.OFFSET:.2f} - {points.FACTOR:.3f} x log-odds of "
            f"default (higher is safer, {points.PDO:g} points double the odds, {points.ANCHOR_POINTS:g} "
            f"points at {points.ANCHOR_ODDS:g}:1); SHAP contributions scale by -{points.FACTOR:.3f}")
    if threshold is None:
        return line
    return line + f"; threshold {points.points_from_probability(threshold):.1f} points (refused at or below)"


def render_markdown(report: dict[str, Any]) -> str:
    """Tables of CV (mean ± std) and hold-out metrics for every model, then the decisions made."""
    models: dict[str, Any] = report.get("models", {})
    cost = report.get("cost", {})
    rows = report.get("n_rows", {})
    lines = [
        f"# Model report {report.get('version', '')}".rstrip(),
        "",
        f"Train clients: {rows.get('train')} ({rows.get('fit')} for cross-validation and the final "
        f"fit, {rows.get('holdout')} held out); default rate {_fmt(report.get('target_rate'))}.",
        f"Business cost: a missed defaulter costs {cost.get('cost_fn')}, a refused good client "
        f"{cost.get('cost_fp')}. Normalised cost = total cost / cost of refusing nobody "
        "(1.0 = grant every credit, lower is better).",
        "Each model's threshold minimises the cost on its own out-of-fold predictions; "
        "a credit is refused iff probability >= threshold.",
        "",
        "## Cross-validation (mean ± std over folds)",
        "",
        "| model | params | threshold | " + " | ".join(_LABELS.values()) + " |",
        "|---|---|---:|" + "---:|" * len(_LABELS),
    ]
    for name, m in models.items():
        cells = [f"{_fmt(m['cv'][k]['mean'])} ± {_fmt(m['cv'][k]['std'])}" for k in _LABELS]
        lines.append(f"| {name} | `{m.get('params')}` | {_fmt(m.get('threshold'))} | "
                     + " | ".join(cells) + " |")
    lines += [
        "",
        "## Hold-out (fit on all non-hold-out train rows, threshold from the CV)",
        "",
        "| model | " + " | ".join(_LABELS.values()) + " |",
        "|---|" + "---:|" * len(_LABELS),
    ]
    for name, m in models.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(m["holdout"].get(k)) for k in _LABELS) + " |")
    truth = report.get("truth")
    if truth:
        lines += ["", "## Against the true probabilities (synthetic data only)", "",
                  f"- AUC of the true probabilities on the hold-out: {_fmt(truth['true_auc'])}",
                  f"- selected model: {_fmt(truth['model_auc'])} = {_fmt(truth['share_of_true_auc'], 3)} "
                  f"of it; {_fmt(truth['share_of_achievable_lift'], 3)} of the achievable lift above 0.5",
                  f"- normalised cost of the true probabilities at the Bayes threshold "
                  f"{_fmt(truth['bayes_threshold'])}: {_fmt(truth['true_cost_at_bayes_threshold'])}"]
    search = report.get("search", {})
    lines += ["", "## Choices", "",
              f"- selected: {report.get('selected_model')} with `{report.get('params')}`",
              f"- CatBoost search: {len(search.get('trials', []))} of {search.get('candidates_planned', '-')} "
              f"candidates in {_fmt(search.get('seconds'), 1)} s (budget {_fmt(search.get('budget_s'), 0)} s) "
              f"on {search.get('rows', '-')} fit rows, {search.get('folds', '-')} folds; stopped because: "
              f"{search.get('stop_reason', '-')}",
              "- the winner was then cross-validated on all fit rows with the folds every model shares",
              f"- final fit: {report.get('final_fit')}",
              f"- calibration: {report.get('calibration')}",
              f"- {_scale_line(report.get('threshold'))}",
              f"- leakage check: strongest single features {report.get('leakage', {}).get('top_features')}"]
    if search.get("trials"):
        lines += ["", "### CatBoost candidates (on the search rows)", "",
                  "| params | OOF cost | OOF AUC | trees | seconds |",
                  "|---|---:|---:|---:|---:|"]
        for t in search["trials"]:
            lines.append(f"| `{t['params']}` | {_fmt(t['oof_cost'])} | {_fmt(t['oof_auc'])} | "
                         f"{t['mean_trees']} | {_fmt(t['seconds'], 1)} |")
    lines += protected_section(report.get("protected_inputs"))
    return "\n".join(lines) + "\n"
