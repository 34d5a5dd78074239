"""The monitoring snapshot: what the nightly job stores, its populations, storage and failures."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scoring.errors import UserError
from scoring.explain.cache_layout import ACTIVE_FILE, read_pointer
from scoring.model.registry import current_card
from scoring.monitoring import snapshot as snap_mod
from scoring.paths import Paths
from tests.monitoring_support import SINCE_DAYS, constructed_frame, constructed_snapshot


@pytest.fixture(scope="module")
def stored(small_run: Paths) -> dict:
    """The snapshot the small run's refresh-cache stored for its active build."""
    build_id = read_pointer(small_run.shap_cache / ACTIVE_FILE)
    found = snap_mod.stored_snapshot(small_run, build_id)
    assert found is not None, f"refresh-cache stored no monitoring snapshot for {build_id}"
    return found


def test_the_nightly_refresh_stores_the_snapshot_of_its_build(small_run: Paths, stored: dict) -> None:
    card = current_card(small_run)
    features = pl.read_parquet(small_run.features)
    assert stored["build_id"] == read_pointer(small_run.shap_cache / ACTIVE_FILE)
    assert stored["model_version"] == card["version"]
    assert set(card["feature_names"]) <= set(stored["drift"]["features"])
    income = stored["drift"]["features"]["AMT_INCOME_TOTAL"]
    assert income["psi"] >= 0 and income["kind"] == "numeric" and income["model_input"]
    assert stored["populations"]["reference"]["n"] == int((features["SAMPLE"] == "train").sum())
    assert stored["populations"]["incoming"]["new_clients"] == int((features["SAMPLE"] == "new").sum())
    assert stored["policy"]["excluded_inputs"] == ["CODE_GENDER"] and stored["policy"]["excluded_inputs_used"] == []
    json.dumps(stored, allow_nan=False)  # strict JSON


def test_the_holdout_is_the_one_training_held_out(small_run: Paths, stored: dict) -> None:
    """Re-derived from the card's seed and fraction, it gives the training report's own figures."""
    card = current_card(small_run)
    assert stored["populations"]["holdout"]["n"] == card["n_rows"]["holdout"]
    trained = card["protected_inputs"]["fairness"]
    for key, grouping in stored["fairness"]["holdout"]["groupings"].items():
        mine = {g["group"]: g for g in grouping["groups"]}
        theirs = {g["group"]: g for g in trained[key]["groups"]}
        assert mine.keys() == theirs.keys()
        for group, row in theirs.items():
            assert mine[group]["n"] == row["n"] and mine[group]["n_defaulters"] == row["n_defaulters"]
            assert mine[group]["approval_rate"] == pytest.approx(row["approval_rate"], abs=1e-9)
            assert mine[group]["mean_probability"] == pytest.approx(row["mean_probability"], rel=1e-6)


def test_clients_scored_since_the_last_refresh_come_in(tmp_path: Path) -> None:
    frame = constructed_frame()
    snap = constructed_snapshot(tmp_path, frame)
    events = snap_mod.activity.read_log(tmp_path / "predictions.sqlite", snap["populations"]["incoming"]["logged_since"])
    logged = set(events["client_id"].to_list())
    n_new = int((frame["SAMPLE"] == "new").sum())
    assert 0 < len(logged) <= 40 and snap["populations"]["incoming"]["logged_clients"] == len(logged)
    assert snap["populations"]["incoming"]["n"] == n_new + len(logged)  # logged ones are train clients
    assert snap["activity"]["days"] and sum(d["scores"] for d in snap["activity"]["days"]) == 300
    assert snap["fairness"]["holdout"]["n"] == round(0.2 * (frame["SAMPLE"] == "train").sum())
    assert SINCE_DAYS < 30  # the constructed log spans 30 days: some events are older than the refresh


def test_storage_keeps_the_newest_and_finds_the_previous_refresh(tmp_path: Path, monkeypatch) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    monkeypatch.setattr(snap_mod, "KEEP", 2)
    base = {"schema": snap_mod.SCHEMA_VERSION}
    for i in range(3):
        target = snap_mod.store_snapshot(paths, base | {"build_id": f"b{i}", "cache_built_at": f"t{i}"})
        os.utime(target, ns=(i * 10**9, i * 10**9))  # modification order = build order
    assert sorted(p.stem for p in paths.monitoring.glob("*.json")) == ["b1", "b2"]
    assert snap_mod.previous_refresh(paths, "b3") == "t2" and snap_mod.previous_refresh(paths, "b2") == "t1"
    assert snap_mod.stored_snapshot(paths, "b0") is None
    assert snap_mod.served_snapshot(paths, "b2")["cache_built_at"] == "t2"
    with pytest.raises(UserError, match="build"):
        snap_mod.store_snapshot(paths, base)
    (paths.monitoring / "b9.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="b9.json"):
        snap_mod.read_snapshot(paths.monitoring / "b9.json")


def test_a_failing_nightly_snapshot_is_logged_and_never_raises(tmp_path: Path, caplog) -> None:
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    frame = pl.DataFrame({"SK_ID_CURR": [1, 2], "SAMPLE": ["train", "new"], "TARGET": [0, None]})

    class Model:
        threshold, version, feature_names, card = 0.1, "v", ["X"], {}

    with caplog.at_level(logging.ERROR, logger="scoring"):
        assert snap_mod.nightly_snapshot(paths, Model(), frame, np.array([0.1]), {"build_id": "b"}) is None
    assert "monitoring snapshot failed" in caplog.text
    assert not paths.monitoring.exists()
