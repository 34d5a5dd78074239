"""The SHAP cache: verified atomic builds, staleness, pruning, and the reader's answers.

The model is fitted here on a small constructed feature table and registered
with the registry's on-disk contract (models/<version>/ + models/CURRENT), so
these tests do not depend on the data generator or on training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import diskcache
import numpy as np
import polars as pl
import pytest
from catboost import CatBoostClassifier

from scoring.atomic import atomic_path as write_atomic
from scoring.atomic import write_text_atomic
from scoring.cli.commands import main as cli_main
from scoring.errors import ArtefactMissing, UserError
from scoring.explain import cache_build, cache_layout, shap_cache
from scoring.explain.cache_layout import META_KEY, TMP_PREFIX
from scoring.explain.shap_cache import (
    ACTIVE_FILE,
    PREVIOUS_FILE,
    CacheBuildError,
    ShapStore,
    StaleCacheError,
    UnknownClientError,
    refresh_cache,
)
from scoring.model.scoring_model import ScoringModel, to_model_frame
from scoring.paths import REPO_ROOT, Paths
from scoring.service.protocol import UnknownClient

N_TRAIN, N_NEW = 900, 150
CATS = ["NAME_CONTRACT_TYPE", "OCCUPATION_TYPE"]


def make_features(n_train: int, n_new: int, seed: int) -> pl.DataFrame:
    """A feature table shaped like features.parquet: ids, label, sample, numeric + String features."""
    rng = np.random.default_rng(seed)
    n = n_train + n_new
    strong = rng.normal(size=n)
    income = rng.lognormal(11, 0.5, size=n)
    income[rng.random(n) < 0.1] = np.nan
    contract = rng.choice(["Cash loans", "Revolving loans"], size=n)
    occupation = np.where(rng.random(n) < 0.2, None, rng.choice(["Laborers", "Core staff", "Drivers"], size=n))
    logit = 2.0 * strong - 1.0 + (contract == "Revolving loans") * 0.5
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return pl.DataFrame({
        "SK_ID_CURR": np.arange(100_002, 100_002 + n, dtype=np.int64),
        "TARGET": pl.Series([*target[:n_train].tolist(), *[None] * n_new], dtype=pl.Int8),
        "SAMPLE": ["train"] * n_train + ["new"] * n_new,
        "EXT_SOURCE_MEAN": strong,
        "AMT_INCOME_TOTAL": pl.Series(income).fill_nan(None),
        "DAYS_BIRTH": rng.integers(-25_000, -7_000, size=n),
        "BUREAU_DEBT_RATIO": rng.uniform(0, 2, size=n),
        "NAME_CONTRACT_TYPE": contract,
        "OCCUPATION_TYPE": pl.Series(occupation, dtype=pl.String),
    })


def fit_model(features: pl.DataFrame, version: str, seed: int = 0) -> ScoringModel:
    train = features.filter(pl.col("SAMPLE") == "train")
    names = [c for c in features.columns if c not in ("SK_ID_CURR", "TARGET", "SAMPLE")]
    booster = CatBoostClassifier(iterations=60, depth=4, random_seed=seed, thread_count=2,
                                 verbose=0, allow_writing_files=False)
    booster.fit(to_model_frame(train, names, CATS), train["TARGET"].to_numpy(), cat_features=CATS)
    return ScoringModel(booster, names, CATS, threshold=0.4, version=version)


def register(paths: Paths, model: ScoringModel) -> None:
    """Registry contract: models/<version>/{model.cbm, model_card.json} and models/CURRENT."""
    model.save(paths.models / model.version)
    write_text_atomic(paths.models / "CURRENT", model.version + "\n")


def build_dir_hash(build: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(build.rglob("*")):
        if file.is_file() and not file.name.endswith(("-shm", "-wal")):
            digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """Features + registered model + one refreshed cache, built once; tests copy it to modify it."""
    root = tmp_path_factory.mktemp("shap_cache")
    paths = Paths(data_dir=root / "data", cache_dir=root / "cache")
    features = make_features(N_TRAIN, N_NEW, seed=3)
    paths.processed.mkdir(parents=True)
    features.write_parquet(paths.features)
    register(paths, fit_model(features, "v-test-1"))
    refresh_cache(paths, chunk_size=256)  # several chunks, the last one partial
    return paths


@pytest.fixture()
def copy_of(built: Paths, tmp_path: Path) -> Paths:
    shutil.copytree(built.data_dir, tmp_path / "data")
    shutil.copytree(built.cache_dir, tmp_path / "cache")
    return Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


@pytest.fixture()
def store(built: Paths):
    s = ShapStore.open(built)
    yield s
    s.close()


def _n_client_entries(cache: diskcache.Cache) -> int:
    return sum(1 for key in cache.iterkeys() if isinstance(key, int))


def _active(paths: Paths) -> str:
    return (paths.shap_cache / ACTIVE_FILE).read_text().strip()


def _builds(paths: Paths) -> set[str]:
    return {p.name for p in paths.shap_cache.iterdir() if p.is_dir()}


# --------------------------------------------------------------------------- contents


def test_cached_entries_match_the_model_and_are_additive(built: Paths, store: ShapStore) -> None:
    features = pl.read_parquet(built.features)
    model = store.model
    raw = model.raw_score(features)
    proba = model.predict_proba(features)
    shap_ref, base_ref = model.shap_values(features)
    assert store.client_ids().tolist() == features["SK_ID_CURR"].to_list()
    assert store.base_value == pytest.approx(float(base_ref[0]), abs=1e-12)
    for row in range(features.height):  # every client, train and new
        exp = store.lookup(int(features["SK_ID_CURR"][row]))
        assert exp.probability == pytest.approx(proba[row], abs=1e-9)
        assert exp.refused == (proba[row] >= model.threshold)
        assert exp.shap.dtype == np.float64 and exp.shap.shape == (len(model.feature_names),)
        assert abs(exp.base_value + exp.shap.sum() - raw[row]) < 1e-6
        np.testing.assert_allclose(exp.shap, shap_ref[row], rtol=1e-5, atol=1e-6)
    assert {p for p in proba >= model.threshold} == {True, False}  # both decisions occur
    bulk = store.probabilities()
    np.testing.assert_allclose(bulk, proba, atol=1e-9)
    assert not bulk.flags.writeable and store.probabilities() is bulk


def test_global_importance_is_mean_abs_shap_over_all_clients(built: Paths, store: ShapStore) -> None:
    features = pl.read_parquet(built.features)
    shap_ref, _ = store.model.shap_values(features)
    expected = dict(zip(store.feature_names, np.abs(shap_ref).mean(axis=0), strict=True))
    got = store.global_importance()
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-9)
    assert list(got)[0] == "EXT_SOURCE_MEAN"  # the feature the label was drawn from
    got["EXT_SOURCE_MEAN"] = -1.0  # callers get a copy, never the shared dict
    assert store.global_importance()["EXT_SOURCE_MEAN"] > 0


def test_reader_exposes_read_only_shared_data(built: Paths, store: ShapStore) -> None:
    cid = int(store.client_ids()[7])
    exp = store.lookup(cid)
    assert not store.client_ids().flags.writeable
    assert not exp.shap.flags.writeable
    with pytest.raises(ValueError):
        exp.shap[0] = 1.0
    row = store.features_row(cid)
    assert row.height == 1 and row["SK_ID_CURR"].item() == cid
    assert exp.feature_values == row.select(store.feature_names).row(0, named=True)
    assert store.model_version == "v-test-1" and store.threshold == pytest.approx(0.4)
    assert store.has_client(cid) and store.has_client(str(cid))
    assert store.history_row(cid) is None  # no history table in this layout


def test_store_opened_before_a_fork_serves_the_child(store: ShapStore) -> None:
    """bokeh serve --num-procs forks after the app may have opened the store."""
    cid = int(store.client_ids()[11])
    expected = store.lookup(cid).probability
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: answer through the pipe, never return into pytest
        try:
            inherited = store._cache
            probability = store.lookup(cid).probability
            os.write(write_end, f"{probability!r} {store._cache is not inherited}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    answer, own_handle = os.read(read_end, 200).decode().split()
    os.close(read_end)
    os.waitpid(pid, 0)
    assert float(answer) == expected
    assert own_handle == "True"  # the child opened its own SQLite connection
    assert store.lookup(cid).probability == expected  # the parent's handle still works


def test_unknown_client_raises(store: ShapStore) -> None:
    for bad in (1, -5, "abc", None):
        assert not store.has_client(bad)
        with pytest.raises(UnknownClientError) as err:
            store.lookup(bad)
        assert isinstance(err.value, KeyError) and isinstance(err.value, UnknownClient)
        assert "SK_ID_CURR" in str(err.value)
    with pytest.raises(UnknownClientError):
        store.features_row(1)


# --------------------------------------------------------------------------- on the fly


def test_on_the_fly_edit_changes_score_and_never_touches_the_cache(built: Paths, store: ShapStore) -> None:
    build_hash = build_dir_hash(store.build)
    cid = int(store.client_ids()[3])
    row = store.features_row(cid)
    before = store.lookup(cid)
    same = store.explain_features(row)
    assert same.client_id == cid
    assert same.probability == pytest.approx(before.probability, abs=1e-9)
    np.testing.assert_allclose(same.shap, before.shap, atol=1e-6)

    strong = row["EXT_SOURCE_MEAN"].item()
    edited = row.with_columns(pl.lit(strong + 3.0).alias("EXT_SOURCE_MEAN"))
    after = store.explain_features(edited)
    assert after.probability > before.probability + 0.05
    assert after.probability == pytest.approx(store.model.predict_proba(edited)[0], abs=1e-9)
    raw = store.model.raw_score(edited)[0]
    assert abs(after.base_value + after.shap.sum() - raw) < 1e-9
    assert after.feature_values["EXT_SOURCE_MEAN"] == pytest.approx(strong + 3.0)

    new_client = edited.with_columns(pl.lit(None, dtype=pl.Int64).alias("SK_ID_CURR"))
    assert store.explain_features(new_client).client_id is None
    with pytest.raises(UserError):
        store.explain_features(pl.concat([row, row]))
    # the shared cache still serves the original values and no file changed
    assert store.lookup(cid).probability == before.probability
    assert build_dir_hash(store.build) == build_hash
    with diskcache.Cache(str(store.build)) as cache:
        assert _n_client_entries(cache) == N_TRAIN + N_NEW


def _add_client(paths: Paths) -> pl.DataFrame:
    """Rewrite the live feature table with one more client (SK_ID_CURR 999999); return its row."""
    features = pl.read_parquet(paths.features)
    extra = features.tail(1).with_columns(
        pl.lit(999_999, dtype=pl.Int64).alias("SK_ID_CURR"),
        pl.lit(2.5).alias("EXT_SOURCE_MEAN"))
    with write_atomic(paths.features) as tmp:
        pl.concat([features, extra]).write_parquet(tmp)
    return extra


def test_a_rebuilt_feature_table_is_served_only_with_its_cache(copy_of: Paths) -> None:
    """The served inputs are the build's snapshot: a new feature table waits for its build."""
    old = _active(copy_of)
    extra = _add_client(copy_of)
    store = ShapStore.open(copy_of)
    try:
        assert store.build.name == old and not store.has_client(999_999)
        assert store.features.height == N_TRAIN + N_NEW
    finally:
        store.close()
    refresh_cache(copy_of)
    store = ShapStore.open(copy_of)
    try:
        assert store.lookup(999_999).probability == pytest.approx(
            store.model.predict_proba(extra)[0], abs=1e-9)
        with diskcache.Cache(str(store.build)) as cache:
            assert cache.get(999_999) is not None
    finally:
        store.close()


