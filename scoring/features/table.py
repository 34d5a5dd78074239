"""The per-client feature table (lazy Polars) and the single-client path.

`build_features` = `combine(application_features(applications), aggregate_history(tables))`.
`features_for_client` runs the very same expressions on one in-memory
application record plus that client's precomputed history row, so the
what-if form and the API can never compute a feature differently from the
batch table. `write_features` (the `features` command) assembles the same
table faster; a test checks that the three agree.

Split by source: `scoring.features.application` (one application row) and
`scoring.features.history` (the six history tables).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from scoring.data.schema import ID_COLUMNS
from scoring.errors import UserError
from scoring.features.application import APPLICATION_SCHEMA, application_features, ratio
from scoring.features.history import (
    COUNT_COLUMNS,
    HISTORY_TABLES,
    ZERO_WHEN_ABSENT,
    aggregate_history,
    empty_tables,
    history_on,
    table_aggregates,
)
from scoring.features.output import RTOL, write_if_changed, write_manifest
from scoring.paths import Paths
from scoring.progress import log, step

__all__ = [
    "FEATURE_ID_COLUMNS", "application_features", "aggregate_history", "build_features",
    "categorical_columns", "cli_features", "combine", "feature_columns", "features_for_client",
    "features_for_records", "history_for_client", "history_schema",
]

FEATURE_ID_COLUMNS: tuple[str, ...] = ID_COLUMNS

#: Features that need both the application and the history (computed in `combine`).
CROSS_EXPRESSIONS: list[pl.Expr] = [
    ratio(pl.col("BUREAU_ACTIVE_DEBT_SUM"), pl.col("AMT_INCOME_TOTAL").cast(pl.Float64))
    .alias("BUREAU_DEBT_INCOME_RATIO"),
    ratio(
        pl.col("BUREAU_ACTIVE_DEBT_SUM").fill_null(0.0) + pl.col("AMT_CREDIT").cast(pl.Float64),
        pl.col("AMT_INCOME_TOTAL").cast(pl.Float64),
    ).alias("TOTAL_DEBT_INCOME_RATIO"),
]


def feature_columns(df: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """Every column of a feature table that is a model input (ids and labels excluded)."""
    names = df.collect_schema().names() if isinstance(df, pl.LazyFrame) else df.columns
    return [c for c in names if c not in FEATURE_ID_COLUMNS]


def categorical_columns(df: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """The String feature columns (CatBoost categorical features)."""
    schema = df.collect_schema()
    return [c for c in feature_columns(df) if schema[c] == pl.String]


@functools.cache
def history_schema() -> pl.Schema:
    """Column names and dtypes of `aggregate_history` output (SK_ID_CURR first)."""
    return aggregate_history(empty_tables()).collect_schema()


def _finish(joined: pl.LazyFrame) -> pl.LazyFrame:
    """Counts to 0 for clients without history, then the cross features (shared by both paths)."""
    return joined.with_columns(pl.col(c).fill_null(0) for c in ZERO_WHEN_ABSENT).with_columns(
        CROSS_EXPRESSIONS
    )


def combine(app_features: pl.LazyFrame, history: pl.LazyFrame) -> pl.LazyFrame:
    """Left-join the history aggregates onto the application features; add cross features."""
    joined = app_features.join(
        history.with_columns(pl.col("SK_ID_CURR").cast(pl.Int64)),
        on="SK_ID_CURR", how="left", maintain_order="left",
    )
    return _finish(joined)


def _applications(tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Train rows (SAMPLE "train") then new clients (SAMPLE "new", TARGET null)."""
    train = tables["application_train"].with_columns(
        pl.col("TARGET").cast(pl.Int8), pl.lit("train").alias("SAMPLE")
    )
    test = tables["application_test"].with_columns(
        pl.lit(None, dtype=pl.Int8).alias("TARGET"), pl.lit("new").alias("SAMPLE")
    )
    return pl.concat([train, test], how="diagonal_relaxed")


