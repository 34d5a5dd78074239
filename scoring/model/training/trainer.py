"""`python main.py train`: compare models by CV, pick the business threshold, register CatBoost.

Procedure (why each step):
1. Hold out a stratified 20 % of the train clients: the only numbers never
   used for any choice.
2. Leakage guard on the remaining (fit) rows: a feature that alone predicts
   the target (AUC > 0.9) stops everything.
3. On the fit rows, stratified k-fold CV, the same folds for every model:
   dummy (prior), logistic regression (class weights none/balanced chosen by
   CV), CatBoost. CatBoost's randomized search (depth, learning rate, L2,
   border count, class weights; early stopping on each fold) compares its
   candidates on a stratified subsample with 3 folds, within a real time
   budget; only the winner is cross-validated on the shared folds
   (`catboost_search`: what this saves at the real size and why the ranking holds).
4. Each model's threshold minimises the business cost on its out-of-fold
   probabilities (never 0.5). Class weights shift probabilities away from
   calibration; choosing the threshold on the OOF scores absorbs that.
5. Each model is refit on all fit rows and scored on the hold-out; the
   registered CatBoost *is* that refit (so the hold-out figures describe the
   served model exactly). A hold-out AUC above 0.82 stops everything.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import catboost
import numpy as np
import pandas as pd
import polars as pl
import sklearn
from sklearn.metrics import roc_auc_score

from scoring.model.calibration import calibrate, fit_platt
from scoring.model.decision import refused
from scoring.model.novelty import NoveltyReference
from scoring.model.registry import data_fingerprint, register, training_fingerprint
from scoring.model.scoring_model import ScoringModel
from scoring.model.threshold import bayes_threshold, normalised_cost
from scoring.model.training.candidates import (
    CVResult,
    cross_validate,
    fit_sklearn,
    make_dummy,
    metrics_at,
    sklearn_fit_predict,
)
from scoring.model.training.catboost_search import (
    FIXED_PARAMS,
    QuantisedRows,
    SearchOutcome,
    refit_iterations,
    search_catboost,
    winner_on_all_rows,
)
from scoring.model.training.config import TrainConfig
from scoring.model.training.data import (
    TrainingData,
    check_class_counts,
    cv_folds,
    holdout_split,
    load_training_data,
)
from scoring.model.training.leakage import (
    LeakageError,
    check_feature_leakage,
    check_holdout_auc,
    single_feature_auc,
)
from scoring.model.training.linear import (
    best_linear,
    cross_validate_linear,
    fit_linear,
    linear_view,
)
from scoring.model.training.protected import policy_inputs, protected_report
from scoring.paths import Paths
from scoring.progress import log, step

__all__ = ["LeakageError", "TrainConfig", "cli_train", "train_and_register", "train_model"]

CALIBRATION_NOTE = (
    "Platt scaling fitted on CatBoost's out-of-fold scores (slope and intercept in log-odds, "
    "see calibration_map): probabilities are calibrated default rates even with class weights; "
    "the threshold is mapped the same way, so decisions, ranking and SHAP additivity are unchanged"
)
FINAL_FIT_NOTE = (
    "refit on all non-hold-out train rows with the chosen parameters and the folds' mean "
    "early-stopped tree count, so the hold-out metrics describe this exact model"
)


def _holdout_metrics(y: np.ndarray, proba: np.ndarray, threshold: float, fit_time: float,
                     config: TrainConfig) -> dict[str, float]:
    m = metrics_at(y, proba, threshold, config.cost_fn, config.cost_fp)
    m["fit_time_s"] = fit_time
    return m


def _summary(res: CVResult, y_fit: np.ndarray, folds: list, holdout: dict[str, float],
             config: TrainConfig) -> dict[str, Any]:
    return {"params": res.params, "threshold": res.threshold,
            "oof": {"roc_auc": res.oof_auc, "normalised_cost": res.oof_cost},
            "cv": res.fold_metrics(y_fit, folds, config.cost_fn, config.cost_fp),
            "holdout": holdout}


def _truth_report(paths: Paths, ids: np.ndarray, y: np.ndarray, model_auc: float,
                  config: TrainConfig) -> dict[str, float] | None:
    """AUC of the generator's true probabilities on the hold-out: the ceiling for any model."""
    if not paths.truth.is_file():
        return None
    try:
        truth = pl.read_parquet(paths.truth, columns=["SK_ID_CURR", "TRUE_PD"])
    except Exception as exc:  # evaluation extra: never blocks training
        log.warning("truth file %s unreadable (%s): skipped", paths.truth, exc)
        return None
    joined = pl.DataFrame({"SK_ID_CURR": ids, "y": y}).join(
        truth.with_columns(pl.col("SK_ID_CURR").cast(pl.Int64)), on="SK_ID_CURR", how="inner")
    if joined.height < y.size or joined["TRUE_PD"].null_count():
        log.warning("truth file %s does not cover every hold-out client: skipped", paths.truth)
        return None
    true_pd, yy = joined["TRUE_PD"].to_numpy(), joined["y"].to_numpy()
    true_auc = float(roc_auc_score(yy, true_pd))
    t = bayes_threshold(config.cost_fn, config.cost_fp)
    return {"true_auc": true_auc, "model_auc": model_auc,
            "share_of_true_auc": model_auc / true_auc,
            "share_of_achievable_lift":
                (model_auc - 0.5) / (true_auc - 0.5) if true_auc > 0.5 else float("nan"),
            "bayes_threshold": t,
            "true_cost_at_bayes_threshold": normalised_cost(yy, refused(true_pd, t), config.cost_fn, config.cost_fp)}


