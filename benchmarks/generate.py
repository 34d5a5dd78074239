"""`python main.py bench generate [--clients N | --real-size]`: speed and memory of the generator.

The generator runs in a child process so that the peak RSS reported is its
own (resource.getrusage(RUSAGE_CHILDREN)), not the benchmark's. Output goes
to a temporary folder under /tmp that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import sizes
from scoring.paths import REPO_ROOT, Paths

_CHILD = """
import json, sys, time
from pathlib import Path
from scoring.data.generator.dataset import generate
start = time.perf_counter()
counts = generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
print(json.dumps({"seconds": time.perf_counter() - start, "rows": counts}))
"""


def run(args: argparse.Namespace, paths: Paths) -> dict:
    clients, new_clients = sizes(args)
    seed = getattr(args, "seed", 42)
    with tempfile.TemporaryDirectory(prefix="bench-generate-", dir="/tmp") as tmp:
        raw = Path(tmp) / "raw"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(raw), str(clients), str(new_clients), str(seed)],
            cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"generator child failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        files = {p.name: p.stat().st_size for p in raw.iterdir()}
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    rows = result["rows"]
    return {
        "clients": clients,
        "new_clients": new_clients,
        "seed": seed,
        "generate_seconds": round(result["seconds"], 2),
        "process_seconds": round(wall, 2),
        "rows": rows,
        "total_rows": sum(rows.values()),
        "rows_per_second": round(sum(rows.values()) / result["seconds"]),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "mb_written": round(sum(files.values()) / 1e6, 1),
        "mb_per_file": {name: round(size / 1e6, 1) for name, size in sorted(files.items())},
    }
