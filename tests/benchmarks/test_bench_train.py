"""`bench train`: before/after in one run, each training in its own interpreter."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from benchmarks import train as bench_train
from scoring.model.training.toydata import write_toy_run
from scoring.paths import Paths

ROOT = Path(__file__).resolve().parents[2]


def _git(*argv: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *argv], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout (the baseline is a worktree)")
def test_bench_train_reports_before_and_after(tmp_path: Path) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    write_toy_run(paths, n_train=1500, n_new=0, seed=2, n_noise=1)
    worktrees = _git("worktree", "list")
    args = argparse.Namespace(real_size=False, default_only=True, baseline="HEAD", baseline_full=False,
                              clients=1500, new_clients=0)
    figures = bench_train.run(args, paths)
    assert figures["train_clients"] == 1500 and figures["features"] == str(paths.features)
    assert figures["baseline_rev"] == _git("rev-parse", "--short", "HEAD").strip()
    for key in ("before_default", "after_default"):
        run = figures[key]
        assert run["seconds"] > 0 and 0 < run["peak_rss_mb"] <= run["peak_rss_tree_mb"]
        assert run["holdout_auc"]["catboost"] > run["holdout_auc"]["dummy"]
        assert run["search"]["candidates_run"] >= 1
        assert {"logistic regression", "catboost search", "catboost final fit"} <= run["steps"].keys()
        assert max(run["steps"].values()) <= run["seconds"]
    assert "after_full" not in figures and "before_full" not in figures
    ratios = figures["default_after_vs_before"]
    assert ratios["speed_up"] == pytest.approx(figures["before_default"]["seconds"]
                                               / figures["after_default"]["seconds"], rel=0.01)
    assert _git("worktree", "list") == worktrees  # the baseline's worktree is gone
    assert not paths.models.exists() or not any(paths.models.iterdir())  # nothing registered
