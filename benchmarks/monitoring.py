"""`python main.py bench monitoring`: the monitoring snapshot's time and the section's opening.

The snapshot is computed as the nightly `refresh-cache` computes it (the
feature table and every client's probability in memory, the run's prediction
log read-only) and written to a temporary folder, never into the run: a
real-size run (e.g. `--data-dir /tmp/real/data --cache-dir /tmp/real/cache`)
is only read. Target: <= 30 s on 2 cores. The first computation of the
process pays the imports (fairlearn, scipy), as the nightly job does; a
second one shows the computation alone.

The section's opening is measured server-side: read and parse the stored
snapshot (as `InProcessClient.monitoring` does), build the panel's Bokeh
models and serialise the document (what `bokeh serve` sends). Target <= 1 s.

With a built run under --data-dir/--cache-dir it is measured as it is;
otherwise a run of --clients/--new-clients (or --real-size) is built in a
temporary folder (fast training).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from scoring.paths import Paths
from scoring.progress import log


def _inputs(run: Paths) -> tuple[Any, float]:
    """The nightly job's inputs (feature table, probabilities, model) from the served build."""
    from scoring.explain.shap_cache import ShapStore
    from scoring.monitoring.snapshot import MonitoringInputs

    started = time.perf_counter()
    store = ShapStore.open(run)
    try:
        inputs = MonitoringInputs.of_store(store)
    finally:
        store.close()
    return inputs, time.perf_counter() - started


def _open_section(path: Path) -> float:
    """Seconds to read the stored snapshot, build the section and serialise its document."""
    from bokeh.document import Document

    from bokeh_app.panel_monitoring import MonitoringPanel
    from scoring.monitoring.snapshot import read_snapshot

    class _Client:
        def monitoring(self) -> dict[str, Any]:
            return read_snapshot(path)

    started = time.perf_counter()
    panel = MonitoringPanel(_Client(), "fr")
    doc = Document()
    doc.add_root(panel.layout)
    doc.to_json()
    return time.perf_counter() - started


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from scoring.monitoring.snapshot import compute_snapshot, write_snapshot

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        run_paths, figures["data"] = run_or_build(args, paths, tmp)
        inputs, figures["load_inputs_s"] = _inputs(run_paths)
        figures["clients"] = inputs.features.height
        figures["columns"] = inputs.features.width
        log.info("monitoring snapshot of %d clients (first: with the imports)", inputs.features.height)
        started = time.perf_counter()
        snapshot = compute_snapshot(inputs, run_paths.prediction_log, since=inputs.built_at)
        figures["snapshot_first_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        snapshot = compute_snapshot(inputs, run_paths.prediction_log, since=inputs.built_at)
        figures["snapshot_s"] = round(time.perf_counter() - started, 2)
        target = write_snapshot(snapshot, tmp / "snapshot.json")
        figures["snapshot_kb"] = round(target.stat().st_size / 1024, 1)
        figures["target_snapshot_s"] = 30.0
        figures["drift_alarms"] = len(snapshot["alarms"]["drift"])
        figures["fairness_findings"] = len(snapshot["alarms"]["fairness"])
        figures["incoming"] = snapshot["populations"]["incoming"]["n"]
        log.info("monitoring section: opening %d times", 5)
        opens = [_open_section(target) for _ in range(5)]
        figures["open_section_s"] = {"first": round(opens[0], 3), "median": round(float(np.median(opens)), 3),
                                     "max": round(max(opens), 3)}
        figures["target_open_s"] = 1.0
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        with open("/proc/loadavg", encoding="utf-8") as fh:
            figures["loadavg_after"] = fh.read().split()[:3]
    return figures
