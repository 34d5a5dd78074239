"""`refresh-cache --dask`: the build computed on a Dask cluster of 2 worker processes holds the
same records as the local build, and a failed partition fails it with the previous cache served.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import diskcache
import pytest

from scoring.cli.commands import main as cli_main
from scoring.explain import cache_dask
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    BUILD_MANIFEST,
    META_KEY,
    PROBA_KEY,
    TMP_PREFIX,
)
from scoring.explain.shap_cache import CacheBuildError, ShapStore, refresh_cache
from scoring.paths import Paths
from scoring.progress import log as scoring_log

distributed = pytest.importorskip("distributed")

#: Partitions of this many clients: the small run (4,600 clients) makes 7, the last one partial.
PARTITION = 700
#: Build fields that name the build or its time, not its content.
VARYING = {"build_id", "built_at"}


class _PartitionWorkers(distributed.diagnostics.plugin.SchedulerPlugin):
    """Remembers which worker computed each partition task."""

    def __init__(self) -> None:
        self.workers: dict[str, str] = {}

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish == "memory" and str(key).startswith("shap-partition") and kwargs.get("worker"):
            self.workers[str(key)] = kwargs["worker"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    """Two single-threaded worker processes, as two machines would be."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def _paths(small_run: Paths, cache_dir: Path) -> Paths:
    """The small run's data (read only: a build writes into its cache folder) with its own cache."""
    return Paths(data_dir=small_run.data_dir, cache_dir=cache_dir)


def _contents(paths: Paths, build_id: str) -> tuple[dict, bytes, dict, dict]:
    """Every client's record, the probabilities blob, the metadata and the manifest of a build."""
    build = paths.shap_cache / build_id
    with contextlib.closing(diskcache.Cache(str(build))) as cache:
        records = {key: cache[key] for key in cache.iterkeys() if isinstance(key, int)}
        proba, meta = cache[PROBA_KEY], cache[META_KEY]
    manifest = json.loads((build / BUILD_MANIFEST).read_text())
    return (records, proba, {k: v for k, v in meta.items() if k not in VARYING},
            {k: v for k, v in manifest.items() if k not in VARYING})


def test_dask_build_equals_local_build(small_run: Paths, cluster, tmp_path: Path) -> None:
    local = _paths(small_run, tmp_path / "local")
    on_dask = _paths(small_run, tmp_path / "dask")
    plugin = _PartitionWorkers()
    cluster.scheduler.add_plugin(plugin, name="partition-workers")
    try:
        local_id = refresh_cache(local, chunk_size=PARTITION)
        dask_id = refresh_cache(on_dask, chunk_size=PARTITION, scheduler=cluster.scheduler_address)
    finally:
        cluster.scheduler.remove_plugin(name="partition-workers")

    records, proba, meta, manifest = _contents(local, local_id)
    d_records, d_proba, d_meta, d_manifest = _contents(on_dask, dask_id)
    n_clients = meta["n_clients"]
    assert len(records) == n_clients > 6 * PARTITION
    assert d_records.keys() == records.keys()
    assert [cid for cid in records if d_records[cid] != records[cid]] == []  # byte for byte
    assert d_proba == proba
    assert d_meta == meta  # global importance included: summed in the table's order
    assert d_manifest == manifest
    # seven partitions, computed by both worker processes
    assert len(plugin.workers) == -(-n_clients // PARTITION)
    assert len(set(plugin.workers.values())) == 2

    with contextlib.closing(ShapStore.open(on_dask)) as store:
        assert store.build.name == dask_id
        cid = int(store.client_ids()[-1])
        assert store.lookup(cid).probability == pytest.approx(store.model.predict_proba(
            store.features_row(cid))[0], abs=1e-9)


def _inject_failure(client_id: int):
    """A function for `Client.run`: in each worker process, the partition holding `client_id` fails."""
    def install() -> None:
        import scoring.explain.cache_dask as module

        real = getattr(module, "_real_compute_partition", module.compute_partition)
        module._real_compute_partition = real

        def failing(model, chunk, **kwargs):
            if client_id in chunk.get_column("SK_ID_CURR").to_list():
                raise RuntimeError(f"injected failure for client {client_id}")
            return real(model, chunk, **kwargs)

        module.compute_partition = failing
    return install


def _restore() -> None:
    import scoring.explain.cache_dask as module

    module.compute_partition = getattr(module, "_real_compute_partition", module.compute_partition)


class _Messages(logging.Handler):
    """The messages of the `scoring` logger, whatever handlers and propagation earlier tests
    (or the CLI's own set-up) left on it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_failed_partition_fails_the_build_and_the_previous_cache_stays(
        small_run: Paths, cluster, tmp_path: Path) -> None:
    paths = _paths(small_run, tmp_path / "cache")
    previous = refresh_cache(paths, chunk_size=PARTITION)
    with contextlib.closing(ShapStore.open(paths)) as store:
        victim = int(store.client_ids()[3 * PARTITION + 5])  # in partition 3
    with distributed.Client(cluster.scheduler_address) as client:
        client.run(_inject_failure(victim))
        messages = _Messages()
        scoring_log.addHandler(messages)
        try:
            code = cli_main(["refresh-cache", "--dask", cluster.scheduler_address,
                             "--chunk-size", str(PARTITION), "--data-dir", str(paths.data_dir),
                             "--cache-dir", str(paths.cache_dir)])
        finally:
            scoring_log.removeHandler(messages)
            client.run(_restore)
    assert code == 2
    errors = [line for line in messages.lines if "partition 3 (clients" in line]
    assert errors and f"injected failure for client {victim}" in errors[-1]
    assert (paths.shap_cache / ACTIVE_FILE).read_text().strip() == previous
    assert sorted(p.name for p in paths.shap_cache.iterdir() if p.is_dir()) == [previous]
    assert not list(paths.shap_cache.glob(f"{TMP_PREFIX}*"))
    with contextlib.closing(ShapStore.open(paths)) as store:
        assert store.build.name == previous and store.lookup(victim).client_id == victim


def test_an_unreachable_scheduler_fails_the_build_cleanly(
        small_run: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.localserver import free_port

    monkeypatch.setattr(cache_dask, "CONNECT_TIMEOUT_S", 2)
    paths = _paths(small_run, tmp_path / "cache")
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(CacheBuildError, match="cannot reach the Dask scheduler"):
        refresh_cache(paths, chunk_size=PARTITION, scheduler=address)
    assert not (paths.shap_cache / ACTIVE_FILE).exists()
    assert [p.name for p in paths.shap_cache.iterdir() if p.is_dir()] == []
