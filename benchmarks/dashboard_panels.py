"""`python main.py bench dashboard-panels`: server-side latency of the dashboard panels.

Measures what an advisor waits for after a click, without the browser:
changing the compared feature or group (target p95 <= 100 ms at the real
size), a brushing update (p95 <= 150 ms), a what-if recalculation (p95 <=
300 ms), and how many scatter points are sent to the browser. The panels get
their data through the real `InProcessClient`, as in a served session (its
prediction log is redirected to a temporary file so the benchmark never
writes the real log).

With a built run under --data-dir/--cache-dir it is measured as it is;
otherwise a run of --clients/--new-clients (or --real-size) is built in a
temporary folder (fast training).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from scoring.paths import Paths
from scoring.progress import log


def _p95(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2), "n": int(ms.size)}


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _client(args: argparse.Namespace, paths: Paths, tmp: Path) -> tuple[Any, str]:
    """The in-process client on the run under `paths`, or on a run built in `tmp`."""
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    run_paths, data = run_or_build(args, paths, tmp)
    client = InProcessClient(run_paths, source="benchmark",
                             prediction_log=PredictionLog(tmp / "predictions.sqlite"))
    return client, data


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from bokeh.document import Document

    from bokeh_app.panels_compare import ComparePanel
    from bokeh_app.panels_scatter import ScatterPanel
    from bokeh_app.panels_whatif import WhatIfPanel
    from scoring.service.population import GROUPS

    repeat = max(int(getattr(args, "repeat", 200) or 200), 5)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        started = time.perf_counter()
        client, figures["data"] = _client(args, paths, Path(tmp_name))
        info = client.population()
        figures["population_load_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        client.warm_up()
        figures["warm_up_s"] = round(time.perf_counter() - started, 2)
        figures["clients"] = info.n_clients
        rng = np.random.default_rng(1)
        client_ids = [int(i) for i in rng.choice(client.client_ids(), size=20, replace=False)]

        log.info("compare panel: %d feature and group changes", repeat)
        doc = Document()  # panels live in a document, as in a session: change events included
        compare = ComparePanel(client)
        doc.add_root(compare.layout)
        compare.set_client(client_ids[0])
        numeric = [f.name for f in info.features if f.kind == "numeric"]
        categorical = [f.name for f in info.features if f.kind == "categorical"]
        features = (numeric[:20] + categorical[:5]) or numeric
        cold = [_timed(lambda f=f: setattr(compare.feature_select, "value", f))
                for f in features[1:]]
        figures["compare_feature_change_first_load"] = _p95(cold)
        warm = []
        for k in range(repeat):
            f = features[k % len(features)]
            if f == compare.feature_select.value:
                f = features[(k + 1) % len(features)]
            warm.append(_timed(lambda f=f: setattr(compare.feature_select, "value", f)))
        figures["compare_feature_change"] = _p95(warm)
        group_times: dict[str, list[float]] = {g: [] for g in GROUPS}
        for k in range(repeat):
            g = GROUPS[k % len(GROUPS)]
            if k % len(GROUPS) == 0:
                compare.set_client(client_ids[k % len(client_ids)])
            group_times[g].append(_timed(lambda g=g: setattr(compare.group_select, "value", g)))
        figures["compare_group_change"] = _p95([x for v in group_times.values() for x in v])
        figures["compare_group_change_by_group_p95_ms"] = {
            g: _p95(v)["p95_ms"] for g, v in group_times.items() if v}

        log.info("scatter panel: %d brushing updates", repeat)
        scatter = ScatterPanel(client)
        doc.add_root(scatter.layout)
        figures["scatter_client_change"] = _p95([
            _timed(lambda k=k: scatter.set_client(client_ids[k % len(client_ids)]))
            for k in range(min(repeat, 30))])
        axes = numeric[:8]
        figures["scatter_axis_change"] = _p95([
            _timed(lambda k=k: setattr(scatter.x_select, "value", axes[k % len(axes)]))
            for k in range(1, min(repeat, 30) + 1) if axes[k % len(axes)] != scatter.y_name])
        figures["scatter_points_sent"] = scatter.points_sent
        figures["scatter_points_max"] = scatter.max_points
        figures["scatter_backend"] = scatter.figure.output_backend
        figures.update(_brushing(scatter, repeat, rng))

        from benchmarks.browser_frames import pan_frame_times

        log.info("scatter in headless chromium: frame times while panning")
        figures["scatter_pan_in_browser"] = pan_frame_times(client.paths, client_ids[0])
        log.info("what-if panel: %d recalculations", min(repeat, 100))
        whatif = WhatIfPanel(client)
        doc.add_root(whatif.layout)
        figures.update(_what_if(whatif, client_ids, min(repeat, 100)))
        client.close()
    figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["cpus"] = os.cpu_count()
    return figures


def _brushing(scatter: Any, repeat: int, rng: np.random.Generator) -> dict[str, Any]:
    """Time one brush as the server sees it: the indices change, then the final geometry."""
    from bokeh.events import SelectionGeometry

    xs = np.asarray(scatter.source.data["x"], dtype=np.float64)
    ys = np.asarray(scatter.source.data["y"], dtype=np.float64)
    times, clears, sizes_ = [], [], []
    for _ in range(repeat):
        qx, qy = np.sort(rng.uniform(0.05, 0.95, 2)), np.sort(rng.uniform(0.05, 0.95, 2))
        box = {"type": "rect", "x0": float(np.nanquantile(xs, qx[0])),
               "x1": float(np.nanquantile(xs, qx[1])), "y0": float(np.nanquantile(ys, qy[0])),
               "y1": float(np.nanquantile(ys, qy[1]))}
        inside = np.flatnonzero((xs >= box["x0"]) & (xs <= box["x1"]) & (ys >= box["y0"])
                                & (ys <= box["y1"])).tolist()

        def brush(inside: list[int] = inside, box: dict = box) -> None:
            scatter.source.selected.indices = inside
            scatter._on_geometry(SelectionGeometry(scatter.figure, geometry=box, final=True))
        times.append(_timed(brush))
        sizes_.append(scatter.brush.summary["count"])
        clears.append(_timed(scatter.clear_selection))
    return {"brush_update": _p95(times), "brush_clear": _p95(clears),
            "brush_median_selected_clients": int(np.median(sizes_))}


def _what_if(panel: Any, client_ids: list[int], repeat: int) -> dict[str, Any]:
    """Recalculate with alternating credit amounts (a real re-score + TreeSHAP each time)."""
    times = []
    field = "AMT_CREDIT" if "AMT_CREDIT" in panel.inputs else next(iter(panel.inputs))
    panel.set_client(client_ids[0])
    for k in range(repeat):
        if k % 10 == 0:
            panel.set_client(client_ids[(k // 10) % len(client_ids)])
        panel.inputs[field].value = str(100_000 + 25_000 * (k % 7))
        times.append(_timed(panel.recompute))
    ok = panel.result is not None
    return {"whatif_recompute": _p95(times), "whatif_field": field, "whatif_last_ok": ok}
