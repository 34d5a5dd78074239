"""The pipeline builds every artefact from an empty folder, then skips what is up to date."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from scoring.cli.pipeline import (
    features_reason,
    refresh_reason,
    run_steps,
    train_reason,
)
from scoring.explain.shap_cache import ACTIVE_FILE, ShapStore
from scoring.model.registry import current_card, current_version, load_current
from scoring.model.scoring_model import CARD_FILE
from scoring.model.training.config import TrainConfig
from scoring.paths import Paths

#: The small_run fixture's settings (tests/conftest.py).
SMALL = dict(clients=4000, new_clients=600, seed=11, fast=True)


def _snapshot(paths: Paths) -> dict[str, int]:
    """mtime of every artefact file (SQLite's transient -wal/-shm, the lock and the memo of raw
    file digests, which a copied folder's new inodes invalidate, excluded)."""
    files = [*paths.data_dir.rglob("*"), *paths.cache_dir.rglob("*")]
    return {str(f): f.stat().st_mtime_ns for f in files
            if f.is_file() and not f.name.endswith(("-wal", "-shm", ".lock", ".raw_digests.json"))}


@pytest.fixture()
def run_copy(small_run: Paths, tmp_path: Path) -> Paths:
    """A private copy of the session's small run (copy2 keeps modification times)."""
    shutil.copytree(small_run.data_dir, tmp_path / "data")
    shutil.copytree(small_run.cache_dir, tmp_path / "cache")
    return Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


def test_pipeline_from_empty_dir_builds_every_artefact(small_run: Paths) -> None:
    assert len(list(small_run.raw.glob("*.csv"))) == 8
    assert small_run.features.is_file() and small_run.history_features.is_file()
    version = current_version(small_run)
    assert version is not None and (small_run.models / version / CARD_FILE).is_file()
    # fast=True reached the training settings; other settings never discard a model trained
    # on the current feature table (a hand-trained model with other costs is kept)
    assert current_card(small_run)["train_config"]["fast"] is True
    assert not train_reason(small_run, TrainConfig(seed=11, fast=True))[0]
    assert not train_reason(small_run, TrainConfig(seed=11, fast=False, cost_fn=5.0))[0]

    active = (small_run.shap_cache / ACTIVE_FILE).read_text().strip()
    assert active.startswith(version)
    store = ShapStore.open(small_run)
    try:
        assert store.model_version == version and len(store.client_ids()) == 4600
        ids = store.client_ids()[[0, 1234, 4599]]
        rows = [store.features_row(int(cid)) for cid in ids]
        expected = [float(store.model.predict_proba(r)[0]) for r in rows]
        got = [store.lookup(int(cid)).probability for cid in ids]
        np.testing.assert_allclose(got, expected, atol=1e-9)
        history = store.history_features
        assert history is not None and history.height > 0
        with_history = int(history["SK_ID_CURR"][0])
        assert store.history_row(with_history)["SK_ID_CURR"].item() == with_history
    finally:
        store.close()


def test_second_run_skips_every_step_and_touches_nothing(run_copy: Paths) -> None:
    before = _snapshot(run_copy)
    outcomes = run_steps(run_copy, **SMALL)
    assert [o.name for o in outcomes] == ["generate", "features", "train", "refresh-cache"]
    assert [o.ran for o in outcomes] == [False] * 4, outcomes
    assert _snapshot(run_copy) == before


def test_a_touched_raw_file_with_the_same_content_rebuilds_nothing(run_copy: Paths) -> None:
    assert not features_reason(run_copy)[0]
    raw = run_copy.raw / "bureau.csv"
    newer = run_copy.features.stat().st_mtime_ns + 5_000_000_000
    os.utime(raw, ns=(newer, newer))
    stale, reason = features_reason(run_copy)
    assert not stale and "same content" in reason
    run_copy.history_features.unlink()
    assert "history_features.parquet missing" in features_reason(run_copy)[1]


def test_a_replaced_raw_file_with_an_old_mtime_rebuilds(run_copy: Paths) -> None:
    """`cp -p`, `rsync -t` and `unzip` keep an old modification time: content decides."""
    raw = run_copy.raw / "bureau.csv"
    old = raw.stat()
    lines = raw.read_bytes().splitlines(keepends=True)
    lines[1:] = lines[1:][::-1]  # same size, same rows, other order: other bytes
    replacement = run_copy.raw / ".bureau.csv.new"
    replacement.write_bytes(b"".join(lines))
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, raw)
    assert raw.stat().st_mtime_ns == old.st_mtime_ns and raw.stat().st_size == old.st_size
    stale, reason = features_reason(run_copy)
    assert stale and "bureau.csv changed (content)" in reason
    outcomes = run_steps(run_copy, **SMALL)
    assert [o.ran for o in outcomes][:2] == [False, True], outcomes
    assert not features_reason(run_copy)[0]


def test_new_model_version_reruns_only_refresh_cache(run_copy: Paths) -> None:
    """A model switched by hand (same training fingerprint) needs a new cache, nothing else."""
    model = load_current(run_copy)
    old_build = (run_copy.shap_cache / ACTIVE_FILE).read_text().strip()
    model.version = "manual-v2"
    model.save(run_copy.models / "manual-v2")
    (run_copy.models / "CURRENT").write_text("manual-v2\n")
    stale, reason = refresh_reason(run_copy)
    assert stale and "manual-v2" in reason

    outcomes = run_steps(run_copy, **SMALL)
    assert [o.ran for o in outcomes] == [False, False, False, True], outcomes
    assert not refresh_reason(run_copy)[0]
    new_build = (run_copy.shap_cache / ACTIVE_FILE).read_text().strip()
    assert new_build != old_build and new_build.startswith("manual-v2-")
    store = ShapStore.open(run_copy)
    assert store.model_version == "manual-v2"
    store.close()


def test_a_changed_feature_table_makes_the_model_stale(run_copy: Paths) -> None:
    import polars as pl

    assert not train_reason(run_copy, TrainConfig(seed=11, fast=True))[0]
    table = pl.read_parquet(run_copy.features)
    table.head(table.height - 1).write_parquet(run_copy.features)
    stale, reason = train_reason(run_copy, TrainConfig(seed=11, fast=True))
    assert stale and "another feature table" in reason