@dataclass
class _Comparison:
    """What the model comparison produced: per-model summaries and the final CatBoost."""

    models: dict[str, Any]
    booster: Any
    catboost: CVResult
    params: dict[str, Any]
    search: SearchOutcome


def _compare(fit: TrainingData, hold: TrainingData, folds: list, config: TrainConfig) -> _Comparison:
    """CV each family on the same folds, refit each on all fit rows, score the hold-out."""
    fitted: dict[str, tuple[CVResult, Any, float, Any]] = {}  # result, model, refit seconds, hold-out X

    def refit(fit_model: Callable[[], Any]) -> tuple[Any, float]:
        """The refit on all fit rows, and its seconds (reported as the hold-out's fit time)."""
        t0 = time.perf_counter()
        model = fit_model()
        return model, time.perf_counter() - t0

    with step("train: dummy classifier"):
        dummy = cross_validate("dummy", {"strategy": "prior"},
                               sklearn_fit_predict(make_dummy, fit.X, fit.y), fit.y, folds,
                               config.cost_fn, config.cost_fp)
        fitted["dummy"] = (dummy, *refit(lambda: fit_sklearn(make_dummy(), fit.X, fit.y)), hold.X)
    with step("train: logistic regression"):
        num, cats = fit.numeric_features, fit.cat_features
        view = linear_view(pd.concat([fit.X, hold.X], ignore_index=True), num, cats)
        fit_view, hold_view = view.iloc[:fit.y.size], view.iloc[fit.y.size:]
        lin = best_linear(cross_validate_linear(fit_view, fit.y, num, cats, folds, config.seed,
                                                config.cost_fn, config.cost_fp))
        fitted["logistic_regression"] = (lin, *refit(lambda: fit_linear(
            fit_view, fit.y, num, cats, lin.params["class_weight"], config.seed)), hold_view)
    rows = QuantisedRows(fit.X, fit.y, fit.cat_features)
    with step("train: catboost search"):
        search = search_catboost(rows, config, len(folds))
    with step("train: catboost winner, cross-validated on all fit rows"):
        cat = winner_on_all_rows(rows, search, folds, config)
    with step("train: catboost final fit"):
        iterations = refit_iterations(cat)
        booster, fit_time = refit(lambda: rows.fit(cat.params, iterations, config.seed))
        fitted["catboost"] = (cat, booster, fit_time, hold.X)

    models: dict[str, Any] = {}
    for name, (res, model, fit_time, hold_X) in fitted.items():
        proba = model.predict_proba(hold_X)[:, 1]
        holdout = _holdout_metrics(hold.y, proba, res.threshold, fit_time, config)
        models[name] = _summary(res, fit.y, folds, holdout, config)
        log.info("hold-out %s: AUC %.4f, normalised cost %.4f at threshold %.4f", name,
                 holdout["roc_auc"], holdout["normalised_cost"], res.threshold)
    return _Comparison(models, booster, cat, dict(FIXED_PARAMS | cat.params, iterations=iterations), search)


