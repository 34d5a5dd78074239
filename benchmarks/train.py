"""`python main.py bench train`: wall time, peak memory and quality of training, before and after.

Uses the feature table at DATA_DIR when it exists (with `--real-size`, only if
it has the real number of train clients); otherwise generates the clients
and builds their features in a temporary folder. Models are trained but never
registered: a benchmark must not change the served model.

Each training runs in its own interpreter, so its figures are its own:
- wall time of `train_model` end to end (features read, leakage check, every
  model's CV and refit, the protected-input comparison, the novelty reference),
  and of each step it logs;
- peak memory: the training process's high-water mark (VmHWM) and the peak of
  the sum of its whole process tree's RSS, sampled every 0.25 s (the linear
  baseline fits in two worker processes; shared pages count twice, so the
  sum is an upper bound);
- the chosen CatBoost's hold-out AUC and business cost, the search's size and
  why it stopped.

`--baseline REV` also trains with the code of an earlier commit (a detached
`git worktree`, the same interpreter and the same feature table), default
search only unless `--baseline-full`, so one run gives before and after side
by side, with the load average around each measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import REAL_SIZE, sizes
from scoring.paths import Paths
from scoring.progress import log

ROOT = Path(__file__).resolve().parents[1]

#: Runs in a fresh interpreter (this tree's code, or a baseline worktree's): trains, prints JSON.
_TRAIN = """
import json, logging, re, sys, time
from pathlib import Path
from scoring.paths import Paths
from scoring.model.training.trainer import TrainConfig, train_model
steps = {}
class Steps(logging.Handler):  # the seconds of each logged step ("train: X done in N s")
    def emit(self, record):
        found = re.match(r"train: (.*) done in ([0-9.]+) s$", record.getMessage())
        if found:
            steps[found.group(1)] = round(steps.get(found.group(1), 0.0) + float(found.group(2)), 1)
logger = logging.getLogger("scoring")
logger.setLevel(logging.INFO)
logger.addHandler(Steps())
logger.propagate = False
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
paths = Paths(data_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))
start = time.perf_counter()
model, report = train_model(paths, TrainConfig(full_search=sys.argv[3] == "full"))
seconds = time.perf_counter() - start
models = report["models"]
search = report["search"]
print(json.dumps({
    "seconds": round(seconds, 1),
    "steps": steps,
    "peak_rss_mb": round(peak_kib() / 1024),
    "holdout_auc": {n: round(m["holdout"]["roc_auc"], 4) for n, m in models.items()},
    "holdout_normalised_cost": {n: round(m["holdout"]["normalised_cost"], 4) for n, m in models.items()},
    "cv_auc": {n: round(m["cv"]["roc_auc"]["mean"], 4) for n, m in models.items()},
    "params": report["params"],
    "threshold": round(model.threshold, 4),
    "search": {"seconds": round(search["seconds"], 1), "budget_s": search["budget_s"],
               "rows": search.get("rows", report["n_rows"]["fit"]),
               "folds": search.get("folds", report["train_config"]["folds"]),
               "candidates_run": len(search["trials"]),
               "candidates_planned": search.get("candidates_planned"),
               "stop_reason": search.get("stop_reason")},
    "protected_comparison_auc": {k: round(v["roc_auc"], 4) for k, v in
                                 (report.get("protected_inputs", {}).get("comparison") or {}).items()
                                 if isinstance(v, dict) and "roc_auc" in v},
}))
"""


def _load() -> float:
    return round(os.getloadavg()[0], 2)


class _TreePeak:
    """Peak of the summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self._root, *self._root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak = max(self.peak, total)
            self._stop.wait(0.25)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _measure(paths: Paths, search: str, code_root: Path, label: str) -> dict[str, Any]:
    """Train once in a child interpreter running the code under `code_root`."""
    env = dict(os.environ, PYTHONPATH=str(code_root))
    load_before = _load()
    log.info("bench train: %s, %s search (load %.2f)", label, search, load_before)
    with tempfile.TemporaryFile(mode="w+") as err:
        child = subprocess.Popen([sys.executable, "-c", _TRAIN, str(paths.data_dir), str(paths.cache_dir),
                                  search], cwd=code_root, env=env, stdout=subprocess.PIPE, stderr=err,
                                 text=True)
        sampler = _TreePeak(child.pid)
        out, _ = child.communicate()
        tree_peak = sampler.stop()
        if child.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"bench train ({label}, {search}) failed:\n{err.read()[-3000:]}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["peak_rss_tree_mb"] = round(tree_peak / 2**20)
    figures["load_before"], figures["load_after"] = load_before, _load()
    log.info("bench train: %s, %s search: %.0f s, AUC %.4f", label, search, figures["seconds"],
             figures["holdout_auc"]["catboost"])
    return figures


def _baseline_tree(rev: str, where: Path) -> Path:
    """A detached worktree of `rev` (the caller removes it)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
                   check=True, capture_output=True, text=True)
    return where


def _train_clients(paths: Paths) -> int | None:
    """Train clients in the feature table at `paths`; None without one."""
    if not paths.features.is_file():
        return None
    return int((pl.read_parquet(paths.features, columns=["SAMPLE"])["SAMPLE"] == "train").sum())


def _build_features(paths: Paths, clients: int, new_clients: int, seed: int = 42) -> float:
    """Generate raw data and build the feature table into `paths`; return the seconds it took."""
    from scoring.data.generator.dataset import generate
    from scoring.data.loader import load_tables
    from scoring.features.table import write_features

    start = time.perf_counter()
    generate(paths.raw, clients, new_clients, seed)
    write_features(load_tables(paths.raw, paths.interim), paths)
    return time.perf_counter() - start


def _ratios(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {"speed_up": round(before["seconds"] / after["seconds"], 2),
            "holdout_auc_change": round(after["holdout_auc"]["catboost"] - before["holdout_auc"]["catboost"], 4),
            "holdout_cost_change": round(after["holdout_normalised_cost"]["catboost"]
                                         - before["holdout_normalised_cost"]["catboost"], 4)}


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine_cpus": os.cpu_count()}
    searches = ["default"] if getattr(args, "default_only", False) else ["default", "full"]
    baseline = getattr(args, "baseline", None)
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        train_clients = _train_clients(paths)
        if train_clients is None or (getattr(args, "real_size", False) and train_clients != REAL_SIZE[0]):
            clients, new = sizes(args)
            paths = Paths(data_dir=Path(tmp) / "data", cache_dir=Path(tmp) / "cache")
            log.info("bench train: generating %d + %d clients", clients, new)
            figures["build_features_seconds"] = round(_build_features(paths, clients, new), 1)
            train_clients = _train_clients(paths)
        figures["features"] = str(paths.features)
        figures["train_clients"] = train_clients
        try:
            if baseline:
                tree = _baseline_tree(baseline, Path(tmp) / "baseline")
                figures["baseline_rev"] = subprocess.run(
                    ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], check=True, capture_output=True,
                    text=True).stdout.strip()
                for search in (searches if getattr(args, "baseline_full", False) else ["default"]):
                    figures[f"before_{search}"] = _measure(paths, search, tree, f"baseline {baseline}")
            for search in searches:
                figures[f"after_{search}"] = _measure(paths, search, ROOT, "this tree")
                if f"before_{search}" in figures:
                    figures[f"{search}_after_vs_before"] = _ratios(figures[f"before_{search}"],
                                                                   figures[f"after_{search}"])
        finally:
            if baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(Path(tmp) / "baseline")],
                               check=False, capture_output=True)
    return figures
