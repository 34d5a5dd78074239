"""`python main.py bench validate`: `validate` against a plain Polars read of the same CSV files.

The baseline reads each raw CSV once with `pl.read_csv` and the schema's
dtypes (no checks, nothing written): what any reader of these files pays.
`validate` reads them as typed streams into staging Parquet files and runs
every check (values, ranges, keys, parent links, truncation, shrink). Both
run in their own child process, alternating, and the fastest of each is kept
(the machine is shared). Target: validate within 1.3x the plain read.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.features import _child
from scoring.data.fingerprint import source_path
from scoring.data.schema import TABLES
from scoring.paths import Paths
from scoring.progress import log, step

REPEATS = 2

_PLAIN_READ = """
import json, sys, time
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
import polars as pl
from scoring.data.schema import TABLES
from scoring.data.fingerprint import source_path
raw = sys.argv[1]
start, cpu = time.perf_counter(), time.process_time()
rows = {}
for name, schema in TABLES.items():
    path = source_path(raw, schema)
    dtypes = {c.name: c.polars_dtype for c in schema.columns}
    df = pl.read_csv(path, schema_overrides=dtypes) if path.suffix == ".csv" else pl.read_parquet(path)
    rows[name] = df.height
    del df
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                  "rows": rows, "peak_rss_kib": peak_kib()}))
"""

_VALIDATE = """
import json, sys, time
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
from pathlib import Path
from scoring.data.loader import validate_raw
start, cpu = time.perf_counter(), time.process_time()
report = validate_raw(Path(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                  "ok": report.ok, "errors": len(report.errors), "warnings": len(report.warnings),
                  "rows": report.row_counts, "peak_rss_kib": peak_kib()}))
"""


def _raw_dir(args: argparse.Namespace, paths: Paths, scratch: Path) -> tuple[Path, str]:
    if all(source_path(paths.raw, schema) for schema in TABLES.values()):
        return paths.raw, f"existing raw files in {paths.raw}"
    from benchmarks import sizes
    from scoring.data.generator.dataset import generate

    clients, new = sizes(args)
    with step(f"generate {clients} + {new} clients"):
        generate(scratch / "raw", clients, new, seed=42)
    return scratch / "raw", f"generated {clients} + {new} clients"


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        raw, source = _raw_dir(args, paths, Path(tmp))
        size = sum(p.stat().st_size for p in raw.iterdir() if p.is_file() and not p.name.startswith("_"))
        plain, checked = [], []
        for i in range(REPEATS):
            with step(f"plain Polars read {i + 1}/{REPEATS}"):
                plain.append(_child(_PLAIN_READ, str(raw)))
            with step(f"validate {i + 1}/{REPEATS}"):
                checked.append(_child(_VALIDATE, str(raw)))
    base = min(plain, key=lambda f: f["seconds"])
    best = min(checked, key=lambda f: f["seconds"])
    if base["rows"] != best["rows"]:
        raise RuntimeError(f"row counts differ: plain read {base['rows']} vs validate {best['rows']}")
    ratio = best["seconds"] / base["seconds"]
    log.info("validate %.1f s vs plain Polars read %.1f s (x%.2f)", best["seconds"], base["seconds"], ratio)
    return {
        "dataset": source, "raw_gib": round(size / 2**30, 2), "rows": base["rows"], "repeats": REPEATS,
        "all_plain_read_seconds": [round(f["seconds"], 2) for f in plain],
        "all_validate_seconds": [round(f["seconds"], 2) for f in checked],
        "plain_read": {k: v for k, v in base.items() if k != "rows"},
        "validate": {k: v for k, v in best.items() if k != "rows"},
        "validate_over_plain_read": round(ratio, 2),
        "validate_over_plain_read_cpu": round(best["cpu_seconds"] / base["cpu_seconds"], 2),
        "targets": {"validate_le_1_3x_plain_read": ratio <= 1.3},
    }
