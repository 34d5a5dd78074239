"""The feature table: hand-computed aggregates on tiny tables, batch == single-client path."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.data.schema import TABLES
from scoring.errors import UserError
from scoring.features import table as F
from scoring.paths import Paths
from tests.realdata import REAL_SAMPLES

CODE = 365243  # "not applicable" day count


def make_frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A schema-complete frame: tests give only the interesting columns, the rest get defaults.

    Defaults: integers 0, floats null, strings the first allowed category (null if nullable).
    """
    schema = TABLES[table]
    data: dict[str, list[Any]] = {}
    for col in schema.columns:
        if col.kind == "int":
            default: Any = 0
        elif col.kind == "float":
            default = None
        else:
            default = None if col.nullable else (col.categories[0] if col.categories else "x")
        data[col.name] = [r.get(col.name, default) for r in rows]
    unknown = {k for r in rows for k in r} - set(schema.column_names)
    assert not unknown, f"test rows use unknown columns {unknown}"
    return pl.DataFrame(data, schema=schema.polars_schema)


def _app(cid: int, **kw: Any) -> dict[str, Any]:
    base = dict(SK_ID_CURR=cid, AMT_INCOME_TOTAL=100_000.0, AMT_CREDIT=200_000.0, AMT_ANNUITY=10_000.0,
                AMT_GOODS_PRICE=180_000.0, CNT_FAM_MEMBERS=2.0, DAYS_BIRTH=-14_610, DAYS_EMPLOYED=-3_653,
                DAYS_REGISTRATION=-730.5, DAYS_ID_PUBLISH=-365, DAYS_LAST_PHONE_CHANGE=0.0,
                EXT_SOURCE_1=0.2, EXT_SOURCE_2=0.4, EXT_SOURCE_3=None)
    base.update(kw)
    return base


