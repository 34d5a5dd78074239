"""The nightly build's partitions computed on a Dask distributed cluster (`refresh-cache --dask`).

Why: a build's cost is almost all TreeSHAP, which is independent per client,
so it spreads over machines; writing stays with the driver (the build is one
SQLite file, and SQLite has one writer). The driver:

- sends the model to every worker once (`scatter(broadcast=True)`);
- cuts the feature table into partitions of consecutive clients, in the
  table's order (by SK_ID_CURR within the train and the new clients), and
  scatters each partition to a worker just before its task is submitted, with
  at most `window` partitions in flight, so the cluster never holds more than
  a few partitions' results the driver has not written yet;
- yields each result as it completes; the caller stores it.

Any failed partition (an exception in the task, a worker lost more often than
the scheduler's `allowed-failures`) raises `PartitionFailed` naming the
partition and its clients, the remaining tasks are cancelled, and the caller
removes the temporary build: the active build is untouched.

Workers need this project installed (same version as the driver: the model
and the feature frame are unpickled there); nothing else is shared, no file
system included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from scoring.explain.cache_layout import CacheBuildError
from scoring.explain.partition import PartitionResult, compute_partition
from scoring.model.scoring_model import ScoringModel
from scoring.progress import log

#: Partitions in flight per worker thread: enough to keep every worker busy while the driver writes.
IN_FLIGHT_PER_THREAD = 2
#: Seconds to wait for the scheduler when connecting.
CONNECT_TIMEOUT_S = 30


class PartitionFailed(CacheBuildError):
    """A partition could not be computed on the cluster; the build is abandoned."""


def partition_task(model: ScoringModel, chunk: pl.DataFrame) -> PartitionResult:
    """Runs on a worker: CatBoost gets the worker's threads, not every core of its machine."""
    from distributed import get_worker

    return compute_partition(model, chunk, thread_count=max(1, int(get_worker().state.nthreads)))


def _describe(index: int, chunk: pl.DataFrame) -> str:
    ids = chunk.get_column("SK_ID_CURR")
    return f"partition {index} (clients {ids[0]}..{ids[-1]}, {chunk.height} rows)"


def dask_partitions(scheduler: str, model: ScoringModel, features: pl.DataFrame,
                    size: int) -> Iterator[tuple[int, PartitionResult]]:
    """(row offset, result) of every partition of `size` rows, as the cluster completes them."""
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise CacheBuildError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
    with client:
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise CacheBuildError(f"the Dask cluster at {scheduler!r} has no worker")
        window = max(2, IN_FLIGHT_PER_THREAD * threads)
        starts = list(range(0, features.height, size))
        log.info("refresh-cache on Dask %s: %d partitions of %d clients, %d worker threads",
                 scheduler, len(starts), size, threads)
        model_ref = client.scatter(model, broadcast=True, hash=False)
        pending = iter(enumerate(starts))
        in_flight: dict[str, tuple[Any, int, int, pl.DataFrame]] = {}  # key -> future, index, start, rows
        completed = as_completed(loop=client.loop)

        def submit_next() -> None:
            for index, start in pending:
                chunk = features.slice(start, size)
                future = client.submit(partition_task, model_ref, client.scatter(chunk, hash=False),
                                       key=f"shap-partition-{index}-{start}", pure=False)
                in_flight[future.key] = (future, index, start, chunk)
                completed.add(future)
                return

        for _ in range(window):
            submit_next()
        try:
            for future in completed:
                _, index, start, chunk = in_flight.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:  # the task's own exception, or KilledWorker
                    raise PartitionFailed(f"{_describe(index, chunk)} failed on the cluster: "
                                          f"{type(exc).__name__}: {exc}") from exc
                if result.ids.shape[0] != chunk.height:
                    raise PartitionFailed(f"{_describe(index, chunk)} came back with "
                                          f"{result.ids.shape[0]} rows")
                del future
                submit_next()
                yield start, result
        finally:
            client.cancel([entry[0] for entry in in_flight.values()])
