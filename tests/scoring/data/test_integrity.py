"""Integrity checks of `validate`: each fault gets its own message and nothing is written."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from scoring.data.generator.dataset import generate
from scoring.data.integrity import truncation_problem
from scoring.data.loader import SchemaError, load_tables, validate_raw
from scoring.data.schema import TABLES
from tests.scoring.data.test_loader import leftovers, read_rows, set_cell, write_rows


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "raw"
    generate(folder, 300, 40, 7)
    return folder


@pytest.fixture()
def raw(generated: Path, tmp_path: Path) -> Path:
    """A fresh valid synthetic raw folder per test."""
    folder = tmp_path / "raw"
    shutil.copytree(generated, folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_rejected(raw: Path, tmp_path: Path, fault, expected: list[str]) -> list[str]:
    """Load a valid copy first, inject the fault, then: the message, and nothing written."""
    interim = tmp_path / "data" / "interim"
    load_tables(raw, interim)
    before = snapshot(interim)
    fault(raw)
    report = validate_raw(raw)
    assert not report.ok
    matching = [e for e in report.errors if all(t in e for t in expected)]
    assert matching, report.format()
    assert "9223372036854775808" not in report.format()
    with pytest.raises(SchemaError) as caught:
        load_tables(raw, interim)
    assert matching[0] in str(caught.value)
    assert snapshot(interim) == before  # the previous copy is kept byte for byte
    assert leftovers(interim) == [interim]
    fresh = tmp_path / "data2" / "interim"
    with pytest.raises(SchemaError):
        load_tables(raw, fresh)
    assert leftovers(fresh) == []  # and no copy appears where there was none
    return report.errors


# --------------------------------------------------------------------------- 1. truncated file


def test_a_csv_cut_short_names_the_file_and_line(raw: Path, tmp_path: Path) -> None:
    path = raw / "bureau.csv"
    lines = len(read_rows(path))
    data = path.read_bytes()

    def cut(raw: Path) -> None:
        path.write_bytes(data[:-40])

    errors = assert_rejected(raw, tmp_path, cut, [
        "bureau.csv: the file does not end with a complete line (cut short?)",
        f"line {lines} has no line end and"])
    assert len(errors) == 1


def test_a_last_line_with_missing_fields_is_an_error_even_with_a_line_end(raw: Path) -> None:
    path = raw / "bureau_balance.csv"
    rows = read_rows(path)
    write_rows(path, rows[:-1] + [rows[-1][:2]])
    report = validate_raw(raw)
    assert (f"bureau_balance.csv: the file does not end with a complete line (cut short?): "
            f"line {len(rows)} has 2 of 3 field(s)") in report.errors[0], report.format()


def test_complete_files_and_a_bare_header_are_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "bureau_balance.csv"
    header = ["SK_ID_BUREAU", "MONTHS_BALANCE", "STATUS"]
    for text in ("SK_ID_BUREAU,MONTHS_BALANCE,STATUS", "SK_ID_BUREAU,MONTHS_BALANCE,STATUS\r\n",
                 "SK_ID_BUREAU,MONTHS_BALANCE,STATUS\n1,-1,C\n", '"a","b","c"\n1,-1,"x\ny"\n'):
        path.write_text(text, newline="")
        assert truncation_problem(path, header) is None, text


# --------------------------------------------------------------------------- 2. empty tables


def test_a_header_only_training_table_is_an_error(raw: Path, tmp_path: Path) -> None:
    def empty(raw: Path) -> None:
        path = raw / "application_train.csv"
        write_rows(path, read_rows(path)[:1])

    errors = assert_rejected(raw, tmp_path, empty, [
        "application_train.csv: no data rows (only a header); this table must have rows"])
    assert len(errors) == 1


def test_header_only_optional_tables_are_allowed(raw: Path) -> None:
    assert [t for t, s in TABLES.items() if s.must_have_rows] == ["application_train"]
    for table in ("application_test", "credit_card_balance"):
        path = raw / TABLES[table].file_name
        write_rows(path, read_rows(path)[:1])
    report = validate_raw(raw)
    assert report.ok, report.format()
    assert report.row_counts["application_test"] == 0


# --------------------------------------------------------------------------- 3. numbers


@pytest.mark.parametrize("value", ["inf", "-inf", "NaN", "1e308"])
def test_non_finite_or_absurd_numbers_are_errors(value: str, raw: Path, tmp_path: Path) -> None:
    path = raw / "bureau.csv"
    key = read_rows(path)[4][read_rows(path)[0].index("SK_ID_BUREAU")]
    shown = {"1e308": "1e+308"}.get(value, value)
    errors = assert_rejected(
        raw, tmp_path, lambda raw: set_cell(path, "AMT_CREDIT_SUM", 4, value),
        ["bureau.csv: column AMT_CREDIT_SUM: 1 value(s) not a finite number",
         f"e.g. {shown} at row 4 (SK_ID_BUREAU={key})"])
    assert len(errors) == 1, errors


def test_huge_integers_are_errors_shown_in_short_form(raw: Path, tmp_path: Path) -> None:
    path = raw / "POS_CASH_balance.csv"
    errors = assert_rejected(
        raw, tmp_path, lambda raw: set_cell(path, "SK_DPD", 2, "-9223372036854775808"),
        ["POS_CASH_balance.csv: column SK_DPD: 1 value(s) not a finite number", "e.g. -9.22e+18 at row 2"])
    assert len(errors) == 1 and "922337203685477580" not in errors[0], errors


def test_out_of_range_values_are_counted_with_a_few_examples(raw: Path, tmp_path: Path) -> None:
    path = raw / "application_train.csv"

    def old(raw: Path) -> None:
        rows = read_rows(path)
        i = rows[0].index("DAYS_BIRTH")
        for r in rows[1:11]:
            r[i] = "-40000"  # 109 years old
        write_rows(path, rows)

    errors = assert_rejected(raw, tmp_path, old, [
        "application_train.csv: column DAYS_BIRTH: 10 value(s) not between -36525 and -6574.5",
        "e.g. -40000 at row 1 (SK_ID_CURR="])
    [message] = [e for e in errors if "DAYS_BIRTH" in e]
    assert message.count(" at row ") == 3  # bounded: the count and three examples


def test_days_employed_sentinel_passes_but_future_days_do_not(raw: Path, tmp_path: Path) -> None:
    path = raw / "application_train.csv"
    set_cell(path, "DAYS_EMPLOYED", 2, "365243")
    assert validate_raw(raw).ok
    assert_rejected(raw, tmp_path, lambda raw: set_cell(path, "DAYS_EMPLOYED", 3, "120"),
                    ["column DAYS_EMPLOYED: 1 value(s) not <= 0 (or 365243), e.g. 120 at row 3"])


def test_negative_counts_are_errors(raw: Path, tmp_path: Path) -> None:
    path = raw / "POS_CASH_balance.csv"
    assert_rejected(raw, tmp_path, lambda raw: set_cell(path, "SK_DPD", 6, "-2"),
                    ["POS_CASH_balance.csv: column SK_DPD: 1 value(s) not >= 0, e.g. -2 at row 6"])


def test_a_rule_the_real_files_break_is_a_warning(raw: Path) -> None:
    set_cell(raw / "bureau.csv", "DAYS_CREDIT_UPDATE", 2, "15")
    report = validate_raw(raw)
    assert report.ok, report.format()
    assert any(w.startswith("bureau.csv: column DAYS_CREDIT_UPDATE: 1 value(s) not <= 0, e.g. 15 at row 2")
               for w in report.warnings), report.warnings


# --------------------------------------------------------------------------- 4. keys across files


def test_a_client_in_both_application_files_is_an_error(raw: Path, tmp_path: Path) -> None:
    train = read_rows(raw / "application_train.csv")
    key = train[5][train[0].index("SK_ID_CURR")]
    errors = assert_rejected(
        raw, tmp_path, lambda raw: set_cell(raw / "application_test.csv", "SK_ID_CURR", 3, key),
        ["application_train.csv and application_test.csv: 1 SK_ID_CURR value(s) appear in both files",
         f"e.g. SK_ID_CURR={key} at row 5 of application_train.csv and row 3 of application_test.csv"])
    assert len(errors) == 1


# --------------------------------------------------------------------------- 5. quoted empties


def test_a_fully_quoted_export_loads_like_the_plain_one(raw: Path, tmp_path: Path) -> None:
    plain = {t: lf.collect() for t, lf in load_tables(raw, tmp_path / "i1").items()}
    for schema in TABLES.values():
        path = raw / schema.file_name
        rows = read_rows(path)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    assert '""' in (raw / "application_train.csv").read_text(encoding="utf-8")
    report = validate_raw(raw)
    assert report.ok and not report.warnings, report.format()
    for table, lf in load_tables(raw, tmp_path / "i2").items():
        assert lf.collect().equals(plain[table]), table


def test_a_quoted_empty_in_a_required_column_is_an_empty_value(raw: Path) -> None:
    path = raw / "bureau.csv"
    rows = read_rows(path)
    rows[2][rows[0].index("CREDIT_ACTIVE")] = ""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    report = validate_raw(raw)
    assert any("column CREDIT_ACTIVE: 1 empty value(s) in a column that must be filled" in e
               for e in report.errors), report.format()
    assert not any("unknown category" in e for e in report.errors)


def test_ranges_name_only_numeric_schema_columns() -> None:
    for schema in TABLES.values():
        for rule in schema.ranges:
            assert all(schema.column(c).kind != "str" for c in rule.columns), schema.name


def test_a_header_differing_only_in_case_says_so(raw: Path, tmp_path: Path) -> None:
    def lower(raw: Path) -> None:
        rows = read_rows(raw / "application_train.csv")
        write_rows(raw / "application_train.csv", [[c.lower() for c in rows[0]], *rows[1:]])

    errors = assert_rejected(raw, tmp_path, lower, ["application_train.csv", "only in letter case",
                                                    "'sk_id_curr' for SK_ID_CURR", "case-sensitive"])
    assert not any("missing column" in e for e in errors)


def test_a_parquet_copy_beside_the_csv_is_reported_as_ignored(raw: Path) -> None:
    import polars as pl

    pl.DataFrame({"SK_ID_CURR": [1]}).write_parquet(raw / TABLES["bureau"].parquet_name)
    report = validate_raw(raw)
    assert report.ok
    assert any(w.startswith("bureau.parquet: ignored, bureau.csv is read instead") for w in report.warnings)


def test_shrink_settings_keep_an_explicit_zero() -> None:
    """`--max-shrink 0` means no row may be lost (it once fell back to the 10 % default)."""
    import argparse

    from scoring.cli.commands import build_parser
    from scoring.data.fingerprint import DEFAULT_MAX_SHRINK, shrink_settings

    assert shrink_settings(build_parser().parse_args(["validate", "--max-shrink", "0"])) == (False, 0.0)
    assert shrink_settings(build_parser().parse_args(["pipeline", "--accept-shrink"])) == (True, DEFAULT_MAX_SHRINK)
    assert shrink_settings(argparse.Namespace()) == (False, DEFAULT_MAX_SHRINK)