def test_legacy_build_without_snapshot_computes_missing_clients_not_stored(copy_of: Paths) -> None:
    """A build made before input snapshots reads the live table; clients it lacks are computed."""
    shutil.rmtree(copy_of.shap_cache / _active(copy_of) / "inputs")
    features = pl.read_parquet(copy_of.features)
    extra = _add_client(copy_of)
    store = ShapStore.open(copy_of)
    try:
        exp = store.lookup(999_999)
        assert exp.client_id == 999_999
        assert exp.probability == pytest.approx(store.model.predict_proba(extra)[0], abs=1e-9)
        bulk = store.probabilities()
        assert bulk.shape == (N_TRAIN + N_NEW + 1,) and bulk[-1] == pytest.approx(exp.probability, abs=1e-9)
        assert bulk[0] == store.lookup(int(features["SK_ID_CURR"][0])).probability
        with diskcache.Cache(str(store.build)) as cache:
            assert cache.get(999_999) is None
            assert _n_client_entries(cache) == N_TRAIN + N_NEW
    finally:
        store.close()


def test_unreadable_build_falls_back_to_on_the_fly(copy_of: Paths) -> None:
    """A process whose build was pruned under it keeps answering (new threads open new handles)."""
    store = ShapStore.open(copy_of)
    cid = int(store.client_ids()[5])
    expected = store.lookup(cid).probability
    shutil.rmtree(store.build)
    answers: list[float] = []
    worker = threading.Thread(target=lambda: answers.append(store.lookup(cid).probability))
    worker.start()
    worker.join()
    assert answers == [pytest.approx(expected, abs=1e-9)]
    assert not store.build.exists()  # nothing re-created at the missing path
    store.close()