def train_model(paths: Paths, config: TrainConfig) -> tuple[ScoringModel, dict[str, Any]]:
    """Train and evaluate without writing anything; returns the model and the full report.

    Raises LeakageError (nothing registered) when a feature or the hold-out AUC is too good.
    """
    config.validate()
    started = time.perf_counter()
    with step("train: load features"):
        # Fingerprint first: if the file changes meanwhile, the model just looks stale.
        data_fp = data_fingerprint(paths)
        full = load_training_data(paths)
        data = policy_inputs(full, config)  # without gender unless --keep-protected
    check_class_counts(data.y, 2, str(data.source))
    fit_idx, hold_idx = holdout_split(data.y, config.holdout_fraction, config.seed)
    fit, hold = data.subset(fit_idx), data.subset(hold_idx)
    n_folds = config.effective_folds
    check_class_counts(fit.y, n_folds, f"{data.source} (train rows outside the hold-out)")
    log.info("train: %d train clients (%d fit, %d hold-out), %d features (%d categorical), "
             "default rate %.3f", data.y.size, fit.y.size, hold.y.size, len(data.feature_names),
             len(data.cat_features), data.y.mean())

    with step("train: leakage check (single-feature AUC)"):
        aucs = single_feature_auc(fit.X, fit.y, fit.cat_features, config.seed)
        check_feature_leakage(aucs, config.max_feature_auc)
        top = dict(sorted(aucs.items(), key=lambda kv: -kv[1])[:5])

    folds = cv_folds(fit.y, n_folds, config.seed)
    comp = _compare(fit, hold, folds, config)
    models, cat = comp.models, comp.catboost
    check_holdout_auc({n: m["holdout"]["roc_auc"] for n, m in models.items()}, top,
                      config.max_holdout_auc)
    if models["catboost"]["oof"]["normalised_cost"] > models["logistic_regression"]["oof"]["normalised_cost"]:
        log.warning("CatBoost's CV business cost is higher than the logistic regression's")

    slope, intercept = fit_platt(fit.y, cat.oof)
    threshold = float(calibrate(cat.threshold, slope, intercept))
    log.info("train: calibration slope %.4f, intercept %.4f; threshold %.4f -> %.4f",
             slope, intercept, cat.threshold, threshold)
    report: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "selected_model": "catboost",
        "params": comp.params,
        "threshold": threshold,
        "cost": {"cost_fn": config.cost_fn, "cost_fp": config.cost_fp,
                 "normalised_cost": "total cost / (cost_fn x defaulters): 1.0 = refuse nobody"},
        "threshold_rule": "refused iff probability >= threshold",
        "threshold_source": f"minimum business cost on out-of-fold predictions ({n_folds}-fold CV)",
        "calibration": CALIBRATION_NOTE,
        "threshold_before_calibration": cat.threshold,
        "final_fit": FINAL_FIT_NOTE,
        "train_config": config.fingerprint_params() | {"time_budget_s": config.search_budget_s},
        "data_fingerprint": data_fp,
        "training_fingerprint": training_fingerprint(paths, config),
        "source": str(data.source),
        "n_rows": {"train": int(data.y.size), "fit": int(fit.y.size), "holdout": int(hold.y.size)},
        "target_rate": float(data.y.mean()),
        "n_features": len(data.feature_names),
        "models": models,
        "search": comp.search.summary(config.search_budget_s),
        "leakage": {"max_feature_auc": config.max_feature_auc,
                    "max_holdout_auc": config.max_holdout_auc, "top_features": top},
        "truth": _truth_report(paths, hold.ids, hold.y, models["catboost"]["holdout"]["roc_auc"], config),
        "library_versions": {"catboost": catboost.__version__, "scikit-learn": sklearn.__version__,
                             "python": platform.python_version()},
    }
    with step("train: fairness and protected inputs"):
        served = calibrate(comp.booster.predict_proba(hold.X)[:, 1], slope, intercept)
        report["protected_inputs"] = protected_report(full, fit_idx, hold_idx, folds, config, cat.params,
                                                      served, threshold)
    report["train_seconds"] = time.perf_counter() - started
    card = {k: report[k] for k in (
        "created_at", "selected_model", "params", "cost", "threshold_rule", "threshold_source",
        "calibration", "threshold_before_calibration", "final_fit", "train_config", "data_fingerprint", "training_fingerprint",
        "n_rows", "target_rate", "leakage", "truth", "library_versions")}
    card["metrics"] = {name: {"cv": m["cv"], "holdout": m["holdout"], "threshold": m["threshold"],
                              "params": m["params"]} for name, m in models.items()}
    card["protected_inputs"] = report["protected_inputs"]
    with step("train: novelty reference (training ranges, neighbour distances)"):
        novelty = NoveltyReference.fit(data.X[data.numeric_features].to_numpy(dtype=np.float64),
                                       data.numeric_features, seed=config.seed)
    model = ScoringModel(comp.booster, data.feature_names, data.cat_features, threshold,
                         version="", card=card, calibration_slope=slope,
                         calibration_intercept=intercept, novelty=novelty)
    return model, report


def train_and_register(paths: Paths, config: TrainConfig) -> ScoringModel:
    """Train, evaluate, and register the CatBoost model as the current version."""
    model, report = train_model(paths, config)
    with step("train: register"):
        version = register(paths, model, report)
    log.info("registered model %s (threshold %.4f)", version, model.threshold)
    return model


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(folds=args.folds, seed=args.seed, cost_fn=args.cost_fn, cost_fp=args.cost_fp,
                       full_search=args.full_search, keep_protected=getattr(args, "keep_protected", False),
                       time_budget_s=getattr(args, "time_budget", None),
                       search_rows=getattr(args, "search_rows", None))


def cli_train(args: argparse.Namespace, paths: Paths) -> int:
    model = train_and_register(paths, config_from_args(args))
    metrics = model.card["metrics"]
    print(f"model {model.version}: threshold {model.threshold:.4f} "
          f"(refused iff probability >= threshold)")
    print(f"{'model':<22}{'CV AUC':>14}{'hold-out AUC':>14}{'hold-out cost':>15}")
    for name, m in metrics.items():
        print(f"{name:<22}{m['cv']['roc_auc']['mean']:>14.4f}{m['holdout']['roc_auc']:>14.4f}"
              f"{m['holdout']['normalised_cost']:>15.4f}")
    print(f"report: {paths.models / model.version / 'report.md'}")
    print("served once `python main.py refresh-cache` has built and verified its SHAP cache; "
          "the pair served now stays served until then")
    return 0
