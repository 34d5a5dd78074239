"""A client's key facts in human units, for the advisor (FR by default, EN on request).

The raw application record stores ages and job tenures as negative day
counts, amounts as bare numbers and situations as internal English codes;
none of that is shown as is. Amounts, durations and category labels come
from the catalogue, so a fact reads exactly like the same value in an
explanation.
"""

from __future__ import annotations

import math
from typing import Any

from scoring.data.schema import DAYS_NOT_APPLICABLE
from scoring.text import catalogue

YEAR_DAYS = catalogue.YEAR_DAYS

_TEXT = {
    "client": ("Client", "Client"),
    "sample_train": ("Dossier existant", "Existing file"),
    "sample_new": ("Nouvelle demande", "New application"),
    "missing": ("non renseigné", "not provided"),
    "not_applicable": ("sans objet (pas d'emploi salarié)", "not applicable (no salaried job)"),
    "car_yes_age": ("Oui (véhicule de {age})", "Yes (car {age} old)"),
}

#: The facts shown, in order: key -> (FR label, EN label).
FACT_LABELS: dict[str, tuple[str, str]] = {
    "age": ("Âge", "Age"),
    "employment": ("Ancienneté dans l'emploi", "Time in current job"),
    "income_type": ("Situation professionnelle", "Income type"),
    "occupation": ("Métier", "Occupation"),
    "income": ("Revenu annuel", "Annual income"),
    "contract_type": ("Type de crédit", "Credit type"),
    "credit": ("Montant du crédit", "Credit amount"),
    "annuity": ("Annuité", "Annuity"),
    "goods_price": ("Prix du bien financé", "Price of the goods"),
    "family_status": ("Situation familiale", "Family status"),
    "children": ("Enfants", "Children"),
    "housing": ("Logement", "Housing"),
    "realty": ("Propriétaire d'un bien immobilier", "Owns real estate"),
    "car": ("Voiture", "Car"),
    "education": ("Niveau d'études", "Education"),
}


def _i(lang: str) -> int:
    return 1 if str(lang).lower().startswith("en") else 0


def _code(lang: str) -> str:
    return "en" if _i(lang) else "fr"


def text(key: str, lang: str, **kw: Any) -> str:
    return _TEXT[key][_i(lang)].format(**kw)


def category_label(column: str, code: Any, lang: str = "fr") -> str:
    """Readable label of a category code (the code itself if it has no translation)."""
    if code is None:
        return text("missing", lang)
    return catalogue.category_label(column, str(code), _code(lang))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(name: str, value: Any, lang: str) -> str:
    """Through the catalogue's formats (so a fact reads like the explanation's values)."""
    if _missing(value):
        return text("missing", lang)
    return catalogue.format_value(name, value, _code(lang))


#: Facts that show a feature of the catalogue take its label (same words as the explanation).
FACT_FEATURES = {
    "age": "AGE_YEARS", "employment": "EMPLOYMENT_YEARS", "income_type": "NAME_INCOME_TYPE",
    "occupation": "OCCUPATION_TYPE", "income": "AMT_INCOME_TOTAL", "contract_type": "NAME_CONTRACT_TYPE",
    "credit": "AMT_CREDIT", "annuity": "AMT_ANNUITY", "goods_price": "AMT_GOODS_PRICE",
    "family_status": "NAME_FAMILY_STATUS", "children": "CNT_CHILDREN", "housing": "NAME_HOUSING_TYPE",
    "realty": "FLAG_OWN_REALTY", "car": "FLAG_OWN_CAR", "education": "NAME_EDUCATION_TYPE",
}


def fact_label(key: str, lang: str) -> str:
    feature = FACT_FEATURES.get(key)
    if feature in catalogue.CATALOGUE:
        return catalogue.label(feature, _code(lang))
    return FACT_LABELS[key][_i(lang)]


def _fact(key: str, value: Any, display: str, lang: str) -> dict[str, Any]:
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    return {"key": key, "label": fact_label(key, lang), "value": value, "display": display}


def build_profile(client_id: int, record: dict[str, Any], sample: str | None, lang: str = "fr"
                  ) -> dict[str, Any]:
    """Key facts of one raw application record, every value in human units.

    `value` is the fact in its human unit (years, currency amount, count, or
    the readable category label); `display` is the formatted text.
    """
    days_birth = record.get("DAYS_BIRTH")
    age = None if _missing(days_birth) else round(-float(days_birth) / YEAR_DAYS, 2)
    days_employed = record.get("DAYS_EMPLOYED")
    if _missing(days_employed):
        employment, employment_text = None, text("missing", lang)
    elif int(days_employed) == DAYS_NOT_APPLICABLE:
        employment, employment_text = None, text("not_applicable", lang)
    else:
        employment = round(max(-float(days_employed), 0.0) / YEAR_DAYS, 2)
        employment_text = _number("EMPLOYMENT_YEARS", employment, lang)

    def cat(key: str, column: str) -> dict[str, Any]:
        code = record.get(column)
        label = category_label(column, code, lang)
        return _fact(key, None if code is None else label, label, lang)

    def money(key: str, column: str) -> dict[str, Any]:
        value = record.get(column)
        return _fact(key, None if _missing(value) else float(value), _number(column, value, lang), lang)

    children = record.get("CNT_CHILDREN")
    car_code, car_age = record.get("FLAG_OWN_CAR"), record.get("OWN_CAR_AGE")
    car_text = category_label("FLAG_OWN_CAR", car_code, lang)
    if car_code == "Y" and not _missing(car_age):
        car_text = text("car_yes_age", lang, age=_number("OWN_CAR_AGE", car_age, lang))
    facts = [
        _fact("age", age, _number("AGE_YEARS", age, lang), lang),
        _fact("employment", employment, employment_text, lang),
        cat("income_type", "NAME_INCOME_TYPE"),
        cat("occupation", "OCCUPATION_TYPE"),
        money("income", "AMT_INCOME_TOTAL"),
        cat("contract_type", "NAME_CONTRACT_TYPE"),
        money("credit", "AMT_CREDIT"),
        money("annuity", "AMT_ANNUITY"),
        money("goods_price", "AMT_GOODS_PRICE"),
        cat("family_status", "NAME_FAMILY_STATUS"),
        _fact("children", None if _missing(children) else int(children),
              _number("CNT_CHILDREN", children, lang), lang),
        cat("housing", "NAME_HOUSING_TYPE"),
        cat("realty", "FLAG_OWN_REALTY"),
        _fact("car", None if car_code is None else car_text, car_text, lang),
        cat("education", "NAME_EDUCATION_TYPE"),
    ]
    sample_key = "sample_new" if sample == "new" else "sample_train"
    return {
        "client_id": int(client_id),
        "lang": "en" if _i(lang) else "fr",
        "sample": sample,
        "sample_label": text(sample_key, lang),
        "facts": facts,
        "form_values": form_values(record),
    }


def form_values(record: dict[str, Any]) -> dict[str, Any]:
    """Current values of the editable raw fields in their display units (what-if form defaults)."""
    out = {}
    for name in catalogue.RAW_FIELDS:
        value = record.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        shown = catalogue.raw_to_display(name, value)
        if catalogue.RAW_FIELDS[name].kind == "int" and isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        out[name] = shown
    return out