def tiny_tables() -> dict[str, pl.DataFrame]:
    """Client 100: full history; 101: none (and no job: 365243); 102: one previous application;
    103: one bureau credit without monthly balance; new client 200: two bureau credits whose
    monthly balances were never late."""
    return {
        "application_train": make_frame("application_train", [
            _app(100, TARGET=1, FLAG_DOCUMENT_3=1, FLAG_DOCUMENT_5=1),
            _app(101, TARGET=0, DAYS_EMPLOYED=CODE, EXT_SOURCE_1=None, EXT_SOURCE_2=None,
                 CNT_FAM_MEMBERS=None, CODE_GENDER="M", OCCUPATION_TYPE="Drivers"),
            _app(102, TARGET=0, AMT_INCOME_TOTAL=50_000.0, AMT_ANNUITY=None),
            _app(103, TARGET=0),
        ]),
        "application_test": make_frame("application_test", [
            {k: v for k, v in _app(200, AMT_CREDIT=0.0).items() if k != "TARGET"},
        ]),
        "bureau": make_frame("bureau", [
            dict(SK_ID_CURR=100, SK_ID_BUREAU=10, CREDIT_ACTIVE="Active", DAYS_CREDIT=-200,
                 AMT_CREDIT_SUM=1_000.0, AMT_CREDIT_SUM_DEBT=500.0, AMT_CREDIT_SUM_OVERDUE=20.0,
                 AMT_CREDIT_MAX_OVERDUE=300.0, CREDIT_DAY_OVERDUE=15, CNT_CREDIT_PROLONG=1),
            dict(SK_ID_CURR=100, SK_ID_BUREAU=11, CREDIT_ACTIVE="Closed", DAYS_CREDIT=-900,
                 AMT_CREDIT_SUM=2_000.0, AMT_CREDIT_SUM_DEBT=0.0, AMT_CREDIT_SUM_OVERDUE=0.0),
            dict(SK_ID_CURR=200, SK_ID_BUREAU=12, CREDIT_ACTIVE="Active", DAYS_CREDIT=-50,
                 AMT_CREDIT_SUM=4_000.0, AMT_CREDIT_SUM_DEBT=4_000.0),
            dict(SK_ID_CURR=200, SK_ID_BUREAU=13, CREDIT_ACTIVE="Closed", DAYS_CREDIT=-70),
            dict(SK_ID_CURR=103, SK_ID_BUREAU=14, CREDIT_ACTIVE="Sold", DAYS_CREDIT=-10),
        ]),
        "bureau_balance": make_frame("bureau_balance", [
            dict(SK_ID_BUREAU=10, MONTHS_BALANCE=-2, STATUS="0"),
            dict(SK_ID_BUREAU=10, MONTHS_BALANCE=-1, STATUS="1"),
            dict(SK_ID_BUREAU=10, MONTHS_BALANCE=0, STATUS="C"),
            dict(SK_ID_BUREAU=11, MONTHS_BALANCE=-1, STATUS="X"),
            dict(SK_ID_BUREAU=11, MONTHS_BALANCE=0, STATUS="2"),
            dict(SK_ID_BUREAU=12, MONTHS_BALANCE=-1, STATUS="0"),
            dict(SK_ID_BUREAU=12, MONTHS_BALANCE=0, STATUS="X"),
            dict(SK_ID_BUREAU=13, MONTHS_BALANCE=0, STATUS="C"),
        ]),
        "previous_application": make_frame("previous_application", [
            dict(SK_ID_PREV=1, SK_ID_CURR=100, NAME_CONTRACT_STATUS="Approved", AMT_APPLICATION=1_000.0,
                 AMT_CREDIT=1_100.0, DAYS_DECISION=-100, DAYS_LAST_DUE=-50.0,
                 DAYS_LAST_DUE_1ST_VERSION=-60.0, RATE_DOWN_PAYMENT=0.1, CNT_PAYMENT=12.0),
            dict(SK_ID_PREV=2, SK_ID_CURR=100, NAME_CONTRACT_STATUS="Refused", AMT_APPLICATION=2_000.0,
                 AMT_CREDIT=0.0, DAYS_DECISION=-30, DAYS_LAST_DUE=float(CODE),
                 DAYS_LAST_DUE_1ST_VERSION=float(CODE), DAYS_FIRST_DRAWING=float(CODE)),
            dict(SK_ID_PREV=3, SK_ID_CURR=100, NAME_CONTRACT_STATUS="Approved", AMT_APPLICATION=0.0,
                 AMT_CREDIT=500.0, DAYS_DECISION=-400, DAYS_LAST_DUE=float(CODE),
                 DAYS_LAST_DUE_1ST_VERSION=-10.0, RATE_DOWN_PAYMENT=0.3, CNT_PAYMENT=24.0),
            dict(SK_ID_PREV=4, SK_ID_CURR=102, NAME_CONTRACT_STATUS="Canceled", AMT_APPLICATION=800.0,
                 AMT_CREDIT=400.0, DAYS_DECISION=-5),
        ]),
        "POS_CASH_balance": make_frame("POS_CASH_balance", [
            dict(SK_ID_PREV=1, SK_ID_CURR=100, MONTHS_BALANCE=-3, NAME_CONTRACT_STATUS="Active", SK_DPD=0),
            dict(SK_ID_PREV=1, SK_ID_CURR=100, MONTHS_BALANCE=-2, NAME_CONTRACT_STATUS="Active", SK_DPD=5),
            dict(SK_ID_PREV=1, SK_ID_CURR=100, MONTHS_BALANCE=-1, NAME_CONTRACT_STATUS="Completed", SK_DPD=0),
            dict(SK_ID_PREV=3, SK_ID_CURR=100, MONTHS_BALANCE=-1, NAME_CONTRACT_STATUS="Active", SK_DPD=0),
        ]),
        "installments_payments": make_frame("installments_payments", [
            dict(SK_ID_PREV=1, SK_ID_CURR=100, NUM_INSTALMENT_NUMBER=1, DAYS_INSTALMENT=-100.0,
                 DAYS_ENTRY_PAYMENT=-95.0, AMT_INSTALMENT=100.0, AMT_PAYMENT=100.0),
            dict(SK_ID_PREV=1, SK_ID_CURR=100, NUM_INSTALMENT_NUMBER=2, DAYS_INSTALMENT=-70.0,
                 DAYS_ENTRY_PAYMENT=-75.0, AMT_INSTALMENT=100.0, AMT_PAYMENT=50.0),
            dict(SK_ID_PREV=1, SK_ID_CURR=100, NUM_INSTALMENT_NUMBER=3, DAYS_INSTALMENT=-40.0,
                 DAYS_ENTRY_PAYMENT=-40.0, AMT_INSTALMENT=200.0, AMT_PAYMENT=200.0),
        ]),
        "credit_card_balance": make_frame("credit_card_balance", [
            dict(SK_ID_PREV=3, SK_ID_CURR=100, MONTHS_BALANCE=-3, AMT_BALANCE=500.0,
                 AMT_CREDIT_LIMIT_ACTUAL=1_000, SK_DPD=0, AMT_DRAWINGS_CURRENT=100.0,
                 AMT_DRAWINGS_ATM_CURRENT=50.0),
            dict(SK_ID_PREV=3, SK_ID_CURR=100, MONTHS_BALANCE=-2, AMT_BALANCE=1_500.0,
                 AMT_CREDIT_LIMIT_ACTUAL=1_000, SK_DPD=10, AMT_DRAWINGS_CURRENT=0.0,
                 AMT_DRAWINGS_ATM_CURRENT=0.0),
            dict(SK_ID_PREV=3, SK_ID_CURR=100, MONTHS_BALANCE=-1, AMT_BALANCE=0.0,
                 AMT_CREDIT_LIMIT_ACTUAL=0, SK_DPD=0),
        ]),
    }


