"""scoring.service.overrides: one check and one conversion of what-if values, in either unit."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from scoring.data.schema import DAYS_NOT_APPLICABLE
from scoring.service import overrides as o
from scoring.text import catalogue


def test_every_editable_field_knows_its_units_and_limits():
    fields = o.fields()
    assert list(fields) == list(catalogue.RAW_FIELDS)
    days = fields["DAYS_EMPLOYED"]
    assert (days.kind, days.unit, days.raw_kind) == ("float", "years", "int")
    assert (days.minimum, days.maximum) == (0, 60)
    assert days.empty_raw == DAYS_NOT_APPLICABLE and not days.required("display") and days.required("raw")
    assert fields["CNT_FAM_MEMBERS"].raw_kind == "float" and fields["CNT_FAM_MEMBERS"].kind == "int"
    assert fields["NAME_FAMILY_STATUS"].protected and not fields["AMT_CREDIT"].protected
    assert "Widow" in fields["NAME_FAMILY_STATUS"].categories


def test_display_and_raw_units_convert_both_ways():
    raw = o.to_raw({"DAYS_EMPLOYED": 2.0, "CNT_FAM_MEMBERS": 3, "AMT_CREDIT": 5000})
    assert raw == {"DAYS_EMPLOYED": -730, "CNT_FAM_MEMBERS": 3.0, "AMT_CREDIT": 5000.0}
    assert isinstance(raw["DAYS_EMPLOYED"], int) and isinstance(raw["CNT_FAM_MEMBERS"], float)
    assert o.to_display(raw) == {"DAYS_EMPLOYED": pytest.approx(730 / 365.25), "CNT_FAM_MEMBERS": 3,
                                 "AMT_CREDIT": 5000.0}
    assert o.to_display({"DAYS_EMPLOYED": DAYS_NOT_APPLICABLE, "AMT_ANNUITY": float("nan")}) == {
        "DAYS_EMPLOYED": None, "AMT_ANNUITY": None}
    assert o.to_raw({"DAYS_EMPLOYED": None}) == {"DAYS_EMPLOYED": DAYS_NOT_APPLICABLE}


def test_raw_values_are_cleaned_to_the_column_types():
    clean, errors = o.validate({"AMT_CREDIT": np.int64(250_000), "CNT_CHILDREN": 3.0,
                                "DAYS_EMPLOYED": DAYS_NOT_APPLICABLE, "OCCUPATION_TYPE": None,
                                "FLAG_OWN_CAR": "Y"})
    assert errors == {}
    assert clean == {"AMT_CREDIT": 250_000.0, "CNT_CHILDREN": 3, "DAYS_EMPLOYED": DAYS_NOT_APPLICABLE,
                     "OCCUPATION_TYPE": None, "FLAG_OWN_CAR": "Y"}
    assert type(clean["AMT_CREDIT"]) is float and type(clean["CNT_CHILDREN"]) is int


@pytest.mark.parametrize(("values", "field", "fr", "en"), [
    ({"NOPE": 1}, "NOPE", "champ inconnu : NOPE", "unknown field: NOPE"),
    ({"DAYS_BIRTH": -1}, "DAYS_BIRTH", "champ non modifiable", "non-editable field"),
    ({"AMT_CREDIT": "a lot"}, "AMT_CREDIT", "Montant du crédit : nombre attendu (reçu : « a lot »)",
     'Credit amount: a number is expected (got "a lot")'),
    ({"AMT_CREDIT": float("inf")}, "AMT_CREDIT", "nombre attendu (reçu : inf)", "(got inf)"),
    ({"CNT_CHILDREN": 2.5}, "CNT_CHILDREN", "Nombre d'enfants : nombre entier attendu (reçu : 2.5)",
     "Number of children: an integer is expected (got 2.5)"),
    ({"DAYS_EMPLOYED": -100.5}, "DAYS_EMPLOYED", "nombre entier attendu", "an integer is expected"),
    ({"CNT_FAM_MEMBERS": 2.5}, "CNT_FAM_MEMBERS", "nombre entier attendu", "an integer"),
    ({"CNT_CHILDREN": None}, "CNT_CHILDREN", "Nombre d'enfants : une valeur est obligatoire",
     "Number of children: a value is required"),
    ({"DAYS_EMPLOYED": 500}, "DAYS_EMPLOYED", "hors limites, doit être compris entre 0 an et 60 ans",
     "is out of range, must be between 0 years and 60 years"),
    ({"AMT_ANNUITY": 5.0}, "AMT_ANNUITY", "Échéance : 5", "Instalment: €5 is out of range"),
    ({"FLAG_OWN_CAR": True}, "FLAG_OWN_CAR", "valeur inconnue True ; valeurs possibles : Oui (Y), Non (N)",
     "unknown value True; allowed values: Yes (Y), No (N)"),
])
def test_each_problem_names_the_field_and_the_value_in_french_and_english(values, field, fr, en):
    for lang, words in (("fr", fr), ("en", en)):
        clean, errors = o.validate(values, lang)
        assert clean == {} and set(errors) == {field}
        assert words in errors[field], errors[field]


def test_display_units_read_what_an_advisor_types():
    check = o.check({"AMT_CREDIT": "1 500,5", "DAYS_EMPLOYED": "2,5", "CNT_CHILDREN": " 2 ",
                     "AMT_INCOME_TOTAL": "", "NAME_CONTRACT_TYPE": "Cash loans"}, "fr")
    assert check.errors == {}
    assert check.display == {"AMT_CREDIT": 1500.5, "DAYS_EMPLOYED": 2.5, "CNT_CHILDREN": 2,
                             "AMT_INCOME_TOTAL": None, "NAME_CONTRACT_TYPE": "Cash loans"}
    assert check.raw == {"AMT_CREDIT": 1500.5, "DAYS_EMPLOYED": -913, "CNT_CHILDREN": 2,
                         "AMT_INCOME_TOTAL": None, "NAME_CONTRACT_TYPE": "Cash loans"}
    bad = o.check({"AMT_CREDIT": "douze", "DAYS_EMPLOYED": "99", "CNT_CHILDREN": ""}, "fr")
    assert bad.raw == {} and set(bad.errors) == {"AMT_CREDIT", "DAYS_EMPLOYED", "CNT_CHILDREN"}
    assert "« douze »" in bad.errors["AMT_CREDIT"] and "99 ans" in bad.errors["DAYS_EMPLOYED"]
    # an emptied "years of employment" means "no current job", not a missing value
    assert o.check({"DAYS_EMPLOYED": ""}).raw == {"DAYS_EMPLOYED": DAYS_NOT_APPLICABLE}
    with pytest.raises(ValueError, match="unités inconnues"):
        o.check({}, units="metres")
    assert o.check(["AMT_CREDIT"], "en").errors == {"overrides": "a JSON object is expected (field: value)"}


def test_form_fields_take_the_clients_record_in_display_units():
    record = {"AMT_CREDIT": 450_000.0, "DAYS_EMPLOYED": -3652, "CNT_FAM_MEMBERS": 2.0,
              "NAME_CONTRACT_TYPE": "Cash loans", "OCCUPATION_TYPE": None}
    fields = {f.name: f for f in o.form_fields(record)}
    assert list(fields) == list(catalogue.RAW_FIELDS)
    assert fields["AMT_CREDIT"].default == 450_000.0
    assert fields["DAYS_EMPLOYED"].default == pytest.approx(10.0, abs=0.01)
    assert fields["CNT_FAM_MEMBERS"].default == 2 and isinstance(fields["CNT_FAM_MEMBERS"].default, int)
    assert fields["OCCUPATION_TYPE"].default is None and fields["AMT_ANNUITY"].default is None
    assert fields["AMT_CREDIT"].labels == {"fr": "Montant du crédit", "en": "Credit amount"}
    assert (fields["AMT_CREDIT"].minimum, fields["AMT_CREDIT"].maximum) == (1_000, 10_000_000)
    assert not fields["DAYS_EMPLOYED"].required and fields["CNT_CHILDREN"].required
    assert fields["NAME_FAMILY_STATUS"].protected


def test_json_schema_documents_every_field_in_raw_units():
    schema = o.json_schema()
    assert set(schema["properties"]) == set(catalogue.RAW_FIELDS) and schema["additionalProperties"] is False
    assert schema["properties"]["CNT_CHILDREN"]["type"] == "integer"
    assert schema["properties"]["CNT_CHILDREN"]["maximum"] == 20
    assert "minimum" not in schema["properties"]["DAYS_EMPLOYED"]  # no raw range for negative days
    assert "Widow" in schema["properties"]["NAME_FAMILY_STATUS"]["enum"]


def test_the_service_never_imports_the_api():
    """The service is below the API: nothing in scoring/service imports scoring.api."""
    root = Path(__file__).resolve().parents[3] / "scoring" / "service"
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "scoring.api" or n.startswith("scoring.api.")]
    assert offenders == []