def build_features(tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """The whole feature table: one row per client (train, then new), ids first."""
    return combine(application_features(_applications(tables)), aggregate_history(tables))


def history_for_client(tables: dict[str, pl.LazyFrame], client_id: int) -> pl.DataFrame:
    """One client's history aggregates (0 or 1 row) from raw history rows.

    For a new applicant sent with history rows: the tables may hold only that
    client's rows, or everything (they are filtered here).
    """
    cid = int(client_id)
    bureau = tables["bureau"].filter(pl.col("SK_ID_CURR") == cid)
    own = {t: tables[t].filter(pl.col("SK_ID_CURR") == cid) for t in HISTORY_TABLES if t != "bureau_balance"}
    own["bureau"] = bureau
    own["bureau_balance"] = tables["bureau_balance"].join(
        bureau.select("SK_ID_BUREAU"), on="SK_ID_BUREAU", how="semi"
    )
    return aggregate_history(own).collect()


#: Python types accepted for each raw column type (bool is refused everywhere).
_ACCEPTED: dict[pl.DataType, tuple[type, ...]] = {
    pl.Int64: (int,), pl.Float64: (int, float), pl.String: (str,),
}


def _application_values(application: dict[str, Any]) -> dict[str, Any]:
    """One raw application record's values in schema order, type-checked.

    Missing fields are null; TARGET is ignored; a value of the wrong type is a UserError.
    """
    unknown = [k for k in application if k not in APPLICATION_SCHEMA and k not in ("SAMPLE",)]
    if unknown:
        raise UserError(f"application record has unknown fields: {', '.join(sorted(unknown)[:10])}")
    values = {}
    for name, dtype in APPLICATION_SCHEMA.items():
        if name == "TARGET":
            continue
        value = application.get(name)
        if dtype == pl.Int64 and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON often turns 2 into 2.0
        if value is not None and not isinstance(value, _ACCEPTED[dtype]) or isinstance(value, bool):
            raise UserError(f"application field {name}: value {value!r} is not a valid {dtype}")
        values[name] = value
    return values


def _application_frame(applications: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Raw application records as a frame with the schema's dtypes (one row each)."""
    rows = [_application_values(application) for application in applications]
    schema = {name: dtype for name, dtype in APPLICATION_SCHEMA.items() if name != "TARGET"}
    # types were checked above, so the row constructor (far faster than a Series per column,
    # which matters on the what-if hot path) cannot silently convert anything
    return pl.DataFrame([list(r.values()) for r in rows], schema=schema, orient="row")


def _history_row(history_aggregates: pl.DataFrame | None, client_id: Any = None) -> pl.DataFrame:
    """The client's history columns (SK_ID_CURR excluded), or one all-null row."""
    schema = history_schema()
    names = [c for c in schema.names() if c != "SK_ID_CURR"]
    if history_aggregates is None or history_aggregates.height == 0:
        return pl.DataFrame({c: [None] for c in names}, schema={c: schema[c] for c in names})
    if history_aggregates.height != 1:
        raise UserError(f"history_aggregates must hold one client's row, got {history_aggregates.height}")
    absent = [c for c in names if c not in history_aggregates.columns]
    if absent:
        raise UserError(f"history_aggregates lacks columns: {', '.join(absent[:10])}")
    if client_id is not None and "SK_ID_CURR" in history_aggregates.columns:
        row_id = history_aggregates["SK_ID_CURR"][0]
        if row_id is not None and row_id != client_id:
            raise UserError(f"history_aggregates is the row of client {row_id}, not of client {client_id}")
    return history_aggregates.select(pl.col(c).cast(schema[c]) for c in names)


def features_for_client(
    application: dict[str, Any], history_aggregates: pl.DataFrame | None
) -> pl.DataFrame:
    """ONE client's feature row (same columns and values as the batch table's row).

    `application` is a raw record with application_train column names (TARGET
    ignored: the output's TARGET is null and SAMPLE is "new");
    `history_aggregates` is that client's row of `aggregate_history` (e.g. read
    from history_features.parquet), or None/empty for a brand-new applicant.
    """
    return features_for_records([application], history_aggregates)


def features_for_records(
    applications: Sequence[dict[str, Any]], history_aggregates: pl.DataFrame | None
) -> pl.DataFrame:
    """`features_for_client` for several versions of ONE client's record at once (one row each,
    in order): the what-if path, batched, for the recourse search's candidates."""
    if not applications:
        raise UserError("features_for_records needs at least one application record")
    ids = {application.get("SK_ID_CURR") for application in applications}
    if len(ids) != 1:
        raise UserError(f"features_for_records takes one client's records, got ids {sorted(map(str, ids))[:5]}")
    app = application_features(_application_frame(applications).lazy())
    hist = _history_row(history_aggregates, applications[0].get("SK_ID_CURR"))
    if len(applications) > 1:
        hist = hist.select(pl.all().gather([0] * len(applications)))
    return _finish(pl.concat([app, hist.lazy()], how="horizontal")).collect(engine="in-memory")


# --- command line --------------------------------------------------------------------------

#: lz4: faster to write than zstd (about 1.5x at real size) for a file about a third larger.
PARQUET_COMPRESSION = "lz4"


def write_features(tables: dict[str, pl.LazyFrame], paths: Paths,
                   source: dict[str, Any] | None = None) -> dict[str, float]:
    """Write history_features.parquet then features.parquet atomically (each only if changed),
    then the manifest naming the raw content `source` they were built from.

    Same result as `build_features`, arranged for speed: the five per-table
    aggregates (the heavy part: millions of history rows) run on the streaming
    engine, are lined up with the application rows by `history_on`, and the
    feature row is assembled exactly as in `features_for_client` (horizontal
    concatenation, then `_finish`). history_features.parquet holds the clients
    that have an application and at least one history row, in application order.
    Returns row/column counts and the seconds spent in each step.
    """
    started = time.perf_counter()
    with step("history aggregates"):
        parts = pl.collect_all(table_aggregates(tables), engine="streaming")
    t_history = time.perf_counter()
    with step("feature table"):
        app = application_features(_applications(tables)).collect()
        history = history_on(app.select("SK_ID_CURR"), parts)
        features = _finish(pl.concat([app, history.drop("SK_ID_CURR")], how="horizontal").lazy()).collect()
        history = history.filter(pl.sum_horizontal(COUNT_COLUMNS) > 0)
    t_features = time.perf_counter()
    with step("write Parquet files"):
        wrote_history = write_if_changed(history, paths.history_features, PARQUET_COMPRESSION)
        wrote_features = write_if_changed(features, paths.features, PARQUET_COMPRESSION)
        write_manifest(paths, source)
    if not (wrote_history or wrote_features):
        log.info("feature tables unchanged (equal within %g): files kept as they were", RTOL)
    ended = time.perf_counter()
    return {
        "clients": features.height, "clients_with_history": history.height, "columns": features.width,
        "rewritten": wrote_history or wrote_features,
        "history_seconds": t_history - started, "join_seconds": t_features - t_history,
        "write_seconds": ended - t_features, "seconds": ended - started,
    }


def cli_features(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py features [--raw DIR]`: build DATA_DIR/processed/features.parquet."""
    from scoring.data.fingerprint import loaded_content, shrink_settings
    from scoring.data.loader import load_tables

    raw_dir = Path(args.raw) if getattr(args, "raw", None) else paths.raw
    if not raw_dir.is_dir():
        raise UserError(f"raw data folder not found: {raw_dir} (run `python main.py generate`)")
    with step(f"load raw tables from {raw_dir}"):
        accept_shrink, max_shrink = shrink_settings(args)
        tables = load_tables(raw_dir, paths.interim, accept_shrink=accept_shrink, max_shrink=max_shrink)
    done = write_features(tables, paths, source=loaded_content(paths.interim))
    log.info("wrote %s (%d clients, %d columns, %d clients with history) and %s",
             paths.features, done["clients"], done["columns"], done["clients_with_history"],
             paths.history_features)
    return 0
