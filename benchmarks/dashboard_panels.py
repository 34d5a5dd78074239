"""`python main.py bench dashboard-panels`: server-side latency of the dashboard panels.

Measures what an advisor waits for after a click, without the browser:
changing the compared feature or group (target p95 <= 100 ms at the real
size), a brushing update (p95 <= 150 ms), a what-if recalculation (p95 <=
300 ms), and how many scatter points are sent to the browser.

With a built run in `paths` (feature table + model + SHAP cache) everything
is measured on it through the real `InProcessClient` (its prediction log is
redirected to a temporary file so the benchmark never writes the real log).
Without one, the population-level figures are measured on a synthetic
population of the requested size (`--clients`, `--real-size`) and the
what-if is reported as not measured.
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

from benchmarks import sizes
from scoring.paths import Paths
from scoring.progress import log

#: Synthetic numeric features (when no run is built): enough to fill the selects and the k-NN.
SYNTHETIC_FEATURES = 40


def _p95(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2), "n": int(ms.size)}


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def synthetic_population(n_train: int, n_new: int, seed: int = 0) -> Any:
    """A population of the requested size with numeric features drawn at random."""
    import polars as pl

    from scoring.service.population import Population

    rng = np.random.default_rng(seed)
    n = n_train + n_new
    cols: dict[str, Any] = {
        "SK_ID_CURR": np.arange(100_000, 100_000 + n, dtype=np.int64),
        "TARGET": pl.Series([*rng.integers(0, 2, n_train).tolist(), *([None] * n_new)],
                            dtype=pl.Int8),
        "SAMPLE": ["train"] * n_train + ["new"] * n_new,
        "CODE_GENDER": rng.choice(["F", "M"], n),
        "AGE_YEARS": rng.uniform(21, 69, n),
        "NAME_CONTRACT_TYPE": rng.choice(["Cash loans", "Revolving loans"], n),
    }
    for j in range(SYNTHETIC_FEATURES):
        v = rng.lognormal(0, 1, n) if j % 3 else rng.normal(0, 1, n)
        v[rng.random(n) < 0.05] = np.nan
        cols[f"F{j:02d}"] = v
    frame = pl.DataFrame(cols)
    z = -2.2 + 0.8 * np.nan_to_num(frame["F00"].to_numpy())
    proba = 1.0 / (1.0 + np.exp(-z))
    names = [f"F{j:02d}" for j in range(SYNTHETIC_FEATURES)]
    return Population.from_frame(frame, proba, 0.3, importance=names)


def _real(paths: Paths, tmp: Path) -> tuple[Any, Any]:
    from scoring.service.inprocess import InProcessClient
    from scoring.service.population import Population
    from scoring.service.prediction_log import PredictionLog

    client = InProcessClient(paths, source="benchmark",
                             prediction_log=PredictionLog(tmp / "predictions.sqlite"))
    return client, Population.from_store(client.store)


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from bokeh.document import Document

    from bokeh_app.panels_compare import ComparePanel
    from bokeh_app.panels_scatter import ScatterPanel
    from bokeh_app.panels_whatif import WhatIfPanel
    from scoring.service.population import GROUPS, warm_up

    repeat = max(int(getattr(args, "repeat", 200) or 200), 5)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        built = paths.features.is_file() and paths.shap_cache.is_dir()
        started = time.perf_counter()
        if built:
            client, pop = _real(paths, Path(tmp_name))
            figures["data"] = "built run in paths (InProcessClient)"
        else:
            n_train, n_new = sizes(args)
            client, pop = None, synthetic_population(n_train, n_new)
            figures["data"] = f"synthetic population ({n_train} + {n_new} clients)"
        figures["population_load_s"] = round(time.perf_counter() - started, 2)
        figures["warm_up_s"] = warm_up(pop)
        figures["clients"] = pop.n
        rng = np.random.default_rng(1)
        client_ids = rng.choice(pop.ids, size=min(20, pop.n), replace=False).tolist()

        log.info("compare panel: %d feature and group changes", repeat)
        doc = Document()  # panels live in a document, as in a session: change events included
        compare = ComparePanel(client, pop)
        doc.add_root(compare.layout)
        compare.set_client(client_ids[0])
        numeric = [f.name for f in pop.features if f.kind == "numeric"]
        categorical = [f.name for f in pop.features if f.kind == "categorical"]
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
        scatter = ScatterPanel(client, pop)
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

        if client is not None:
            from benchmarks.browser_frames import pan_frame_times

            log.info("scatter in headless chromium: frame times while panning")
            figures["scatter_pan_in_browser"] = pan_frame_times(paths, client_ids[0])
            log.info("what-if panel: %d recalculations", min(repeat, 100))
            whatif = WhatIfPanel(client, pop)
            doc.add_root(whatif.layout)
            figures.update(_what_if(whatif, client_ids, min(repeat, 100)))
            client.close()
        else:
            figures["whatif_recompute"] = "not measured: no built run in paths"
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