# --------------------------------------------------------------------------- staleness, atomicity


def test_a_new_model_is_served_only_with_its_verified_cache(copy_of: Paths) -> None:
    """Between `train` and `refresh-cache` (or when a job dies there) the previous pair is served,
    also by a process started meanwhile; the build's switch moves model and cache together."""
    features = pl.read_parquet(copy_of.features)
    running = ShapStore.open(copy_of)  # a long-lived process opened before the new model
    register(copy_of, fit_model(features, "v-test-2", seed=1))
    assert running.is_current(copy_of)  # nothing served changed yet
    restarted = ShapStore.open(copy_of)  # a restart now: still the previous, consistent pair
    assert restarted.model_version == "v-test-1" and restarted.build.name == running.build.name
    restarted.close()
    refresh_cache(copy_of)
    assert not running.is_current(copy_of)
    store = ShapStore.open(copy_of)
    assert store.model_version == "v-test-2" and store.is_current(copy_of)
    cid = int(store.client_ids()[0])
    assert store.lookup(cid).probability == pytest.approx(
        store.model.predict_proba(store.features_row(cid))[0], abs=1e-9)
    # the old process still serves its own consistent pair (old model, old build kept as PREVIOUS)
    assert running.model_version == "v-test-1"
    assert running.lookup(cid).probability == pytest.approx(
        running.model.predict_proba(running.features_row(cid))[0], abs=1e-9)
    running.close()
    store.close()


