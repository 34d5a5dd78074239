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
    clean, errors = o.validate({"AMT_CREDIT": np.int64(250_000), "DAYS_EMPLOYED": -730.0,
                                "OCCUPATION_TYPE": None, "FLAG_OWN_CAR": "Y"})
    assert errors == {}
    assert clean == {"AMT_CREDIT": 250_000.0, "DAYS_EMPLOYED": -730, "OCCUPATION_TYPE": None, "FLAG_OWN_CAR": "Y"}
    assert type(clean["AMT_CREDIT"]) is float and type(clean["DAYS_EMPLOYED"]) is int
    assert o.validate({"DAYS_EMPLOYED": DAYS_NOT_APPLICABLE}) == ({"DAYS_EMPLOYED": DAYS_NOT_APPLICABLE}, {})


#: The editable raw fields the catalogue flags as protected attributes.
PROTECTED = sorted(n for n, spec in catalogue.RAW_FIELDS.items()
                   if catalogue.CATALOGUE[spec.feature or n].protected)


def test_protected_fields_are_refused_whatever_the_value_or_units():
    assert PROTECTED == ["CNT_CHILDREN", "CNT_FAM_MEMBERS", "NAME_FAMILY_STATUS"]
    record_values = {"CNT_CHILDREN": 0, "CNT_FAM_MEMBERS": 2.0, "NAME_FAMILY_STATUS": "Married"}
    for units in o.UNITS:
        clean, errors = o.validate(record_values | {"AMT_CREDIT": 100_000.0}, "en", units=units)
        assert set(errors) == set(PROTECTED) and clean == {"AMT_CREDIT": 100_000.0}
        for name in PROTECTED:
            label = o.fields()[name].label("en")
            assert errors[name] == f"{label} ({name}): protected attribute, it cannot be changed in a simulation"
    assert o.check({"NAME_FAMILY_STATUS": "Widow"}, "fr").errors == {
        "NAME_FAMILY_STATUS": "Situation familiale (NAME_FAMILY_STATUS) : attribut protégé, il ne peut pas "
                              "être modifié dans une simulation"}


@pytest.mark.parametrize(("values", "field", "fr", "en"), [
    ({"NOPE": 1}, "NOPE", "champ inconnu : NOPE", "unknown field: NOPE"),
    ({"DAYS_BIRTH": -1}, "DAYS_BIRTH", "champ non modifiable", "non-editable field"),
    ({"AMT_CREDIT": "a lot"}, "AMT_CREDIT", "Montant du crédit : nombre attendu (reçu : « a lot »)",
     'Credit amount: a number is expected (got "a lot")'),
    ({"AMT_CREDIT": float("inf")}, "AMT_CREDIT", "nombre attendu (reçu : inf)", "(got inf)"),
    ({"DAYS_EMPLOYED": -100.5}, "DAYS_EMPLOYED", "Ancienneté dans l'emploi : nombre entier attendu (reçu : -100.5)",
     "Years in current job: an integer is expected (got -100.5)"),
    ({"DAYS_EMPLOYED": None}, "DAYS_EMPLOYED", "Ancienneté dans l'emploi : une valeur est obligatoire",
     "Years in current job: a value is required"),
    ({"NAME_HOUSING_TYPE": None}, "NAME_HOUSING_TYPE", "une valeur est obligatoire", "a value is required"),
    ({"CNT_CHILDREN": 2}, "CNT_CHILDREN", "Nombre d'enfants (CNT_CHILDREN) : attribut protégé",
     "Number of children (CNT_CHILDREN): protected attribute"),
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
    check = o.check({"AMT_CREDIT": "1 500,5", "DAYS_EMPLOYED": "2,5", "AMT_ANNUITY": " 2 000 ",
                     "AMT_INCOME_TOTAL": "", "NAME_CONTRACT_TYPE": "Cash loans"}, "fr")
    assert check.errors == {}
    assert check.display == {"AMT_CREDIT": 1500.5, "DAYS_EMPLOYED": 2.5, "AMT_ANNUITY": 2000.0,
                             "AMT_INCOME_TOTAL": None, "NAME_CONTRACT_TYPE": "Cash loans"}
    assert check.raw == {"AMT_CREDIT": 1500.5, "DAYS_EMPLOYED": -913, "AMT_ANNUITY": 2000.0,
                         "AMT_INCOME_TOTAL": None, "NAME_CONTRACT_TYPE": "Cash loans"}
    bad = o.check({"AMT_CREDIT": "douze", "DAYS_EMPLOYED": "99", "NAME_HOUSING_TYPE": ""}, "fr")
    assert bad.raw == {} and set(bad.errors) == {"AMT_CREDIT", "DAYS_EMPLOYED", "NAME_HOUSING_TYPE"}
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
    # every editable field but the protected ones, which a what-if refuses
    assert list(fields) == [n for n in catalogue.RAW_FIELDS if n not in PROTECTED]
    assert fields["AMT_CREDIT"].default == 450_000.0
    assert fields["DAYS_EMPLOYED"].default == pytest.approx(10.0, abs=0.01)
    assert fields["NAME_CONTRACT_TYPE"].default == "Cash loans"
    assert fields["OCCUPATION_TYPE"].default is None and fields["AMT_ANNUITY"].default is None
    assert fields["AMT_CREDIT"].labels == {"fr": "Montant du crédit", "en": "Credit amount"}
    assert (fields["AMT_CREDIT"].minimum, fields["AMT_CREDIT"].maximum) == (1_000, 10_000_000)
    assert not fields["DAYS_EMPLOYED"].required and fields["NAME_CONTRACT_TYPE"].required


def test_json_schema_documents_every_accepted_field_in_raw_units():
    schema = o.json_schema()
    assert set(schema["properties"]) == set(catalogue.RAW_FIELDS) - set(PROTECTED)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["AMT_CREDIT"]["anyOf"][0]["maximum"] == 10_000_000
    # 0..60 years of employment in raw days (negative: before the application), or the
    # "no current job" code: every value the schema allows, the validator accepts
    days, no_job = schema["properties"]["DAYS_EMPLOYED"]["anyOf"]
    assert days == {"type": "integer", "minimum": -21915, "maximum": 0} and no_job == {"const": 365243}
    for raw in (days["minimum"], days["maximum"], no_job["const"]):
        assert o.validate({"DAYS_EMPLOYED": raw}, "en", units="raw") == ({"DAYS_EMPLOYED": raw}, {})
    assert o.validate({"DAYS_EMPLOYED": days["minimum"] - 1}, "en", units="raw")[1]
    assert "With parents" in schema["properties"]["NAME_HOUSING_TYPE"]["enum"]


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