def lazy(tables: dict[str, pl.DataFrame]) -> dict[str, pl.LazyFrame]:
    return {k: v.lazy() for k, v in tables.items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return tiny_tables()


@pytest.fixture(scope="module")
def built(tables) -> pl.DataFrame:
    return F.build_features(lazy(tables)).collect()


@pytest.fixture(scope="module")
def history(tables) -> pl.DataFrame:
    return F.aggregate_history(lazy(tables)).collect()


def row(df: pl.DataFrame, cid: int) -> dict[str, Any]:
    rows = df.filter(pl.col("SK_ID_CURR") == cid).to_dicts()
    assert len(rows) == 1, f"expected one row for client {cid}, got {len(rows)}"
    return rows[0]


# --- shape and identifiers ---------------------------------------------------------------------

def test_one_row_per_client_with_ids_and_sample(built):
    assert built.columns[:3] == ["SK_ID_CURR", "TARGET", "SAMPLE"]
    assert sorted(built["SK_ID_CURR"].to_list()) == [100, 101, 102, 103, 200]
    assert built.schema["SK_ID_CURR"] == pl.Int64 and built.schema["TARGET"] == pl.Int8
    assert dict(zip(built["SK_ID_CURR"], built["SAMPLE"])) == {
        100: "train", 101: "train", 102: "train", 103: "train", 200: "new"}
    assert row(built, 200)["TARGET"] is None and row(built, 100)["TARGET"] == 1


def test_feature_columns_and_types(built):
    cols = F.feature_columns(built)
    assert not set(cols) & set(F.FEATURE_ID_COLUMNS)
    assert 100 <= len(cols) <= 180
    cats = F.categorical_columns(built)
    assert "NAME_INCOME_TYPE" in cats and "SAMPLE" not in cats
    for c in cols:
        dtype = built.schema[c]
        assert (dtype == pl.String) == (c in cats)
        assert dtype == pl.String or dtype.is_numeric(), (c, dtype)
    # raw day counts are replaced by years; individual document flags collapse into a count
    assert "DAYS_BIRTH" not in cols and "DAYS_EMPLOYED" not in cols and "FLAG_DOCUMENT_5" not in cols
    assert F.feature_columns(built.lazy()) == cols


# --- application features, by hand -----------------------------------------------------------

def test_application_features_by_hand(built):
    r = row(built, 100)
    assert r["CREDIT_INCOME_RATIO"] == pytest.approx(2.0)
    assert r["ANNUITY_INCOME_RATIO"] == pytest.approx(0.1)
    assert r["PAYMENT_RATE"] == pytest.approx(0.05)
    assert r["GOODS_CREDIT_RATIO"] == pytest.approx(0.9)
    assert r["INCOME_PER_PERSON"] == pytest.approx(50_000.0)
    assert r["AGE_YEARS"] == pytest.approx(40.0)
    assert r["EMPLOYMENT_YEARS"] == pytest.approx(3_653 / 365.25)
    assert r["EMPLOYMENT_AGE_RATIO"] == pytest.approx((3_653 / 365.25) / 40.0)
    assert r["EMPLOYMENT_NOT_APPLICABLE"] == 0
    assert r["REGISTRATION_YEARS"] == pytest.approx(2.0)
    assert r["ID_PUBLISH_YEARS"] == pytest.approx(365 / 365.25)
    assert r["PHONE_CHANGE_YEARS"] == 0.0
    assert r["EXT_SOURCES_MEAN"] == pytest.approx(0.3)
    assert (r["EXT_SOURCES_MIN"], r["EXT_SOURCES_MAX"]) == (pytest.approx(0.2), pytest.approx(0.4))
    assert r["EXT_SOURCES_PROD"] is None and r["EXT_SOURCES_MISSING"] == 1
    assert r["DOCUMENT_COUNT"] == 2 and r["FLAG_DOCUMENT_3"] == 1


def test_employment_code_and_missing_values(built):
    r = row(built, 101)
    assert r["EMPLOYMENT_YEARS"] is None and r["EMPLOYMENT_NOT_APPLICABLE"] == 1
    assert r["EMPLOYMENT_AGE_RATIO"] is None
    assert r["INCOME_PER_PERSON"] is None  # household size unknown
    assert r["EXT_SOURCES_MEAN"] is None and r["EXT_SOURCES_MISSING"] == 3
    assert r["CODE_GENDER"] == "M" and r["OCCUPATION_TYPE"] == "Drivers"
    assert row(built, 102)["ANNUITY_INCOME_RATIO"] is None
    # a zero denominator gives null, never inf
    assert row(built, 200)["PAYMENT_RATE"] is None and row(built, 200)["GOODS_CREDIT_RATIO"] is None


# --- history aggregates, by hand -----------------------------------------------------------

def test_bureau_aggregates_with_balance_rollup(built):
    r = row(built, 100)
    assert (r["BUREAU_COUNT"], r["BUREAU_ACTIVE_COUNT"], r["BUREAU_CLOSED_COUNT"]) == (2, 1, 1)
    assert r["BUREAU_CREDIT_SUM"] == 3_000.0 and r["BUREAU_DEBT_SUM"] == 500.0
    assert r["BUREAU_DEBT_MEAN"] == 250.0 and r["BUREAU_ACTIVE_DEBT_SUM"] == 500.0
    assert r["BUREAU_ACTIVE_DEBT_CREDIT_RATIO"] == pytest.approx(0.5)
    assert r["BUREAU_OVERDUE_SUM"] == 20.0 and r["BUREAU_MAX_OVERDUE"] == 300.0
    assert r["BUREAU_DAYS_OVERDUE_MAX"] == 15 and r["BUREAU_PROLONG_SUM"] == 1
    assert r["BUREAU_DAYS_SINCE_LAST_CREDIT"] == 200
    # balances: credit 10 = [0, 1, C], credit 11 = [X, 2] -> 5 months, 2 late, worst status 2
    assert r["BUREAU_BALANCE_MONTHS"] == 5
    assert r["BUREAU_LATE_MONTHS_SHARE"] == pytest.approx(2 / 5)
    assert r["BUREAU_WORST_STATUS"] == 2
    assert r["BUREAU_DEBT_INCOME_RATIO"] == pytest.approx(500 / 100_000)
    assert r["TOTAL_DEBT_INCOME_RATIO"] == pytest.approx((500 + 200_000) / 100_000)
    # months recorded but never late: share 0 and worst level 0 (0, X and C are not late)
    new = row(built, 200)
    assert (new["BUREAU_COUNT"], new["BUREAU_ACTIVE_COUNT"], new["BUREAU_CLOSED_COUNT"]) == (2, 1, 1)
    assert new["BUREAU_BALANCE_MONTHS"] == 3
    assert new["BUREAU_LATE_MONTHS_SHARE"] == 0.0 and new["BUREAU_WORST_STATUS"] == 0.0
    # a credit without any monthly balance: no share, no worst level (not invented zeros)
    r103 = row(built, 103)
    assert (r103["BUREAU_COUNT"], r103["BUREAU_ACTIVE_COUNT"], r103["BUREAU_CLOSED_COUNT"]) == (1, 0, 0)
    assert r103["BUREAU_BALANCE_MONTHS"] == 0
    assert r103["BUREAU_LATE_MONTHS_SHARE"] is None and r103["BUREAU_WORST_STATUS"] is None
    assert r103["BUREAU_ACTIVE_DEBT_CREDIT_RATIO"] is None


def test_previous_applications_and_365243_code(built):
    r = row(built, 100)
    assert (r["PREV_COUNT"], r["PREV_APPROVED_COUNT"], r["PREV_REFUSED_COUNT"]) == (3, 2, 1)
    assert r["PREV_APPROVED_SHARE"] == pytest.approx(2 / 3)
    assert r["PREV_REFUSED_SHARE"] == pytest.approx(1 / 3)
    # granted/asked: 1100/1000 and 0/2000; the 0 asked amount gives no ratio
    assert r["PREV_GRANTED_ASKED_RATIO"] == pytest.approx((1.1 + 0.0) / 2)
    assert r["PREV_DOWN_PAYMENT_RATE_MEAN"] == pytest.approx(0.2)
    assert r["PREV_TERM_MEAN"] == pytest.approx(18.0)
    assert r["PREV_DAYS_SINCE_LAST_DECISION"] == 30
    # only the first credit has both end dates once 365243 is treated as missing: -50 - (-60)
    assert r["PREV_END_SHIFT_DAYS_MEAN"] == pytest.approx(10.0)
    r102 = row(built, 102)
    assert (r102["PREV_COUNT"], r102["PREV_APPROVED_COUNT"], r102["PREV_APPROVED_SHARE"]) == (1, 0, 0.0)
    assert r102["PREV_GRANTED_ASKED_RATIO"] == pytest.approx(0.5)


def test_pos_installments_credit_cards(built):
    r = row(built, 100)
    assert (r["POS_MONTHS"], r["POS_LOAN_COUNT"], r["POS_COMPLETED_COUNT"]) == (4, 2, 1)
    assert r["POS_DPD_MEAN"] == pytest.approx(5 / 4) and r["POS_DPD_MAX"] == 5
    assert r["POS_LATE_MONTHS_SHARE"] == pytest.approx(1 / 4)
    # lateness = entry - due: +5, -5, 0
    assert r["INST_COUNT"] == 3
    assert r["INST_LATE_DAYS_MEAN"] == pytest.approx(0.0) and r["INST_LATE_DAYS_MAX"] == 5
    assert r["INST_LATE_SHARE"] == pytest.approx(1 / 3)
    assert r["INST_SHORT_SHARE"] == pytest.approx(1 / 3)
    assert r["INST_PAID_DUE_RATIO"] == pytest.approx(350 / 400)
    assert r["INST_UNPAID_SUM"] == pytest.approx(50.0)
    # utilisation 0.5 and 1.5 (a zero limit gives no utilisation)
    assert r["CC_MONTHS"] == 3
    assert r["CC_UTILISATION_MEAN"] == pytest.approx(1.0) and r["CC_UTILISATION_MAX"] == pytest.approx(1.5)
    assert r["CC_DPD_MAX"] == 10 and r["CC_LATE_MONTHS_SHARE"] == pytest.approx(1 / 3)
    assert r["CC_DRAWINGS_MEAN"] == pytest.approx(50.0) and r["CC_ATM_DRAWINGS_MEAN"] == pytest.approx(25.0)
    assert r["CC_BALANCE_MEAN"] == pytest.approx(2_000 / 3) and r["CC_LIMIT_MAX"] == 1_000


def test_client_without_history_gets_zero_counts_and_null_aggregates(built, history):
    from scoring.features.history import ZERO_WHEN_ABSENT

    r = row(built, 101)
    history_cols = [c for c in history.columns if c != "SK_ID_CURR"]
    for c in history_cols:
        if c in ZERO_WHEN_ABSENT:
            assert r[c] == 0, c
        else:
            assert r[c] is None, c
    assert r["BUREAU_DEBT_INCOME_RATIO"] is None
    assert r["TOTAL_DEBT_INCOME_RATIO"] == pytest.approx(2.0)  # only the credit asked
    assert 101 not in history["SK_ID_CURR"].to_list()
    # 102 has previous applications only: the other tables' counts are 0, aggregates null
    r102 = row(history, 102)
    assert r102["BUREAU_COUNT"] == 0 and r102["POS_MONTHS"] == 0 and r102["INST_LATE_SHARE"] is None


def test_history_is_sorted_and_unique(history):
    ids = history["SK_ID_CURR"].to_list()
    assert ids == sorted(set(ids)) == [100, 102, 103, 200]


# --- no leakage -----------------------------------------------------------------------------

def test_features_do_not_depend_on_target(tables, built):
    shuffled = dict(tables)
    train = tables["application_train"]
    shuffled["application_train"] = train.with_columns(pl.Series("TARGET", [0, 1, 1, 1]))
    again = F.build_features(lazy(shuffled)).collect()
    cols = ["SK_ID_CURR", *F.feature_columns(built)]
    assert_frame_equal(again.select(cols), built.select(cols))
    assert again["TARGET"].to_list() != built["TARGET"].to_list()


def test_application_features_accept_rows_without_target(tables):
    test_rows = tables["application_test"].lazy()
    out = F.application_features(test_rows).collect()
    assert out["TARGET"].dtype == pl.Int8 and out["TARGET"].null_count() == 1
    assert out["SAMPLE"].to_list() == ["new"]


# --- single-client path == batch path -----------------------------------------------------------

def _record(tables: dict[str, pl.DataFrame], cid: int) -> dict[str, Any]:
    for name in ("application_train", "application_test"):
        rows = tables[name].filter(pl.col("SK_ID_CURR") == cid).to_dicts()
        if rows:
            return rows[0]
    raise KeyError(cid)


@pytest.mark.parametrize("cid", [100, 101, 102, 103, 200])
def test_single_client_equals_batch_row(tables, built, history, cid):
    record = _record(tables, cid)  # TARGET included for train clients: it must be ignored
    hist_row = history.filter(pl.col("SK_ID_CURR") == cid)
    one = F.features_for_client(record, hist_row)
    cols = ["SK_ID_CURR", *F.feature_columns(built)]
    assert one.columns == built.columns
    assert one.height == 1 and one["TARGET"][0] is None
    assert_frame_equal(one.select(cols), built.filter(pl.col("SK_ID_CURR") == cid).select(cols))


def test_brand_new_applicant_without_history(tables, built):
    record = _record(tables, 101)
    del record["SK_ID_CURR"]
    for hist in (None, pl.DataFrame(schema=F.history_schema())):
        one = F.features_for_client(record, hist)
        cols = F.feature_columns(built)
        assert_frame_equal(one.select(cols), built.filter(pl.col("SK_ID_CURR") == 101).select(cols))
        assert one["SK_ID_CURR"][0] is None


def test_several_versions_of_one_record_at_once(tables, history):
    """The recourse search's batch: each row is what features_for_client gives for that version."""
    record = _record(tables, 100)
    hist_row = history.filter(pl.col("SK_ID_CURR") == 100)
    versions = [record, record | {"AMT_CREDIT": 400_000.0}, record | {"AMT_ANNUITY": 9_000.5, "AMT_GOODS_PRICE": None}]
    batch = F.features_for_records(versions, hist_row)
    assert batch.height == 3
    for i, version in enumerate(versions):
        assert_frame_equal(batch.slice(i, 1), F.features_for_client(version, hist_row))
    with pytest.raises(UserError, match="one client"):
        F.features_for_records([record, _record(tables, 101)], hist_row)
    with pytest.raises(UserError, match="at least one"):
        F.features_for_records([], hist_row)


def test_what_if_edit_changes_only_dependent_features(tables, built, history):
    record = _record(tables, 100) | {"AMT_CREDIT": 400_000.0}
    one = F.features_for_client(record, history.filter(pl.col("SK_ID_CURR") == 100))
    before = row(built, 100)
    after = one.to_dicts()[0]
    changed = {c for c in F.feature_columns(built) if before[c] != after[c]}
    assert changed == {"AMT_CREDIT", "CREDIT_INCOME_RATIO", "PAYMENT_RATE", "GOODS_CREDIT_RATIO",
                       "TOTAL_DEBT_INCOME_RATIO"}
    assert after["CREDIT_INCOME_RATIO"] == pytest.approx(4.0)


def test_history_for_client_matches_aggregate_history(tables, history):
    for cid in (100, 200):
        one = F.history_for_client(lazy(tables), cid)
        assert_frame_equal(one, history.filter(pl.col("SK_ID_CURR") == cid))
    assert F.history_for_client(lazy(tables), 101).height == 0


def test_single_client_rejects_bad_input(tables, history):
    record = _record(tables, 100)
    with pytest.raises(UserError, match="AMT_CREDIT"):
        F.features_for_client(record | {"AMT_CREDIT": "lots"}, None)
    with pytest.raises(UserError, match="NOT_A_COLUMN"):
        F.features_for_client(record | {"NOT_A_COLUMN": 1}, None)
    with pytest.raises(UserError, match="one client"):
        F.features_for_client(record, history)
    with pytest.raises(UserError, match="client 200, not of client 100"):
        F.features_for_client(record, history.filter(pl.col("SK_ID_CURR") == 200))


# --- the command: atomic files, truth never read ---------------------------------------------

def test_cli_features_writes_both_tables(tmp_path, tables, built, history):
    paths = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    paths.raw.mkdir(parents=True)
    for name, df in tables.items():
        df.write_csv(paths.raw / TABLES[name].file_name)
    # the truth file is unreadable garbage: the command must not even open it
    paths.truth.write_bytes(b"not a parquet file")
    args = argparse.Namespace(raw=None)
    assert F.cli_features(args, paths) == 0
    out = pl.read_parquet(paths.features)
    # the command's faster assembly gives exactly the lazy build_features table
    assert_frame_equal(out, built)
    assert_frame_equal(pl.read_parquet(paths.history_features).sort("SK_ID_CURR"), history)
    leftovers = [p.name for p in paths.processed.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_cli_features_missing_raw_dir(tmp_path):
    paths = Paths(data_dir=tmp_path / "nothing", cache_dir=tmp_path / "cache")
    with pytest.raises(UserError, match="raw"):
        F.cli_features(argparse.Namespace(raw=None), paths)


# --- real sample rows ---------------------------------------------------------------------------

def test_real_sample_rows_build(realdata_dir: Path):
    from scoring.data.loader import read_table
    from scoring.text.catalogue import missing_entries

    real = {name: read_table(realdata_dir / f, name).lazy() for name, f in REAL_SAMPLES.items()}
    out = F.build_features(real).collect()
    n_apps = sum(real[t].select(pl.len()).collect().item() for t in ("application_train", "application_test"))
    assert out.height == n_apps == out["SK_ID_CURR"].n_unique()
    assert missing_entries(out.columns) == []
    # real quirks: 365243 employment code always becomes missing years plus the flag
    flagged = out.filter(pl.col("EMPLOYMENT_NOT_APPLICABLE") == 1)
    assert flagged.height > 0 and flagged["EMPLOYMENT_YEARS"].null_count() == flagged.height
    assert out["EMPLOYMENT_YEARS"].drop_nulls().max() < 60
    numeric = [c for c in F.feature_columns(out) if out.schema[c] != pl.String]
    assert not out.select(pl.any_horizontal(pl.col(numeric).cast(pl.Float64).is_infinite())).to_series().any()
    # a real record goes through the single-client path to the same row
    record = real["application_train"].head(1).collect().to_dicts()[0]
    hist = F.aggregate_history(real).collect().filter(pl.col("SK_ID_CURR") == record["SK_ID_CURR"])
    one = F.features_for_client(record, hist)
    cols = ["SK_ID_CURR", *F.feature_columns(out)]
    assert_frame_equal(one.select(cols), out.filter(pl.col("SK_ID_CURR") == record["SK_ID_CURR"]).select(cols))


def test_single_client_accepts_json_style_numbers(tables, built, history):
    record = _record(tables, 100)
    record = record | {"CNT_CHILDREN": float(record["CNT_CHILDREN"]), "DAYS_BIRTH": float(record["DAYS_BIRTH"])}
    one = F.features_for_client(record, history.filter(pl.col("SK_ID_CURR") == 100))
    cols = F.feature_columns(built)
    assert_frame_equal(one.select(cols), built.filter(pl.col("SK_ID_CURR") == 100).select(cols))
    with pytest.raises(UserError, match="CNT_CHILDREN"):
        F.features_for_client(record | {"CNT_CHILDREN": 1.5}, None)