def test_a_build_that_does_not_fit_its_model_is_refused(copy_of: Paths) -> None:
    build = copy_of.shap_cache / _active(copy_of)
    with diskcache.Cache(str(build)) as cache:
        meta = cache.get(META_KEY)
        cache.set(META_KEY, dict(meta, feature_names=meta["feature_names"][:-1]))
    with pytest.raises(StaleCacheError, match="does not fit model v-test-1.*refresh-cache"):
        ShapStore.open(copy_of)


def test_interrupted_refresh_keeps_previous_cache_and_rerun_completes(
    copy_of: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _active(copy_of)
    real_write = cache_build.write_chunk
    calls = []

    def write_then_interrupt(cache, ids, records):
        calls.append(len(ids))
        real_write(cache, ids, records)
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(cache_build, "write_chunk", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        refresh_cache(copy_of, chunk_size=200)
    assert calls == [200]
    assert _active(copy_of) == old and _builds(copy_of) == {old}  # temp build removed
    store = ShapStore.open(copy_of)
    assert store.build.name == old and store.lookup(int(store.client_ids()[-1])).probability > 0
    store.close()

    monkeypatch.setattr(cache_build, "write_chunk", real_write)
    new = refresh_cache(copy_of, chunk_size=200)
    assert new != old and _active(copy_of) == new
    assert (copy_of.shap_cache / PREVIOUS_FILE).read_text().strip() == old


def test_failed_verification_keeps_previous_cache(copy_of: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _active(copy_of)
    real_compute = cache_build.compute_partition

    def corrupt(model, chunk):
        part = real_compute(model, chunk)
        return dataclasses.replace(part, shap=part.shap + 0.01)  # SHAP no longer sums to the raw score

    monkeypatch.setattr(cache_build, "compute_partition", corrupt)
    with pytest.raises(CacheBuildError, match="base \\+ sum\\(SHAP\\)"):
        refresh_cache(copy_of)
    assert _active(copy_of) == old and _builds(copy_of) == {old}


def test_killed_refresh_leaves_old_cache_served_and_is_cleaned_next_run(copy_of: Paths) -> None:
    old = _active(copy_of)
    script = (
        "import time, sys\n"
        "from scoring.explain import cache_build, shap_cache\n"
        "from pathlib import Path\nfrom scoring.paths import Paths\n"
        "real = cache_build.write_chunk\n"
        "def slow(cache, ids, records):\n"
        "    real(cache, ids, records); time.sleep(0.5)\n"
        "cache_build.write_chunk = slow\n"
        "shap_cache.refresh_cache(Paths(data_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2])), chunk_size=50)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(copy_of.data_dir), str(copy_of.cache_dir)],
                            cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(copy_of.shap_cache.glob(f"{TMP_PREFIX}*/cache.db")):
            assert proc.poll() is None, "refresh ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.6)  # at least one chunk written
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert list(copy_of.shap_cache.glob(f"{TMP_PREFIX}*"))  # the debris a kill leaves
    assert _active(copy_of) == old
    store = ShapStore.open(copy_of)
    assert store.build.name == old
    store.close()

    new = refresh_cache(copy_of)
    assert _active(copy_of) == new and not list(copy_of.shap_cache.glob(f"{TMP_PREFIX}*"))


def test_previous_build_kept_older_pruned_and_rollback(copy_of: Paths) -> None:
    first = _active(copy_of)
    second = refresh_cache(copy_of)
    third = refresh_cache(copy_of)
    assert len({first, second, third}) == 3
    assert _builds(copy_of) == {second, third}
    assert (copy_of.shap_cache / PREVIOUS_FILE).read_text().strip() == second
    assert shap_cache.rollback_cache(copy_of) == second
    assert _active(copy_of) == second
    assert ShapStore.open(copy_of).build.name == second


def test_concurrent_refresh_is_refused(copy_of: Paths) -> None:
    with cache_layout.refresh_lock(copy_of.shap_cache):
        with pytest.raises(UserError, match="another refresh-cache is running"):
            refresh_cache(copy_of)


def test_reader_needs_an_active_cache_and_a_model(copy_of: Paths) -> None:
    (copy_of.shap_cache / ACTIVE_FILE).unlink()
    with pytest.raises(ArtefactMissing, match="refresh-cache"):
        ShapStore.open(copy_of)
    (copy_of.models / "CURRENT").unlink()
    with pytest.raises(ArtefactMissing):
        refresh_cache(copy_of)


def test_cli_refresh_cache(copy_of: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--data-dir", str(copy_of.data_dir), "--cache-dir", str(copy_of.cache_dir)]
    assert cli_main(["refresh-cache", "--chunk-size", "400", *common]) == 0
    assert capsys.readouterr().out.strip() == _active(copy_of)
    assert cli_main(["refresh-cache", "--chunk-size", "0", *common]) == 2
    copy_of.features.unlink()
    assert cli_main(["refresh-cache", *common]) == 2


def test_record_roundtrip_restores_exact_additivity() -> None:
    rng = np.random.default_rng(0)
    shap = rng.normal(scale=0.8, size=(5, 40))
    base = -1.3
    raw = base + shap.sum(axis=1)
    records = shap_cache.encode_records(1 / (1 + np.exp(-raw)), raw, shap.astype(np.float32))
    dtype = shap_cache.record_dtype(40)
    assert all(len(r) == dtype.itemsize == 16 + 4 * 40 for r in records)
    for i, record in enumerate(records):
        proba, got_raw, values = shap_cache.decode_record(record, dtype, base)
        assert got_raw == raw[i] and proba == pytest.approx(1 / (1 + np.exp(-raw[i])), abs=0)
        assert abs(base + values.sum() - raw[i]) < 1e-12
        np.testing.assert_allclose(values, shap[i], rtol=1e-6, atol=1e-6)


def test_meta_entry_describes_the_build(built: Paths, store: ShapStore) -> None:
    with diskcache.Cache(str(store.build)) as cache:
        meta = cache.get(META_KEY)
    assert meta["model_version"] == "v-test-1" and meta["n_clients"] == N_TRAIN + N_NEW
    assert meta["feature_names"] == store.feature_names and meta["threshold"] == pytest.approx(0.4)
    assert meta["base_value"] == store.base_value and meta["build_id"] == store.build_id
    assert shap_cache.active_manifest(built)["model_version"] == "v-test-1"
