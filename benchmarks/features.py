"""`python main.py bench features`: feature-table build time and memory against the read floor.

The floor is the time to read every interim Parquet table once (what any
build must at least pay). Each measurement runs in its own child process so
that its peak RSS is its own. Also times the single-client path used by the
what-if form and the API.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import sizes
from scoring.data.schema import TABLES
from scoring.paths import Paths
from scoring.progress import log, step

#: Where engineer B's real-size generated set lives when it has been made.
REAL_SIZE_DATA = Path("/tmp/realsize/data")

_READ_FLOOR = """
import json, sys, time
def peak_kib():
    # VmHWM is this process's own high-water mark (ru_maxrss would include the parent's at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
import polars as pl
interim = sys.argv[1]
names = json.loads(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
rows = {}
for name in names:
    df = pl.scan_parquet(f"{interim}/{name}.parquet").collect()
    rows[name] = df.height
    del df
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "cpu_seconds": time.process_time() - cpu, "rows": rows,
                  "peak_rss_kib": peak_kib()}))
"""

_BUILD = """
import json, sys, time
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
from pathlib import Path
import polars as pl
from scoring.features.table import write_features
from scoring.paths import Paths
interim, out = sys.argv[1], Paths(data_dir=Path(sys.argv[2]))
names = json.loads(sys.argv[3])
tables = {name: pl.scan_parquet(f"{interim}/{name}.parquet") for name in names}
cpu = time.process_time()
figures = write_features(tables, out)
figures["cpu_seconds"] = time.process_time() - cpu
figures["compute_seconds"] = figures["history_seconds"] + figures["join_seconds"]
print(json.dumps({**figures, "peak_rss_kib": peak_kib()}))
"""

#: Each measurement is repeated (alternating floor and build) and the fastest run kept:
#: the machine is shared, so a single run mostly measures the neighbours.
REPEATS = 3


def _child(code: str, *argv: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; its last stdout line is a JSON dict of figures."""
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["peak_rss_gib"] = round(figures.pop("peak_rss_kib") / 2**20, 3)
    return figures


def _dataset(args: argparse.Namespace, paths: Paths, scratch: Path) -> tuple[Path, Path, str]:
    """(raw dir, interim dir, description) of the data set to measure."""
    if getattr(args, "real_size", False) and (REAL_SIZE_DATA / "raw").is_dir():
        # converted into our scratch folder: never write into another job's data set
        return REAL_SIZE_DATA / "raw", scratch / "interim", f"real size from {REAL_SIZE_DATA / 'raw'}"
    if not getattr(args, "real_size", False) and (paths.raw / TABLES["bureau"].file_name).is_file():
        return paths.raw, paths.interim, f"existing data in {paths.raw}"
    from scoring.data.generator.dataset import generate

    clients, new = sizes(args)
    raw = scratch / "raw"
    with step(f"generate {clients} + {new} clients into {raw}"):
        generate(raw, clients, new, seed=42)
    return raw, scratch / "interim", f"generated {clients} + {new} clients"


def _single_client(interim: Path, repeat: int) -> dict[str, Any]:
    """Latency of features_for_client for one real record with its history row."""
    from scoring.features.table import aggregate_history, features_for_client

    app = pl.scan_parquet(interim / "application_train.parquet").head(50).collect()
    ids = app["SK_ID_CURR"].to_list()
    tables = {n: pl.scan_parquet(interim / f"{n}.parquet") for n in TABLES}
    history = aggregate_history(
        {n: lf.filter(pl.col("SK_ID_CURR").is_in(ids)) if "SK_ID_CURR" in TABLES[n].column_names else lf
         for n, lf in tables.items()}
    ).collect(engine="streaming")
    records = app.to_dicts()
    rows = {cid: history.filter(pl.col("SK_ID_CURR") == cid) for cid in ids}
    timings = []
    for i in range(max(repeat, 10)):
        record = records[i % len(records)]
        hist_row = rows[record["SK_ID_CURR"]]
        start = time.perf_counter()
        features_for_client(record, hist_row)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {"requests": len(timings), "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2)}


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from scoring.data.loader import load_tables

    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        scratch = Path(tmp)
        raw, interim, source = _dataset(args, paths, scratch)
        with step("convert raw tables to interim Parquet (not timed)"):
            load_tables(raw, interim)
        names = json.dumps(list(TABLES))
        floors, builds = [], []
        for i in range(REPEATS):
            with step(f"read floor {i + 1}/{REPEATS}: every interim table read once"):
                floors.append(_child(_READ_FLOOR, str(interim), names))
            with step(f"build {i + 1}/{REPEATS}: history aggregates + feature table + Parquet writes"):
                builds.append(_child(_BUILD, str(interim), str(scratch / "out"), names))
        with step("single-client path"):
            single = _single_client(interim, int(getattr(args, "repeat", 200)))
    floor = min(floors, key=lambda f: f["seconds"])
    build = min(builds, key=lambda f: f["seconds"])
    build["peak_rss_gib"] = max(b["peak_rss_gib"] for b in builds)
    ratio = build["seconds"] / floor["seconds"]
    compute_ratio = build["compute_seconds"] / floor["seconds"]
    rows = floor.pop("rows")
    for part in (floor, build):
        for key in [k for k in part if k.endswith("seconds")]:
            part[key] = round(part[key], 3)
    figures = {
        "dataset": source,
        "rows": rows,
        "repeats": REPEATS,
        "all_floor_seconds": [round(f["seconds"], 2) for f in floors],
        "all_build_seconds": [round(b["seconds"], 2) for b in builds],
        "read_floor": floor,
        "build": build,
        "build_over_floor": round(ratio, 2),
        # CPU time (all threads) is far less sensitive than wall time to other jobs on the machine
        "build_over_floor_cpu": round(build["cpu_seconds"] / floor["cpu_seconds"], 2),
        "compute_over_floor": round(compute_ratio, 2),
        "single_client": single,
        "targets": {"build_le_2x_floor": ratio <= 2.0,
                    "peak_le_8_gib": build["peak_rss_gib"] <= 8.0},
    }
    log.info("features: build %.1f s vs read floor %.1f s (x%.2f), peak %.2f GiB",
             build["seconds"], floor["seconds"], ratio or 0, build["peak_rss_gib"])
    return figures
