"""SchemaError and the messages that locate a problem in a raw file: header, encoding, row.

Every message names the file, and where it can the column, the row number
(data rows counted from 1) and the row's keys, so a person can open the file
and find the value.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from scoring.data.schema import TableSchema
from scoring.errors import UserError

ROW = "__row"


class SchemaError(UserError):
    """Raw data that does not match `scoring.data.schema`; the message names file, column and row."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


def key_columns(schema: TableSchema) -> list[str]:
    """Columns that identify a row in messages: the primary key, else the parent links."""
    keys = list(schema.primary_key) or [fk.column for fk in schema.foreign_keys]
    if not schema.primary_key and "MONTHS_BALANCE" in schema.column_names:
        keys.append("MONTHS_BALANCE")
    return list(dict.fromkeys(keys))


def where(row: dict, keys: list[str]) -> str:
    """'row 12 (SK_ID_CURR=100002)' from a result row holding the row number and the keys."""
    ident = ", ".join(f"{k}={row[k]}" for k in keys if k in row)
    return f"row {row[ROW]}" + (f" ({ident})" if ident else "")


def read_header(path: Path) -> list[str]:
    """Column names of a CSV file (quoting honoured), or of a Parquet file."""
    if path.suffix == ".parquet":
        try:
            return list(pl.read_parquet_schema(path))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a user error
            raise SchemaError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise SchemaError(f"{path.name}: the file is empty (no header line)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchemaError(encoding_problem(path, [])) from exc
    return next(csv.reader([text]))


def check_header(path: Path, schema: TableSchema, header: list[str]) -> list[str]:
    """Warnings for extra or re-ordered columns; SchemaError for missing or doubled ones."""
    expected = schema.column_names
    missing = [c for c in expected if c not in header]
    doubled = sorted({c for c in header if c in expected and header.count(c) > 1})
    problems = []
    extra = [c for c in header if c not in expected]
    shown = ", ".join("(unnamed)" if not c.strip() else repr(c) for c in extra)
    if missing:
        by_case = {c.casefold(): c for c in extra}
        cased = [(by_case[c.casefold()], c) for c in missing if c.casefold() in by_case]
        if len(cased) == len(missing):
            shown_cased = ", ".join(f"{got!r} for {want}" for got, want in cased[:5])
            more = f" and {len(cased) - 5} more" if len(cased) > 5 else ""
            problems.append(f"{path.name}: {len(cased)} column name(s) differ from the schema only in "
                            f"letter case ({shown_cased}{more}); names are case-sensitive: restore the "
                            "original header")
        else:
            hint = f"; unexpected columns {shown} (renamed?)" if extra else ""
            problems.append(f"{path.name}: {len(missing)} missing column(s): {', '.join(missing)}{hint}")
    if doubled:
        problems.append(f"{path.name}: column(s) appear more than once: {', '.join(doubled)}")
    if problems:
        raise SchemaError("\n".join(problems), problems)
    warnings = []
    if extra:
        warnings.append(f"{path.name}: ignoring {len(extra)} extra column(s): {shown}")
    if [c for c in header if c in expected] != expected:
        warnings.append(f"{path.name}: columns are not in the schema order; they are read by name")
    return warnings


def is_encoding_error(exc: Exception) -> bool:
    return any(word in str(exc).lower() for word in ("utf-8", "utf8"))


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def encoding_problem(path: Path, keys: list[str], chunk: int = 1 << 24) -> str:
    """Locate the first byte that is not UTF-8 and describe the row and column holding it.

    Reads whole lines per chunk (the unfinished last line is carried over), so
    a character is never split and the bad line is always complete.
    """
    line_no, carry = 1, b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            lines, carry = data[:cut], data[cut:]
            try:
                lines.decode("utf-8")
            except UnicodeDecodeError as err:
                bad_at = err.start
                start = lines.rfind(b"\n", 0, bad_at) + 1
                end = lines.find(b"\n", bad_at)
                line = lines[start:end if end >= 0 else len(lines)]
                line_no += lines.count(b"\n", 0, bad_at)
                return describe_bad_line(path, keys, line_no, line, lines[bad_at])
            line_no += lines.count(b"\n")
            if not block:
                return f"{path.name}: not UTF-8 encoded (re-save the file as UTF-8)"


def describe_bad_line(path: Path, keys: list[str], line_no: int, line: bytes, byte: int) -> str:
    """Name the column of the bad byte; show the value as cp1252 would read it."""
    text = f"{path.name}: not UTF-8 encoded (byte 0x{byte:02X} on line {line_no}"
    if line_no == 1:
        return text + ", the header); re-save the file as UTF-8"
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = next(csv.reader([fh.readline()]))
        fields = next(csv.reader([line.decode("latin-1").rstrip("\r")]))
    except (StopIteration, csv.Error):
        return text + "); re-save the file as UTF-8"
    values = dict(zip(header, fields))
    column = ""
    for name, value in values.items():
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            shown = value.encode("latin-1").decode("cp1252", errors="replace")
            column = f", column {name}, value {shown!r} if read as cp1252"
            break
    row = {ROW: line_no - 1, **{k: values[k] for k in keys if k in values}}
    return f"{text}{column}) at {where(row, keys)}; re-save the file as UTF-8"


