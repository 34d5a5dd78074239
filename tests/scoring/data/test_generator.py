"""The synthetic Home Credit generator: format, links, realism bands, determinism, signal."""

from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path

import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from scoring.data.generator.dataset import (
    FIRST_SK_ID_CURR,
    TRUTH_FILE,
    cli_generate,
    generate,
)
from scoring.data.schema import DAYS_NOT_APPLICABLE, TABLE_ORDER, TABLES
from scoring.errors import UserError
from scoring.paths import Paths

CLIENTS, NEW_CLIENTS, SEED = 5000, 800, 3


def _read(raw: Path, table: str) -> pl.DataFrame:
    """Read a generated table with the schema's dtypes (STATUS etc. stay strings)."""
    return pl.read_csv(raw / TABLES[table].file_name, schema=TABLES[table].polars_schema)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small dataset shared by the read-only tests of this module (two chunks)."""
    raw_dir = tmp_path_factory.mktemp("gen") / "raw"
    generate(raw_dir, CLIENTS, NEW_CLIENTS, SEED, chunk_clients=3000)
    return raw_dir


@pytest.fixture(scope="module")
def tables(raw: Path) -> dict[str, pl.DataFrame]:
    return {t: _read(raw, t) for t in TABLE_ORDER}


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def _digest(raw: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(raw.iterdir())}


def test_headers_match_real_files(raw: Path, realdata_dir: Path) -> None:
    from tests.conftest import REAL_SAMPLES

    for table, sample in REAL_SAMPLES.items():
        real = _header(realdata_dir / sample)
        if sample.startswith("jointest_"):
            assert real[0] == ""  # the extra unnamed index column of those samples
            real = real[1:]
        assert _header(raw / TABLES[table].file_name) == real, table


def test_value_formats_follow_kaggle(raw: Path) -> None:
    lines = (raw / "application_train.csv").read_text(encoding="utf-8").splitlines()[1:400]
    first = next(csv.reader([lines[0]]))
    names = TABLES["application_train"].column_names
    row = dict(zip(names, first))
    assert row["SK_ID_CURR"].isdigit() and row["FLAG_MOBIL"] in {"0", "1"}
    assert "." in row["AMT_INCOME_TOTAL"] and "." in row["CNT_FAM_MEMBERS"]  # floats as 135000.0
    text = "\n".join(lines)
    assert '"Spouse, partner"' in text or '"Stone, brick"' in text  # commas inside quoted categories
    assert ",," in text  # empty field for null
    assert "nan" not in text.lower().replace("finance", "")


def test_amounts_have_at_most_three_decimals(tables: dict[str, pl.DataFrame]) -> None:
    for table, df in tables.items():
        for col in df.columns:
            if col.startswith("AMT_") and df[col].dtype == pl.Float64:
                s = df[col].drop_nulls()
                assert (s.round(3) == s).all(), f"{table}.{col} has float artefacts"


def test_row_counts_and_ids(raw: Path, tables: dict[str, pl.DataFrame]) -> None:
    train, test = tables["application_train"], tables["application_test"]
    assert (train.height, test.height) == (CLIENTS, NEW_CLIENTS)
    ids = pl.concat([train["SK_ID_CURR"], test["SK_ID_CURR"]]).sort()
    assert ids.to_list() == list(range(FIRST_SK_ID_CURR, FIRST_SK_ID_CURR + CLIENTS + NEW_CLIENTS))
    assert tables["bureau"]["SK_ID_BUREAU"].min() == 5_000_000
    assert tables["previous_application"]["SK_ID_PREV"].min() == 1_000_000
    for table in ("bureau", "previous_application"):
        key = TABLES[table].primary_key[0]
        assert tables[table][key].is_unique().all(), table
    truth = pl.read_parquet(raw / TRUTH_FILE)
    assert truth.columns == ["SK_ID_CURR", "SAMPLE", "TRUE_PD"]
    assert truth.height == CLIENTS + NEW_CLIENTS
    assert truth.filter(pl.col("SAMPLE") == "new")["SK_ID_CURR"].sort().equals(test["SK_ID_CURR"].sort())
    assert truth["TRUE_PD"].is_between(0, 1).all()
    assert "TARGET" not in test.columns


def test_keys_link(tables: dict[str, pl.DataFrame]) -> None:
    clients = pl.concat([tables["application_train"]["SK_ID_CURR"], tables["application_test"]["SK_ID_CURR"]])
    for table in TABLE_ORDER[2:]:
        for fk in TABLES[table].foreign_keys:
            parent = clients if fk.parent_table == "application" else tables[fk.parent_table][fk.parent_column]
            orphans = ~tables[table][fk.column].is_in(parent.implode())
            assert not orphans.any(), f"{table}.{fk.column} has {orphans.sum()} orphans"
    # POS / installments / card rows of a previous credit belong to that credit's client.
    prev = tables["previous_application"].select("SK_ID_PREV", pl.col("SK_ID_CURR").alias("OWNER"))
    for table in ("POS_CASH_balance", "installments_payments", "credit_card_balance"):
        joined = tables[table].join(prev, on="SK_ID_PREV")
        assert (joined["SK_ID_CURR"] == joined["OWNER"]).all(), table


def test_schema_categories_and_nullability(tables: dict[str, pl.DataFrame]) -> None:
    for table, df in tables.items():
        for col in TABLES[table].columns:
            s = df[col.name]
            if not col.nullable:
                assert s.null_count() == 0, f"{table}.{col.name} has nulls"
            if col.categories is not None:
                bad = set(s.drop_nulls().unique().to_list()) - set(col.categories)
                assert not bad, f"{table}.{col.name}: {bad}"


def test_loader_validates_generated_files(raw: Path) -> None:
    loader = pytest.importorskip("scoring.data.loader")
    if not hasattr(loader, "validate_raw"):
        pytest.skip("scoring.data.loader.validate_raw not available yet")
    report = loader.validate_raw(raw)
    assert report.ok and not report.warnings, report.format()
    assert report.row_counts["application_train"] == CLIENTS


def test_rows_per_client_within_real_bands(tables: dict[str, pl.DataFrame]) -> None:
    n = CLIENTS + NEW_CLIENTS
    bureau, prev = tables["bureau"], tables["previous_application"]
    assert 0.82 <= bureau["SK_ID_CURR"].n_unique() / n <= 0.90
    assert 5.0 <= bureau.height / bureau["SK_ID_CURR"].n_unique() <= 6.2
    assert 0.92 <= prev["SK_ID_CURR"].n_unique() / n <= 0.98
    assert 4.3 <= prev.height / prev["SK_ID_CURR"].n_unique() <= 5.5
    assert 12 <= tables["bureau_balance"].height / bureau.height <= 20
    assert 0.3 <= tables["bureau_balance"]["SK_ID_BUREAU"].n_unique() / bureau.height <= 0.6
    assert 23 <= tables["POS_CASH_balance"].height / n <= 33
    assert 32 <= tables["installments_payments"].height / n <= 44
    assert 8 <= tables["credit_card_balance"].height / n <= 14
    assert 0.24 <= tables["credit_card_balance"]["SK_ID_CURR"].n_unique() / n <= 0.32


def test_missingness_and_codes(tables: dict[str, pl.DataFrame]) -> None:
    app = pl.concat([tables["application_train"].drop("TARGET"), tables["application_test"]])
    train = tables["application_train"]

    def null_rate(df: pl.DataFrame, col: str) -> float:
        return df[col].null_count() / df.height

    assert 0.52 <= null_rate(train, "EXT_SOURCE_1") <= 0.60
    assert 0.16 <= null_rate(app, "EXT_SOURCE_3") <= 0.24
    assert null_rate(app, "EXT_SOURCE_2") < 0.01
    assert 0.27 <= null_rate(app, "OCCUPATION_TYPE") <= 0.36
    for col in ("APARTMENTS_AVG", "YEARS_BUILD_MEDI", "COMMONAREA_MODE", "FLOORSMAX_AVG"):
        assert 0.45 <= null_rate(app, col) <= 0.75, col
    # Pensioners (and the unemployed) carry DAYS_EMPLOYED = 365243 exactly where ORGANIZATION_TYPE = XNA.
    na_days = app["DAYS_EMPLOYED"] == DAYS_NOT_APPLICABLE
    assert (na_days == (app["ORGANIZATION_TYPE"] == "XNA")).all()
    assert 0.14 <= na_days.mean() <= 0.22
    assert (app.filter(~na_days)["DAYS_EMPLOYED"] < 0).all()
    # Employment shorter than adult life; ages 20..69.
    age = -app["DAYS_BIRTH"] / 365.25
    assert age.min() >= 20 and age.max() < 70
    worked = app.filter(~na_days)
    assert (-worked["DAYS_EMPLOYED"] <= -worked["DAYS_BIRTH"] - 18 * 365).all()
    revolving = {name: (df["NAME_CONTRACT_TYPE"] == "Revolving loans").mean()
                 for name, df in (("train", train), ("test", tables["application_test"]))}
    assert 0.07 <= revolving["train"] <= 0.13 and revolving["test"] <= 0.03
    prev = tables["previous_application"]
    assert 0.45 <= (prev["DAYS_FIRST_DRAWING"] == DAYS_NOT_APPLICABLE).fill_null(False).mean() <= 0.7
    assert (prev["SELLERPLACE_AREA"] == -1).mean() > 0.2
    assert {"XNA", "XAP"} <= set(prev["NAME_CASH_LOAN_PURPOSE"].unique().to_list())
    bureau = tables["bureau"]
    assert (bureau["CREDIT_CURRENCY"] == "currency 1").mean() > 0.99
    assert (bureau["AMT_CREDIT_SUM_DEBT"] < 0).any()


def test_amounts_and_days_are_coherent(tables: dict[str, pl.DataFrame]) -> None:
    app = pl.concat([tables["application_train"].drop("TARGET"), tables["application_test"]])
    with_annuity = app.drop_nulls("AMT_ANNUITY")
    assert (with_annuity["AMT_ANNUITY"] <= with_annuity["AMT_CREDIT"]).all()
    goods = app.drop_nulls("AMT_GOODS_PRICE")
    ratio = goods["AMT_CREDIT"] / goods["AMT_GOODS_PRICE"]
    assert ratio.min() >= 0.99 and ratio.median() < 1.2
    ins = tables["installments_payments"]
    gap = ins["DAYS_ENTRY_PAYMENT"] - ins["DAYS_INSTALMENT"]
    assert gap.abs().median() < 15 and (gap > 0).mean() < 0.25
    assert (ins["DAYS_INSTALMENT"] < 0).all() and (ins["DAYS_ENTRY_PAYMENT"] < 0).all()
    bureau, bb = tables["bureau"], tables["bureau_balance"]
    joined = bb.join(bureau.select("SK_ID_BUREAU", "DAYS_CREDIT"), on="SK_ID_BUREAU")
    first_month = (joined["DAYS_CREDIT"] / 30.4375).floor().clip(lower_bound=-96)
    assert (joined["MONTHS_BALANCE"] >= first_month).all() and (joined["MONTHS_BALANCE"] <= 0).all()
    closed = bureau.filter(pl.col("CREDIT_ACTIVE") == "Closed")
    assert (closed["DAYS_ENDDATE_FACT"] >= closed["DAYS_CREDIT"]).all()
    assert (bureau["DAYS_CREDIT"] < 0).all()


def test_default_rate_and_learnable_signal(raw: Path, tables: dict[str, pl.DataFrame]) -> None:
    train = tables["application_train"].join(pl.read_parquet(raw / TRUTH_FILE), on="SK_ID_CURR")
    y = train["TARGET"].to_numpy()
    assert 0.06 <= y.mean() <= 0.10
    assert 0.78 <= roc_auc_score(y, train["TRUE_PD"].to_numpy()) <= 0.85
    ext2 = train.drop_nulls("EXT_SOURCE_2")
    assert 0.60 <= roc_auc_score(ext2["TARGET"], -ext2["EXT_SOURCE_2"]) <= 0.75
    # No single raw column gives the answer away.
    for col in TABLES["application_train"].columns:
        if col.kind == "str" or col.name in ("SK_ID_CURR", "TARGET"):
            continue
        s = train[col.name].cast(pl.Float64).fill_null(-1e12).to_numpy()
        auc = roc_auc_score(y, s)
        assert max(auc, 1 - auc) < 0.9, col.name
    # The history tables carry risk: defaulters pay late more often and are refused more.
    ins = tables["installments_payments"].group_by("SK_ID_CURR").agg(
        (pl.col("DAYS_ENTRY_PAYMENT") > pl.col("DAYS_INSTALMENT")).mean().alias("late"))
    prev = tables["previous_application"].group_by("SK_ID_CURR").agg(
        (pl.col("NAME_CONTRACT_STATUS") == "Refused").mean().alias("refused"))
    hist = train.select("SK_ID_CURR", "TARGET").join(ins, on="SK_ID_CURR").join(prev, on="SK_ID_CURR")
    assert roc_auc_score(hist["TARGET"], hist["late"]) > 0.58
    assert roc_auc_score(hist["TARGET"], hist["refused"]) > 0.56


def test_same_seed_same_bytes_other_seed_differs(raw: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, CLIENTS, NEW_CLIENTS, SEED, chunk_clients=3000)
    assert _digest(again) == _digest(raw)
    other = tmp_path / "other"
    generate(other, 300, 50, SEED + 1)
    small = tmp_path / "small"
    generate(small, 300, 50, SEED)
    a, b = _digest(other), _digest(small)
    assert all(a[name] != b[name] for name in a)


def _args(**kw: object) -> argparse.Namespace:
    base = {"clients": 200, "new_clients": None, "seed": 1, "force": False}
    base.update(kw)
    return argparse.Namespace(**base)


def test_cli_refuses_to_overwrite_without_force(run_paths: Paths) -> None:
    assert cli_generate(_args(), run_paths) == 0
    test_rows = pl.read_csv(run_paths.raw / "application_test.csv").height
    assert test_rows == 32  # default: about 16 % of --clients
    before = _digest(run_paths.raw)
    with pytest.raises(UserError, match="--force"):
        cli_generate(_args(seed=2), run_paths)
    assert _digest(run_paths.raw) == before
    assert cli_generate(_args(seed=2, force=True), run_paths) == 0
    assert _digest(run_paths.raw) != before
    leftovers = [p.name for p in run_paths.raw.parent.iterdir() if p.name != "raw"]
    assert leftovers == []  # the temporary build folder was swapped in, nothing half-written left


def test_interrupted_run_leaves_previous_files(run_paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(run_paths.raw, 200, 30, 1)
    before = _digest(run_paths.raw)
    import scoring.data.generator.dataset as gen

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gen, "generate_previous", boom)
    with pytest.raises(KeyboardInterrupt):
        generate(run_paths.raw, 200, 30, 9)
    assert _digest(run_paths.raw) == before
    assert [p.name for p in run_paths.raw.parent.iterdir()] == ["raw"]


def test_bad_sizes_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--clients"):
        generate(tmp_path / "raw", 0, 0, 1)
    with pytest.raises(UserError, match="--new-clients"):
        generate(tmp_path / "raw", 10, -1, 1)
    with pytest.raises(UserError, match="--seed"):
        generate(tmp_path / "raw", 10, 1, -5)
    assert not (tmp_path / "raw").exists()
