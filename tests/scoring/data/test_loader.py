"""The raw-data loader: real sample rows load with the schema dtypes; bad files get precise errors."""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from scoring.cli.commands import main as cli_main
from scoring.data.loader import (
    FINGERPRINT,
    SchemaError,
    cli_validate,
    load_tables,
    read_table,
    validate_raw,
)
from scoring.data.schema import TABLES
from scoring.paths import Paths
from tests.realdata import REAL_SAMPLES

# --------------------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)


def set_cell(path: Path, column: str, row: int, value: str, encoding: str = "utf-8") -> dict[str, str]:
    """Overwrite one cell (row counts data rows from 1); return that row as it was."""
    rows = read_rows(path)
    before = dict(zip(rows[0], rows[row]))
    rows[row][rows[0].index(column)] = value
    write_rows(path, rows, encoding)
    return before


def column_values(path: Path, column: str) -> list[str]:
    rows = read_rows(path)
    i = rows[0].index(column)
    return [r[i] for r in rows[1:]]


def leftovers(interim: Path) -> list[Path]:
    """Anything the loader left in or beside the interim folder."""
    if not interim.parent.exists():
        return []
    return [p for p in interim.parent.iterdir() if p.name.startswith((interim.name, f".{interim.name}"))]


@pytest.fixture()
def raw(tmp_path: Path, realdata_dir: Path) -> Path:
    """The real sample files under their Kaggle names."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for table, sample in REAL_SAMPLES.items():
        shutil.copy(realdata_dir / sample, folder / TABLES[table].file_name)
    return folder


@pytest.fixture()
def interim(tmp_path: Path) -> Path:
    return tmp_path / "data" / "interim"


# --------------------------------------------------------------------------- real samples


def test_real_samples_validate_with_extra_column_warning(raw: Path) -> None:
    report = validate_raw(raw)
    assert report.ok, report.format()
    for table, sample in REAL_SAMPLES.items():
        name = TABLES[table].file_name
        has_index = read_rows(raw / name)[0][0] == ""
        assert has_index == sample.startswith("jointest_")
        warned = f"{name}: ignoring 1 extra column(s): (unnamed)" in report.warnings
        assert warned == has_index, name
        assert report.row_counts[table] == len(read_rows(raw / name)) - 1
    assert "OK" in report.format().splitlines()[0]


def test_loaded_tables_match_an_independent_read_and_keep_the_quirks(raw: Path, interim: Path) -> None:
    frames = load_tables(raw, interim)
    assert list(frames) == list(TABLES)
    for table, lf in frames.items():
        schema = TABLES[table]
        df = lf.collect()
        assert df.schema == pl.Schema(schema.polars_schema), table
        path = raw / schema.file_name
        expected = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
        for col in schema.columns:
            got = df[col.name].to_list()
            want = [None if pd.isna(v) else v for v in expected[col.name]]
            if col.kind == "str":
                assert got == want, (table, col.name)
            else:
                as_float = np.array([np.nan if v is None else float(v) for v in want])
                np.testing.assert_array_equal(np.array(got, dtype=float), as_float, err_msg=col.name)
    app = frames["application_train"].collect()
    text = (raw / "application_train.csv").read_text(encoding="utf-8")
    # the quirks of the real rows survive the round trip
    assert '"Spouse, partner"' in text and "Spouse, partner" in app["NAME_TYPE_SUITE"].to_list()
    assert (app["DAYS_EMPLOYED"] == 365243).any()
    assert app.filter(pl.col("DAYS_EMPLOYED") == 365243)["ORGANIZATION_TYPE"].unique().to_list() == ["XNA"]
    status = frames["bureau_balance"].collect()["STATUS"]
    assert status.dtype == pl.String and {"C", "0"} <= set(status.to_list())
    prev = frames["previous_application"].collect()
    assert "XAP" in prev["CODE_REJECT_REASON"].to_list()


def test_parquet_copy_is_reused_until_a_raw_file_changes(raw: Path, interim: Path) -> None:
    load_tables(raw, interim)
    stamps = {p.name: p.stat().st_mtime_ns for p in interim.glob("*.parquet")}
    assert len(stamps) == len(TABLES) and (interim / FINGERPRINT).is_file()
    frames = load_tables(raw, interim)
    assert {p.name: p.stat().st_mtime_ns for p in interim.glob("*.parquet")} == stamps
    assert frames["bureau"].select(pl.len()).collect().item() == 1000

    rows = read_rows(raw / "bureau.csv")
    write_rows(raw / "bureau.csv", rows[:-1])
    frames = load_tables(raw, interim)
    assert frames["bureau"].select(pl.len()).collect().item() == 999
    assert (interim / "bureau.parquet").stat().st_mtime_ns != stamps["bureau.parquet"]
    assert leftovers(interim) == [interim]


def test_parquet_inputs_with_shuffled_and_extra_columns(raw: Path, tmp_path: Path) -> None:
    expected = {t: lf.collect() for t, lf in load_tables(raw, tmp_path / "i1").items()}
    pq_raw = tmp_path / "pq_raw"
    pq_raw.mkdir()
    for table, df in expected.items():
        df.select(reversed(df.columns)).with_columns(pl.lit(1).alias("extra")).write_parquet(
            pq_raw / TABLES[table].parquet_name)
    report = validate_raw(pq_raw)
    assert report.ok, report.format()
    assert "bureau.parquet: columns are not in the schema order; they are read by name" in report.warnings
    assert "bureau.parquet: ignoring 1 extra column(s): 'extra'" in report.warnings
    for table, lf in load_tables(pq_raw, tmp_path / "i2").items():
        assert lf.collect().equals(expected[table]), table


def test_shuffled_csv_columns_are_read_by_name(raw: Path, tmp_path: Path) -> None:
    before = read_table(raw / "bureau.csv", "bureau")
    rows = read_rows(raw / "bureau.csv")
    write_rows(raw / "bureau.csv", [list(reversed(r)) for r in rows])
    report = validate_raw(raw)
    assert report.ok, report.format()
    assert "bureau.csv: columns are not in the schema order; they are read by name" in report.warnings
    assert read_table(raw / "bureau.csv", "bureau").equals(before)


def test_unknown_parent_keys_are_a_counted_warning(raw: Path) -> None:
    app_ids = set(column_values(raw / "application_train.csv", "SK_ID_CURR"))
    test_ids = column_values(raw / "application_test.csv", "SK_ID_CURR")
    rows = read_rows(raw / "bureau.csv")
    i = rows[0].index("SK_ID_CURR")
    for r, new_id in zip(rows[1:6], test_ids):  # five rows now point at application_test clients
        r[i] = new_id
    write_rows(raw / "bureau.csv", rows)
    known = app_ids | set(test_ids)
    orphans = [r[i] for r in rows[1:] if r[i] not in known]
    assert 0 < len(orphans) < 1000 - 4

    report = validate_raw(raw)
    assert report.ok, report.format()
    [warning] = [w for w in report.warnings if w.startswith("bureau.csv:") and "SK_ID_CURR" in w]
    assert (f"{len(orphans):,} row(s) have a SK_ID_CURR not found in "
            "application_train or application_test.SK_ID_CURR") in warning


# --------------------------------------------------------------------------- bad input


def _missing_file(raw: Path) -> list[str]:
    (raw / "bureau.csv").unlink()
    return ["bureau.csv: file missing"]


def _renamed_columns(raw: Path) -> list[str]:
    rows = read_rows(raw / "bureau.csv")
    rename = {"AMT_ANNUITY": "AMT_ANUITY", "DAYS_CREDIT": "DAYS_CRED"}
    rows[0] = [rename.get(c, c) for c in rows[0]]
    write_rows(raw / "bureau.csv", rows)
    return ["bureau.csv: 2 missing column(s): DAYS_CREDIT, AMT_ANNUITY", "'DAYS_CRED'", "'AMT_ANUITY'",
            "renamed?"]


def _non_numeric(raw: Path) -> list[str]:
    row = set_cell(raw / "bureau.csv", "AMT_CREDIT_SUM", 3, "abc")
    return ["bureau.csv: column AMT_CREDIT_SUM: 1 value(s) not a number", "'abc' at row 3",
            f"SK_ID_BUREAU={row['SK_ID_BUREAU']}"]


def _not_integer(raw: Path) -> list[str]:
    row = set_cell(raw / "bureau_balance.csv", "MONTHS_BALANCE", 5, "-3.5")
    return ["bureau_balance.csv: column MONTHS_BALANCE: 1 value(s) not an integer", "'-3.5' at row 5",
            f"SK_ID_BUREAU={row['SK_ID_BUREAU']}"]


def _unknown_category(raw: Path) -> list[str]:
    row = set_cell(raw / "previous_application.csv", "NAME_CONTRACT_STATUS", 2, "Maybe")
    return ["previous_application.csv: column NAME_CONTRACT_STATUS: 1 unknown category value(s)",
            "'Maybe' at row 2", f"SK_ID_PREV={row['SK_ID_PREV']}"]


def _null_string(raw: Path) -> list[str]:
    row = set_cell(raw / "application_test.csv", "NAME_CONTRACT_TYPE", 7, "")
    return ["application_test.csv: column NAME_CONTRACT_TYPE: 1 empty value(s) in a column that must "
            f"be filled, e.g. at row 7 (SK_ID_CURR={row['SK_ID_CURR']})"]


def _null_int(raw: Path) -> list[str]:
    set_cell(raw / "POS_CASH_balance.csv", "SK_DPD", 4, "")
    return ["POS_CASH_balance.csv: column SK_DPD: 1 empty value(s)", "at row 4"]


def _cp1252(raw: Path) -> list[str]:
    row = set_cell(raw / "application_test.csv", "ORGANIZATION_TYPE", 9, "Caf\u00e9", encoding="cp1252")
    return ["application_test.csv: not UTF-8 encoded", "byte 0xE9 on line 10",
            "column ORGANIZATION_TYPE, value 'Café' if read as cp1252",
            f"at row 9 (SK_ID_CURR={row['SK_ID_CURR']})"]


def _duplicate_key(raw: Path) -> list[str]:
    rows = read_rows(raw / "bureau.csv")
    write_rows(raw / "bureau.csv", rows + [rows[5]])
    key = rows[5][rows[0].index("SK_ID_BUREAU")]
    return ["bureau.csv: duplicate primary key (SK_ID_BUREAU): 1 key value(s) appear on more than one row",
            f"SK_ID_BUREAU={key} at rows 5, {len(rows)}"]


BAD_INPUTS = [_missing_file, _renamed_columns, _non_numeric, _not_integer, _unknown_category,
              _null_string, _null_int, _cp1252, _duplicate_key]


@pytest.mark.parametrize("spoil", BAD_INPUTS, ids=lambda f: f.__name__.strip("_"))
def test_bad_input_is_named_and_nothing_is_written(spoil, raw: Path, interim: Path) -> None:
    expected = spoil(raw)
    report = validate_raw(raw)
    assert not report.ok
    assert len(report.errors) == 1, report.format()
    for text in expected:
        assert text in report.errors[0], (text, report.errors[0])
    with pytest.raises(SchemaError) as caught:
        load_tables(raw, interim)
    assert report.errors[0] in str(caught.value)
    assert leftovers(interim) == []


def test_every_error_is_collected(raw: Path, interim: Path) -> None:
    expected = [spoil(raw) for spoil in (_missing_file, _unknown_category, _null_int, _cp1252)]
    report = validate_raw(raw)
    assert len(report.errors) == len(expected), report.format()
    text = report.format()
    for texts in expected:
        assert all(t in text for t in texts), texts
    assert "FAILED (4 error(s)" in text.splitlines()[0]


def test_failed_reload_keeps_the_previous_copy(raw: Path, interim: Path) -> None:
    load_tables(raw, interim)
    before = {p.name: p.read_bytes() for p in interim.iterdir()}
    set_cell(raw / "bureau.csv", "CREDIT_ACTIVE", 1, "Zombie")
    with pytest.raises(SchemaError, match="unknown category value"):
        load_tables(raw, interim)
    assert {p.name: p.read_bytes() for p in interim.iterdir()} == before
    assert leftovers(interim) == [interim]


def test_read_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "bureau_balance.csv"
    path.write_text("")
    with pytest.raises(SchemaError, match="bureau_balance.csv: the file is empty"):
        read_table(path, "bureau_balance")
    with pytest.raises(SchemaError, match="unknown table 'bureau_bal'"):
        read_table(path, "bureau_balance".removesuffix("ance"))
    pq = tmp_path / "bureau_balance.parquet"
    pl.DataFrame({"SK_ID_BUREAU": [1, 2], "MONTHS_BALANCE": [-1.0, -2.5], "STATUS": ["C", "X"]}).write_parquet(pq)
    with pytest.raises(SchemaError, match=r"column MONTHS_BALANCE: 1 value\(s\) not an integer, e.g. -2.5 at row 2"):
        read_table(pq, "bureau_balance")


def test_cli_validate_prints_the_report(raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    paths = Paths(data_dir=tmp_path / "nowhere")
    assert cli_validate(argparse.Namespace(raw=raw), paths) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Raw data check of {raw}: OK") and "bureau_balance" in out
    set_cell(raw / "bureau.csv", "CREDIT_ACTIVE", 2, "Zombie")
    assert cli_main(["validate", "--raw", str(raw)]) == 2
    out = capsys.readouterr().out
    assert "FAILED" in out and "bureau.csv: column CREDIT_ACTIVE" in out
    # default folder is DATA_DIR/raw
    assert cli_validate(argparse.Namespace(raw=None), paths) == 2
    assert f"raw data folder not found: {paths.raw}" in capsys.readouterr().out


def test_encoding_error_is_located_across_chunk_boundaries(tmp_path: Path) -> None:
    from scoring.data.diagnostics import encoding_problem

    lines = [b"SK_ID_CURR,NAME"] + [b"%d,abc\xc3\xa9def" % i for i in range(1, 60)]
    lines[42] = b"142,Caf\xe9 au lait"
    path = tmp_path / "x.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for chunk in (5, 7, 13, 64, 1 << 20):  # boundaries inside characters, lines and the bad byte
        message = encoding_problem(path, ["SK_ID_CURR"], chunk=chunk)
        assert message == ("x.csv: not UTF-8 encoded (byte 0xE9 on line 43, column NAME, value "
                           "'Café au lait' if read as cp1252) at row 42 (SK_ID_CURR=142); "
                           "re-save the file as UTF-8"), chunk


def test_hand_written_csv_with_bom_crlf_and_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "bureau_balance.csv"
    path.write_bytes("\ufeffSTATUS,SK_ID_BUREAU,MONTHS_BALANCE\r\n\"C\",7,-1\r\n0,7,0\r\nX,8,-3\r\n".encode())
    df = read_table(path, "bureau_balance")
    assert df.columns == ["SK_ID_BUREAU", "MONTHS_BALANCE", "STATUS"]
    assert df.rows() == [(7, -1, "C"), (7, 0, "0"), (8, -3, "X")]
    prev = tmp_path / "p.csv"
    cols = TABLES["previous_application"].column_names
    row = {c: "1" for c in cols} | {"NAME_TYPE_SUITE": "Spouse, partner", "PRODUCT_COMBINATION": ""}
    with open(prev, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, cols)
        writer.writeheader()
        writer.writerow(row)
    got = read_table(prev, "previous_application").row(0, named=True)
    assert got["NAME_TYPE_SUITE"] == "Spouse, partner" and got["PRODUCT_COMBINATION"] is None
    assert got["SK_ID_PREV"] == 1 and got["AMT_ANNUITY"] == 1.0
