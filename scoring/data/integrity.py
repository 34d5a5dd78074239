"""Integrity checks of raw files beyond types: truncation, empty tables, numbers, shared keys.

Split from `scoring.data.loader` so each stays readable. Every check is a
vectorised Polars query (or a read of the file's last bytes); messages name
the file, the column, a row and its key, and the value, and stay bounded
(a count plus the first few example rows per rule).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scoring.data.schema import MAX_ABS, Range, Severity, TableSchema

_ROW = "__row"
_EXAMPLES = 3  # example rows quoted per broken rule
_TAIL = 1 << 16  # bytes read from the end of a CSV to find its last line


# --------------------------------------------------------------------------- reading


def empty_strings_as_null(schema: TableSchema) -> list[pl.Expr]:
    """Empty strings as null in a Parquet copy, like unquoted empty CSV fields (a CSV's
    quoted-empty fields are already null: the reader is given `null_values=[""]`).

    Polars keeps `""` as an empty string; an empty string is never a valid
    value of any raw column, so a fully quoted export reads like a plain one.
    """
    return [pl.when(pl.col(c.name) != "").then(pl.col(c.name)).alias(c.name)
            if c.kind == "str" else pl.col(c.name) for c in schema.columns]


def truncation_problem(path: Path, header: list[str]) -> str | None:
    """Error when a CSV does not end with a complete line (a copy cut short).

    Only the last bytes are read; the line number is counted (one streaming
    pass) only when the file is broken.
    """
    if path.suffix != ".csv":
        return None
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - _TAIL))
        tail = fh.read()
    if size > _TAIL:
        tail = tail[tail.find(b"\n") + 1:]  # start on a line boundary
    records = _records(tail)
    if len(records) <= (1 if size <= _TAIL else 0):
        return None  # the header alone: an empty table, checked elsewhere
    fields = records[-1]
    if tail.endswith(b"\n"):
        if len(fields) >= len(header):
            return None
        why = "has"
    else:
        why = "has no line end and"
    shown = ",".join(fields)[:60]
    return (f"{path.name}: the file does not end with a complete line (cut short?): line "
            f"{_count_lines(path)} {why} {len(fields)} of {len(header)} field(s), starting {shown!r}")


def _records(data: bytes) -> list[list[str]]:
    """CSV records of a block (quoted line breaks honoured), blank lines dropped."""
    text = data.decode("utf-8", errors="replace")
    try:
        return [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    except csv.Error:
        return [r for r in csv.reader(io.StringIO(text.replace('"', ""), newline="")) if r]


def _count_lines(path: Path, chunk: int = 1 << 24) -> int:
    """Number of the last line (1-based), counting a final line without a line end."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def empty_table_problem(label: str, schema: TableSchema, rows: int) -> str | None:
    """Error for a header-only table that the pipeline cannot do without."""
    if rows or not schema.must_have_rows:
        return None
    return f"{label}: no data rows (only a header); this table must have rows"


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class NumberCheck:
    """One vectorised rule on one column: its mask of bad rows and how to say it."""

    key: str
    column: str
    mask: pl.Expr
    severity: Severity
    expected: str


def number_checks(schema: TableSchema) -> list[NumberCheck]:
    """Non-finite and absurd magnitudes (errors) plus the declared ranges of the schema."""
    checks = []
    for c in schema.columns:
        if c.kind == "str":
            continue
        value = pl.col(c.name)
        if c.kind == "int":  # compared as integers: no cast, and abs(Int64 min) would overflow
            bad = (value > int(MAX_ABS)) | (value < -int(MAX_ABS))
        else:
            bad = ~value.is_finite() | (value.abs() > MAX_ABS)
        checks.append(NumberCheck(f"finite:{c.name}", c.name, value.is_not_null() & bad, "error",
                                  f"a finite number of magnitude <= {MAX_ABS:g}"))
    for i, rule in enumerate(schema.ranges):
        for column in rule.columns:
            checks.append(NumberCheck(f"range{i}:{column}", column, _out_of_range(column, rule),
                                      rule.severity, rule.describe()))
    return checks


def _out_of_range(column: str, rule: Range) -> pl.Expr:
    """True where a plausible-size finite value breaks the rule (null, NaN and the sentinel pass)."""
    value = pl.col(column)
    out = pl.lit(False)
    if rule.low is not None:
        out = out | (value < rule.low)
    if rule.high is not None:
        out = out | (value > rule.high)
    as_float = value.cast(pl.Float64)
    out = value.is_not_null() & as_float.is_finite() & (as_float.abs() <= MAX_ABS) & out  # no double report
    if rule.sentinel is not None:
        out = out & (value != rule.sentinel)
    return out


def describe_numbers(label: str, lf: pl.LazyFrame, checks: list[NumberCheck], counts: dict,
                     keys: list[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the checks whose count is not zero, with the first example rows."""
    errors: list[str] = []
    warnings: list[str] = []
    numbered = lf.with_row_index(_ROW, offset=1)
    for check in checks:
        n = counts[check.key]
        if not n:
            continue
        cols = list(dict.fromkeys([_ROW, *keys, check.column]))
        rows = numbered.filter(check.mask).select(cols).head(_EXAMPLES).collect().rows(named=True)
        shown = "; ".join(f"{_value(r[check.column])} at {_where(r, keys)}" for r in rows)
        text = (f"{label}: column {check.column}: {n:,} value(s) not {check.expected}, "
                f"e.g. {shown}")
        (errors if check.severity == "error" else warnings).append(text)
    return errors, warnings


def _value(v: object) -> str:
    """A value as a person reads it: huge integers (often overflow codes) in short float form."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (int, float)) and abs(v) > MAX_ABS:
        return f"{v:.3g}"
    return repr(v)


def _where(row: dict, keys: list[str]) -> str:
    ident = ", ".join(f"{k}={row[k]}" for k in keys if k in row)
    return f"row {row[_ROW]}" + (f" ({ident})" if ident else "")


# --------------------------------------------------------------------------- keys across files


def shared_key_problem(labels: dict[str, str], frames: dict[str, pl.LazyFrame],
                       key: str = "SK_ID_CURR") -> str | None:
    """Error when one client number is both a training and a new client.

    `labels` and `frames` hold the two application tables (train first).
    """
    (a, b) = list(frames)
    left = frames[a].with_row_index("__row_a", offset=1).select("__row_a", key)
    right = frames[b].with_row_index("__row_b", offset=1).select("__row_b", key)
    both = (left.join(right, on=key, how="inner")
            .select(pl.len().alias("n"), pl.col("__row_a").min().alias("first_a"))
            .collect(engine="streaming").row(0, named=True))
    if not both["n"]:
        return None
    ex = (left.join(right, on=key, how="inner").filter(pl.col("__row_a") == both["first_a"])
          .sort("__row_b").head(1).collect().row(0, named=True))
    return (f"{labels[a]} and {labels[b]}: {both['n']:,} {key} value(s) appear in both files "
            f"(a client is either a training or a new client), e.g. {key}={ex[key]} at row "
            f"{ex['__row_a']} of {labels[a]} and row {ex['__row_b']} of {labels[b]}")


__all__ = [
    "NumberCheck",
    "describe_numbers",
    "empty_strings_as_null",
    "empty_table_problem",
    "number_checks",
    "shared_key_problem",
    "truncation_problem",
]
