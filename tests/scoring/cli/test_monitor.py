"""`main.py monitor`: zero on a clean set of new clients, one on a shifted one, its --json and --html."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from scoring.atomic import atomic_path
from scoring.cli.commands import main
from scoring.explain.shap_cache import refresh_cache
from scoring.monitoring.drift import PSI_SHIFT
from scoring.monitoring.snapshot import stored_snapshot
from scoring.paths import Paths


@pytest.fixture()
def run_copy(small_run: Paths, tmp_path: Path) -> Paths:
    shutil.copytree(small_run.data_dir, tmp_path / "data")
    shutil.copytree(small_run.cache_dir, tmp_path / "cache")
    return Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


def _new_clients(paths: Paths, make: object) -> None:
    """Replace the new clients' rows by `make(train, new)` and rebuild the cache on them (the
    nightly snapshot is left to `monitor`: test_snapshot checks the refresh's own)."""
    features = pl.read_parquet(paths.features)
    train, new = features.filter(pl.col("SAMPLE") == "train"), features.filter(pl.col("SAMPLE") == "new")
    replaced = make(train, new).select(features.columns).cast(features.schema)
    with atomic_path(paths.features) as tmp:
        pl.concat([train, replaced]).write_parquet(tmp)
    refresh_cache(paths)


def _clean(train: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """New clients drawn from the training clients themselves: nothing can have drifted."""
    donors = train.sample(n=new.height, seed=3)
    return donors.with_columns(new["SK_ID_CURR"].alias("SK_ID_CURR"), pl.lit(None, dtype=pl.Int8).alias("TARGET"),
                               pl.lit("new").alias("SAMPLE"))


def _shifted(train: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    return _clean(train, new).with_columns(pl.col("AMT_INCOME_TOTAL") * 3)


def _monitor(paths: Paths, *extra: str) -> int:
    return main(["monitor", "--data-dir", str(paths.data_dir), "--cache-dir", str(paths.cache_dir), *extra])


def test_monitor_exits_zero_on_a_clean_set_and_one_on_a_shifted_set(run_copy: Paths, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scoring.explain.cache_build.nightly_snapshot", lambda *args: None)
    _new_clients(run_copy, _clean)
    clean_json = tmp_path / "clean.json"
    assert _monitor(run_copy, "--json", str(clean_json)) == 0
    clean = json.loads(clean_json.read_text(encoding="utf-8"))
    assert clean["alarms"]["drift"] == [] and "No drift alarm." in capsys.readouterr().out

    _new_clients(run_copy, _shifted)
    shifted_json, html = tmp_path / "shifted.json", tmp_path / "report.html"
    assert _monitor(run_copy, "--json", str(shifted_json), "--html", str(html), "--lang", "en", "--store") == 1
    out = capsys.readouterr().out
    snap = json.loads(shifted_json.read_text(encoding="utf-8"))
    psi = snap["drift"]["features"]["AMT_INCOME_TOTAL"]["psi"]
    assert psi > PSI_SHIFT and {"feature": "AMT_INCOME_TOTAL", "psi": psi} in snap["alarms"]["drift"]
    assert snap["drift"]["ranked"][0] in ("AMT_INCOME_TOTAL", "INCOME_PER_PERSON")
    assert "DRIFT ALARM" in out and "AMT_INCOME_TOTAL" in out
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and '<html lang="en">' in html.read_text()
    # --store: now the served build's snapshot (what GET /monitoring and the dashboard show)
    assert stored_snapshot(run_copy, snap["build_id"]) == snap


@pytest.mark.parametrize(("drift", "fairness", "flag", "status"), [
    ([], [], False, 0), ([], [{"figure": "selection_rate_ratio"}], False, 0),
    ([], [{"figure": "selection_rate_ratio"}], True, 1), ([{"feature": "X", "psi": 0.4}], [], False, 1),
])
def test_exit_status_follows_the_alarms(drift: list, fairness: list, flag: bool, status: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fairness findings fail the run only with --fail-on-fairness; a drift alarm always does."""
    import argparse

    from scoring.cli import monitor

    monkeypatch.setattr(monitor, "current_snapshot", lambda paths: {"alarms": {"drift": drift, "fairness": fairness}})
    monkeypatch.setattr(monitor, "summary_text", lambda snapshot, top: "summary")
    args = argparse.Namespace(json=None, store=False, html=None, lang="fr", top=10, fail_on_fairness=flag)
    assert monitor.cli_monitor(args, Paths()) == status
