"""Writing the feature tables so that unchanged input leaves unchanged bytes.

The history aggregates run on Polars' multi-threaded engines, whose float sums
may differ in the last bits from one run to the next (about 1e-15 relative).
The bytes of features.parquet decide whether the model is stale (its sha256
is the model's data fingerprint), so a table equal to the one on disk within
`RTOL` is not rewritten: re-running `features` on the same raw files never
retrains. A manifest beside it records the raw content the table was built
from, which is how the pipeline decides by content that it is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring.atomic import atomic_path, write_text_atomic
from scoring.paths import Paths

#: Relative tolerance under which a rebuilt float column is "the same" as the one on disk.
RTOL = 1e-9
ATOL = 1e-12
MANIFEST_VERSION = 1


def same_table(old: pl.DataFrame, new: pl.DataFrame, rtol: float = RTOL) -> bool:
    """Same schema, rows and exact non-float values; float columns equal within `rtol`."""
    if old.schema != new.schema or old.height != new.height:
        return False
    floats = [name for name, dtype in new.schema.items() if dtype.is_float()]
    exact = [name for name in new.columns if name not in floats]
    if not old.select(exact).equals(new.select(exact)):
        return False
    for name in floats:
        a, b = old.get_column(name), new.get_column(name)
        if not a.is_null().equals(b.is_null()):
            return False
        if not np.allclose(a.to_numpy(), b.to_numpy(), rtol=rtol, atol=ATOL, equal_nan=True):
            return False
    return True


def write_if_changed(frame: pl.DataFrame, path: Path, compression: str) -> bool:
    """Write `frame` atomically unless the file on disk already holds the same table; True if written."""
    if path.is_file():
        try:
            if same_table(pl.read_parquet(path), frame):
                return False
        except (OSError, pl.exceptions.PolarsError):
            pass  # unreadable: rewrite it
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp, compression=compression)
    return True


def manifest_path(paths: Paths) -> Path:
    return paths.processed / "features.json"


def write_manifest(paths: Paths, source: dict[str, Any] | None) -> None:
    """Record the raw content (table -> file, size, sha256) the feature tables were built from."""
    write_text_atomic(manifest_path(paths), json.dumps(
        {"version": MANIFEST_VERSION, "raw": source}, indent=2, sort_keys=True) + "\n")


def read_manifest(paths: Paths) -> dict[str, Any] | None:
    """The raw content the tables were built from, or None (never recorded, unreadable)."""
    try:
        manifest = json.loads(manifest_path(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
        return None
    raw = manifest.get("raw")
    return raw if isinstance(raw, dict) else None
