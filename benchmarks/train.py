"""`python main.py bench train`: wall time of training with the default and the full search.

Uses the feature table at DATA_DIR when it exists; otherwise generates
`--clients` clients and builds their features in a temporary folder. Models
are trained but never registered: a benchmark must not change the served
model. The full search (about 10 minutes of search on 2 cores) runs too,
unless `args.default_only` is set.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import sizes
from scoring.model.training.trainer import TrainConfig, train_model
from scoring.paths import Paths
from scoring.progress import log


def _build_features(paths: Paths, clients: int, new_clients: int, seed: int = 42) -> float:
    """Generate raw data and build the feature table into `paths`; return the seconds it took."""
    from scoring.data.generator.dataset import generate
    from scoring.data.loader import load_tables
    from scoring.features.table import write_features

    start = time.perf_counter()
    generate(paths.raw, clients, new_clients, seed)
    write_features(load_tables(paths.raw, paths.interim), paths)
    return time.perf_counter() - start


def _measure(paths: Paths, config: TrainConfig) -> dict[str, Any]:
    start = time.perf_counter()
    model, report = train_model(paths, config)
    seconds = time.perf_counter() - start
    cat = report["models"]["catboost"]
    return {
        "seconds": round(seconds, 1),
        "search_seconds": round(report["search"]["seconds"], 1),
        "search_budget_s": report["search"]["budget_s"],
        "candidates": len(report["search"]["trials"]),
        "params": report["params"],
        "threshold": round(model.threshold, 4),
        "cv_auc": {name: round(m["cv"]["roc_auc"]["mean"], 4) for name, m in report["models"].items()},
        "holdout_auc": {name: round(m["holdout"]["roc_auc"], 4) for name, m in report["models"].items()},
        "holdout_normalised_cost": round(cat["holdout"]["normalised_cost"], 4),
        "true_auc": round(report["truth"]["true_auc"], 4) if report.get("truth") else None,
    }


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        if not paths.features.is_file():
            clients, new = sizes(args)
            paths = Paths(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "cache")
            log.info("bench train: no feature table, generating %d + %d clients", clients, new)
            figures["build_features_seconds"] = round(_build_features(paths, clients, new), 1)
        figures["features"] = str(paths.features)
        train = __import__("polars").read_parquet(paths.features, columns=["SAMPLE"])
        figures["train_clients"] = int((train["SAMPLE"] == "train").sum())
        figures["default_search"] = _measure(paths, TrainConfig())
        if not getattr(args, "default_only", False):
            figures["full_search"] = _measure(paths, TrainConfig(full_search=True))
    return figures
