"""What a load of the raw folder was made from: each file's content digest and row count.

Recorded beside the interim Parquet copies (`_fingerprint.json`) when a load is
accepted; read back to decide whether the copies are up to date (by content,
never by modification time) and whether a new load lost rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scoring.data.schema import TABLES, TableSchema
from scoring.digest import DigestMemo

#: Sidecar in the interim folder: what the Parquet copies were made from.
FINGERPRINT = "_fingerprint.json"
FINGERPRINT_VERSION = 2
#: A table may lose at most this share of its rows against the previous accepted load.
DEFAULT_MAX_SHRINK = 0.10


def source_path(raw_dir: Path, schema: TableSchema) -> Path | None:
    """The raw file of one table: the Kaggle CSV name, else a Parquet copy of it."""
    for name in (schema.file_name, schema.parquet_name):
        if (Path(raw_dir) / name).is_file():
            return Path(raw_dir) / name
    return None


def digest_memo(interim_dir: Path | None) -> DigestMemo:
    """The digests remembered beside the interim folder (none for a one-off `validate --raw`)."""
    return DigestMemo(None if interim_dir is None else Path(interim_dir).with_name(".raw_digests.json"))


def content_fingerprint(raw_dir: Path, memo: DigestMemo) -> dict[str, dict[str, Any]]:
    """table -> {file, size, sha256} of each raw file present."""
    out = {}
    for name, schema in TABLES.items():
        src = source_path(raw_dir, schema)
        if src is not None:
            out[name] = {"file": src.name, "size": src.stat().st_size, "sha256": memo.sha256(src)}
    return out


def read_record(interim_dir: Path) -> dict[str, Any] | None:
    """The accepted load's record, or None (never loaded, older format, unreadable)."""
    try:
        record = json.loads((Path(interim_dir) / FINGERPRINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("version") == FINGERPRINT_VERSION else None


def make_record(raw_dir: Path, tables: dict[str, dict[str, Any]], row_counts: dict[str, int],
                validated: bool) -> str:
    return json.dumps({"version": FINGERPRINT_VERSION, "validated": validated,
                       "raw_dir": str(Path(raw_dir).resolve()), "tables": tables,
                       "row_counts": row_counts}, indent=2)


def previous_row_counts(interim_dir: Path | None) -> dict[str, int]:
    """Row counts of the previous accepted load ({} when there was none)."""
    if interim_dir is None:
        return {}
    record = read_record(interim_dir) or {}
    counts = record.get("row_counts")
    return {k: int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}


def shrink_problems(labels: dict[str, str], rows: dict[str, int], previous: dict[str, int],
                    max_shrink: float) -> list[str]:
    """One message per table that lost more than `max_shrink` of its rows since the last load."""
    problems = []
    for name, before in previous.items():
        now = rows.get(name)
        if now is None or before <= 0 or now >= before * (1 - max_shrink):
            continue
        problems.append(
            f"{labels.get(name, name)}: {now:,} rows, {1 - now / before:.0%} fewer than the "
            f"{before:,} of the previous accepted load (at most {max_shrink:.0%} allowed): a truncated "
            "or partial file? If the smaller file is intended, run again with --accept-shrink")
    return problems


def loaded_content(interim_dir: Path) -> dict[str, Any] | None:
    """The raw content (table -> file, size, sha256) of the accepted load in `interim_dir`."""
    record = read_record(interim_dir) or {}
    tables = record.get("tables")
    return tables if isinstance(tables, dict) else None


def shrink_settings(args: Any) -> tuple[bool, float]:
    """(accept_shrink, max_shrink) from a command line's `--accept-shrink` / `--max-shrink`
    (absent: refuse beyond the default share; an explicit 0 means no row may be lost)."""
    share = getattr(args, "max_shrink", None)
    return bool(getattr(args, "accept_shrink", False)), DEFAULT_MAX_SHRINK if share is None else float(share)
