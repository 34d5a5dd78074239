"""The synthetic linked Home Credit dataset: eight Kaggle-format CSV files plus the true probabilities.

Clients are generated in chunks (each seeded from `(seed, chunk index)`),
so memory stays flat whatever the size and the same seed always gives
byte-identical files. Everything is written into a temporary folder beside
`raw/` and swapped in at the end: an interrupted run leaves nothing behind.

The table-specific logic lives in `generator_application`, `generator_bureau`
and `generator_previous`; this module orchestrates, writes and exposes the
CLI handler.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from scoring.atomic import atomic_dir
from scoring.data.generator.application import application_frames, generate_clients
from scoring.data.generator.bureau import generate_bureau
from scoring.data.generator.common import Clients
from scoring.data.generator.previous import generate_previous
from scoring.data.schema import TABLE_ORDER, TABLES
from scoring.errors import UserError
from scoring.paths import Paths
from scoring.progress import log, step

FIRST_SK_ID_CURR = 100_002
FIRST_SK_ID_BUREAU = 5_000_000
FIRST_SK_ID_PREV = 1_000_000
CHUNK_CLIENTS = 50_000
TRUTH_FILE = "_truth.parquet"
#: Default share of new clients (application_test) relative to train clients, as in Kaggle.
NEW_CLIENT_SHARE = 0.16


def default_new_clients(clients: int) -> int:
    return round(clients * NEW_CLIENT_SHARE)


def _chunk_rngs(seed: int, chunk: int) -> list[np.random.Generator]:
    """Independent generators for one chunk: sample split, application, bureau, previous."""
    children = np.random.SeedSequence([seed, chunk]).spawn(4)
    return [np.random.default_rng(c) for c in children]


def _chunk(seed: int, chunk: int, lo: int, hi: int, total: int, new_total: int,
           next_bureau: int, next_prev: int) -> tuple[Clients, dict[str, pl.DataFrame]]:
    """All eight tables for clients `lo..hi-1` (positions in the global id range)."""
    split_rng, app_rng, bureau_rng, prev_rng = _chunk_rngs(seed, chunk)
    n = hi - lo
    n_new = new_total * hi // total - new_total * lo // total
    is_train = np.ones(n, dtype=bool)
    is_train[split_rng.choice(n, n_new, replace=False)] = False
    ids = FIRST_SK_ID_CURR + np.arange(lo, hi, dtype=np.int64)
    clients, app_cols = generate_clients(app_rng, ids, is_train)
    frames = application_frames(clients, app_cols)
    frames["bureau"], frames["bureau_balance"] = generate_bureau(bureau_rng, clients, next_bureau)
    frames.update(generate_previous(prev_rng, clients, next_prev))
    return clients, frames


def _write_chunk(handles: dict[str, BinaryIO], frames: dict[str, pl.DataFrame], first: bool) -> None:
    for name in TABLE_ORDER:
        frames[name].write_csv(handles[name], include_header=first)


def generate(raw_dir: Path, clients: int, new_clients: int, seed: int,
             *, chunk_clients: int = CHUNK_CLIENTS) -> dict[str, int]:
    """Write the eight raw tables and `_truth.parquet` into `raw_dir` (replacing it atomically).

    Returns the number of rows written per table. Same arguments, same bytes:
    each chunk of `chunk_clients` clients draws from its own `(seed, chunk)` stream.
    Raises `UserError` for impossible sizes or seeds; existing files are kept then.
    """
    if clients < 1:
        raise UserError(f"--clients must be at least 1 (got {clients})")
    if new_clients < 0:
        raise UserError(f"--new-clients must be 0 or more (got {new_clients})")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    if chunk_clients < 1:
        raise ValueError("chunk_clients must be positive")
    raw_dir = Path(raw_dir)
    total = clients + new_clients
    bounds = list(range(0, total, chunk_clients)) + [total]
    counts = {name: 0 for name in TABLE_ORDER}
    truth_parts: list[pl.DataFrame] = []
    with atomic_dir(raw_dir) as tmp, ThreadPoolExecutor(max_workers=1) as writer:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the swapped-in raw/ should not be
        handles = {name: open(tmp / TABLES[name].file_name, "wb") for name in TABLE_ORDER}
        pending: Future | None = None
        try:
            next_bureau, next_prev = FIRST_SK_ID_BUREAU, FIRST_SK_ID_PREV
            for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                c, frames = _chunk(seed, i, lo, hi, total, new_clients, next_bureau, next_prev)
                next_bureau += frames["bureau"].height
                next_prev += frames["previous_application"].height
                for name, df in frames.items():
                    counts[name] += df.height
                truth_parts.append(pl.DataFrame({
                    "SK_ID_CURR": c.sk_id_curr,
                    "SAMPLE": np.where(c.is_train, "train", "new"),
                    "TRUE_PD": c.true_pd,
                }))
                if pending is not None:
                    pending.result()
                # Writing (Polars, GIL released) overlaps with generating the next chunk.
                pending = writer.submit(_write_chunk, handles, frames, i == 0)
                log.info("generate: clients %d/%d (chunk %d/%d)", hi, total, i + 1, len(bounds) - 1)
            pending.result()
        finally:
            if pending is not None:
                wait([pending])  # never close a file under a running write (error or Ctrl-C)
            for h in handles.values():
                h.close()
        pl.concat(truth_parts).sort("SK_ID_CURR").write_parquet(tmp / TRUTH_FILE)
    return counts


def _existing(raw_dir: Path) -> list[str]:
    names = [TABLES[t].file_name for t in TABLE_ORDER] + [TRUTH_FILE]
    return [n for n in names if (raw_dir / n).exists()]


def cli_generate(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py generate`: refuse to overwrite raw files unless --force."""
    new_clients = args.new_clients if args.new_clients is not None else default_new_clients(args.clients)
    existing = _existing(paths.raw)
    if existing and not args.force:
        raise UserError(
            f"{paths.raw} already holds raw files ({', '.join(existing)}); "
            "re-run with --force to replace them")
    with step(f"generate {args.clients} train + {new_clients} new clients (seed {args.seed}) into {paths.raw}"):
        counts = generate(paths.raw, args.clients, new_clients, args.seed)
    for name, rows in counts.items():
        log.info("  %-24s %12d rows", TABLES[name].file_name, rows)
    return 0
