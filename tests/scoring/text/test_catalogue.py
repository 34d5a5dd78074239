"""The feature catalogue: complete, bilingual, readable, and the what-if field rules."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from scoring.data.schema import CATEGORIES, DAYS_NOT_APPLICABLE, TABLES
from scoring.features import table as F
from scoring.service.overrides import validate
from scoring.text import catalogue as C
from tests.scoring.features.test_features import lazy, tiny_tables

NNBSP = "\u202f"


@pytest.fixture(scope="module")
def feature_cols() -> list[str]:
    return F.feature_columns(F.build_features(lazy(tiny_tables())).collect())


def test_every_feature_column_has_an_entry_and_no_stale_entries(feature_cols):
    assert C.missing_entries(feature_cols) == []
    assert C.missing_entries(["SK_ID_CURR", "NOT_A_FEATURE"]) == ["NOT_A_FEATURE"]
    assert {e.name for e in C.entries()} == set(feature_cols)


def test_entries_are_well_formed():
    for e in C.entries():
        assert e.group in C.GROUPS, e
        assert e.unit in C.UNITS and e.fmt == C.CATALOGUE[e.name].fmt, e
        assert e.source_table in (*TABLES, "application", "application+bureau"), e
        for text in (e.label_fr, e.label_en):
            assert text and len(text) <= 60 and text.strip() == text, e
        for text in (e.description_fr, e.description_en):
            assert text[0].isupper() and text.endswith("."), e
            assert 20 <= len(text) <= 220, e
        assert not (e.protected and e.actionable), e
    for lang_labels in ([e.label_fr for e in C.entries()], [e.label_en for e in C.entries()]):
        duplicates = {x for x in lang_labels if lang_labels.count(x) > 1}
        assert not duplicates, duplicates


def test_groups_are_all_used_and_bilingual():
    used = {e.group for e in C.entries()}
    assert used == set(C.GROUPS)
    for fr, en in C.GROUPS.values():
        assert fr and en and fr != en


def test_sensitive_attributes_are_protected():
    for name in ("CODE_GENDER", "AGE_YEARS", "NAME_FAMILY_STATUS", "CNT_CHILDREN", "CNT_FAM_MEMBERS"):
        assert C.CATALOGUE[name].protected, name
    for name in ("AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "INST_LATE_SHARE", "CREDIT_INCOME_RATIO"):
        assert C.CATALOGUE[name].actionable and not C.CATALOGUE[name].protected, name


def test_lookups_in_both_languages():
    assert C.label("AMT_CREDIT") == "Montant du crédit"
    assert C.label("AMT_CREDIT", "en") == "Credit amount"
    assert C.label("DAYS_EMPLOYED") == C.label("EMPLOYMENT_YEARS")  # raw field -> its feature's label
    assert C.description("AGE_YEARS", "en").startswith("Age")
    assert C.group_of("INST_LATE_SHARE") == "repayment_behaviour"
    with pytest.raises(KeyError, match="NOPE"):
        C.group_of("NOPE")
    with pytest.raises(ValueError, match="de"):
        C.label("AMT_CREDIT", "de")


def test_generated_labels_read_naturally():
    assert C.label("APARTMENTS_AVG") == "Immeuble : taille des appartements"
    assert C.label("AMT_REQ_CREDIT_BUREAU_QRT", "en") == "Credit bureau enquiries (last quarter)"
    assert "client's registered address and home" in C.description("REG_REGION_NOT_LIVE_REGION", "en")
    assert C.description("BUREAU_COUNT").endswith("(0 si aucun historique).")
    assert C.description("INST_LATE_SHARE", "en").endswith("(empty when there is no history).")
    for e in C.entries():
        for text in (e.label_fr, e.description_fr, e.label_en, e.description_en):
            assert "  " not in text and " ," not in text and "_" not in text, (e.name, text)


@pytest.mark.parametrize(("name", "value", "fr", "en"), [
    ("AMT_CREDIT", 12345.4, f"12{NNBSP}345{NNBSP}€", "€12,345"),
    ("AMT_CREDIT", -1500.0, f"−1{NNBSP}500{NNBSP}€", "−€1,500"),  # U+2212, the real minus sign
    ("CREDIT_INCOME_RATIO", 0.35, "0,35", "0.35"),
    ("AGE_YEARS", 45.2, "45 ans", "45 years"),
    ("EMPLOYMENT_YEARS", 1.0, "1 an", "1 year"),
    ("EMPLOYMENT_YEARS", 2.5, "2,5 ans", "2.5 years"),
    ("ANNUITY_INCOME_RATIO", 0.25, f"25{NNBSP}%", "25%"),
    ("PAYMENT_RATE", 0.054, f"5,4{NNBSP}%", "5.4%"),
    ("INST_LATE_DAYS_MAX", 12.0, "12 jours", "12 days"),
    ("PREV_TERM_MEAN", 18.0, "18 mois", "18 months"),
    ("BUREAU_COUNT", 3, "3", "3"),
    ("EXT_SOURCE_2", 0.5123, "0,51", "0.51"),
    ("FLAG_EMAIL", 1, "oui", "yes"),
    ("FLAG_OWN_CAR", "N", "Non", "No"),
    ("NAME_INCOME_TYPE", "Pensioner", "Retraité", "Pensioner"),
    ("AMT_ANNUITY", None, "non renseigné", "not provided"),
    ("EXT_SOURCE_1", float("nan"), "non renseigné", "not provided"),
])
def test_format_value(name, value, fr, en):
    assert C.format_value(name, value) == fr
    assert C.format_value(name, value, "en") == en


def test_every_feature_formats_typical_values(feature_cols):
    built = F.build_features(lazy(tiny_tables())).collect()
    for name in feature_cols:
        for value in built[name].to_list():
            for lang in ("fr", "en"):
                text = C.format_value(name, value, lang)
                assert isinstance(text, str) and text, (name, value)


# --- editable raw fields ------------------------------------------------------------------------

REQUIRED_RAW = {
    "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "CNT_CHILDREN",
    "CNT_FAM_MEMBERS", "DAYS_EMPLOYED", "NAME_EDUCATION_TYPE", "NAME_INCOME_TYPE",
    "NAME_HOUSING_TYPE", "NAME_FAMILY_STATUS", "FLAG_OWN_CAR", "FLAG_OWN_REALTY",
    "OCCUPATION_TYPE", "NAME_CONTRACT_TYPE",
}


def test_raw_fields_match_schema_and_catalogue():
    assert REQUIRED_RAW <= set(C.RAW_FIELDS)
    schema = TABLES["application_train"]
    for name, spec in C.RAW_FIELDS.items():
        col = schema.column(name)
        assert spec.raw_kind == col.kind and spec.required == (not col.nullable)
        assert spec.kind in ("int", "float", "category")
        if spec.kind == "category":
            assert spec.categories == CATEGORIES["application"][name]
        else:
            assert spec.minimum is not None and spec.maximum is not None and spec.minimum < spec.maximum
        assert C.CATALOGUE[spec.feature].editable, name
        assert spec.label_fr and spec.label_en
    editable = {e.name for e in C.entries() if e.editable}
    assert editable == {s.feature for s in C.RAW_FIELDS.values()}


def test_days_employed_is_shown_in_years():
    spec = C.RAW_FIELDS["DAYS_EMPLOYED"]
    assert spec.unit == "years" and spec.feature == "EMPLOYMENT_YEARS"
    assert spec.to_raw(2.0) == -730 and spec.from_raw(-730) == pytest.approx(730 / 365.25)
    assert spec.to_raw(None) == DAYS_NOT_APPLICABLE and spec.from_raw(DAYS_NOT_APPLICABLE) is None
    assert spec.raw_min is None and spec.raw_max is None  # the code breaks any raw range
    assert C.raw_to_display("AMT_CREDIT", 5.0) == 5.0
    assert C.RAW_FIELDS["AMT_CREDIT"].raw_max == C.RAW_FIELDS["AMT_CREDIT"].maximum


def test_validated_overrides_feed_the_single_client_path():
    tables = tiny_tables()
    record = tables["application_train"].row(0, named=True)
    overrides, errors = validate({"DAYS_EMPLOYED": 5.0, "NAME_INCOME_TYPE": "Pensioner"}, units="display")
    assert errors == {}
    one = F.features_for_client(record | overrides, None)
    assert one["EMPLOYMENT_YEARS"][0] == pytest.approx(5.0, abs=0.01)
    assert one["NAME_INCOME_TYPE"][0] == "Pensioner"


# --- our own words ------------------------------------------------------------------------------

def test_descriptions_are_not_copied_from_kaggle(realdata_dir: Path):
    """No 5-word run of the official column descriptions appears in ours."""
    desc = pl.read_csv(realdata_dir / "HomeCredit_columns_description.csv", encoding="cp1252")
    words = lambda s: re.findall(r"[a-z0-9]+", s.lower())  # noqa: E731
    theirs = set()
    for text in desc["Description"].drop_nulls().to_list():
        w = words(text)
        theirs |= {tuple(w[i:i + 5]) for i in range(len(w) - 4)}
    assert len(theirs) > 500
    for e in C.entries():
        w = words(e.description_en + " " + e.label_en)
        copied = [" ".join(w[i:i + 5]) for i in range(len(w) - 4) if tuple(w[i:i + 5]) in theirs]
        assert not copied, (e.name, copied)
