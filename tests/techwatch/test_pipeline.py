"""The pipeline end to end: synthetic corpus (known categories, no network) and real sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from techwatch import REPO_ROOT
from techwatch.protocol import Results


def _check_consistent(results: Results) -> None:
    n, k = results.n_documents, len(results.categories)
    for m in results.methods:
        assert len(m.accuracy) == len(m.macro_f1) == results.config["folds"]
        assert len(m.ari) == results.config["kmeans_seeds"]
        assert np.asarray(m.confusion).shape == (k, k)
        assert int(np.sum(m.confusion)) == n  # every document predicted once, out of fold
        # the confusion matrix and the per-fold accuracies describe the same predictions
        assert np.trace(m.confusion) / n == pytest.approx(np.mean(m.accuracy), abs=0.02)
        assert len(m.clusters) == n and len(set(m.clusters)) <= k
        assert m.map_xy is not None and np.asarray(m.map_xy).shape == (n, 2)
        assert m.seconds["total"] > 0 and m.peak_mib["total"] >= 0


def test_both_methods_beat_chance_widely_on_a_synthetic_corpus(synthetic_run) -> None:
    results, _, _ = synthetic_run
    _check_consistent(results)
    chance = 1 / len(results.categories)  # 0.2 with 5 balanced categories
    assert [m.key for m in results.methods] == ["tfidf", "wordllama"]
    for m in results.methods:
        s = m.summary()
        assert s["accuracy_mean"] > 3 * chance, m.label
        assert s["macro_f1_mean"] > 3 * chance, m.label
        assert s["ari_mean"] > 0.15, m.label  # chance partitions score about 0


def test_the_run_makes_no_network_call(synthetic_run) -> None:
    _, paths, attempts = synthetic_run
    assert attempts == []
    assert paths["html"].is_file()


def test_report_files_agree_with_the_results(synthetic_run) -> None:
    results, paths, _ = synthetic_run
    saved = json.loads(paths["json"].read_text(encoding="utf-8"))
    for method, saved_method in zip(results.methods, saved["methods"], strict=True):
        assert saved_method["summary"] == pytest.approx(method.summary())
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert all(m.label in markdown for m in results.methods)
    page = paths["html"].read_text(encoding="utf-8")
    assert "cdn.bokeh.org" not in page  # inline resources: opens offline


def test_pipeline_runs_on_a_stratified_sample_of_the_catalogue(catalogue_sample_run) -> None:
    results, paths = catalogue_sample_run
    _check_consistent(results)
    assert results.n_documents == 140 and len(results.categories) == 7
    for m in results.methods:
        assert m.summary()["accuracy_mean"] > 3 / 7, m.label
    assert paths["html"].stat().st_size > 10_000


def test_cli_reports_a_missing_catalogue(tmp_path: Path) -> None:
    from techwatch.cli import main

    assert main(["--data", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_the_socket_guard_catches_a_real_download_attempt(tmp_path: Path) -> None:
    """Proof that the guard works: WordLlama's own default loading path would go online."""
    from wordllama import WordLlama

    from tests.techwatch.conftest import NetworkCall, no_network

    with no_network() as attempts, pytest.raises(NetworkCall):
        WordLlama.load(cache_dir=tmp_path)  # an empty cache: upstream tries the hub
    assert attempts


def test_main_py_runs_the_sub_command(tmp_path: Path) -> None:
    """`python main.py techwatch` reaches the handler and writes the report (synthetic corpus)."""
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "main.py", "techwatch", "--synthetic", "--no-map",
                           "--seeds", "2", "--out", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").is_file() and (out / "results.json").is_file()
