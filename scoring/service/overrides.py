"""What-if overrides: the one place where an edited application field is checked and converted.

An advisor edits a client's application in *display units* (years of
employment, a whole number of household members, "1 500,5" typed in
French); the model reads *raw units* (the application column: DAYS_EMPLOYED
in negative days, 365243 for "no current job"). This module knows, per
editable field, its display and raw units, its range (in display units),
whether it takes a whole number or one of a list of categories, and the
FR/EN message for each problem, naming the field and the value. The what-if
form (its fields and defaults), the in-process client and the API all go
through `validate`, so a value is checked once, by one set of rules.

Protected attributes (the catalogue's `protected` flag: family situation,
children...) are never a change suggested to a client: `validate` refuses
them with a message saying so, the form does not offer them and the API's
schema does not list them.

The fields themselves (which raw columns, their labels, units and limits)
are described by `scoring.text.catalogue.RAW_FIELDS`; the column types and
categories by the raw-data schema.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.data.schema import TABLES
from scoring.service.lang import norm_lang, pick
from scoring.service.protocol import FormField, OverrideCheck
from scoring.service.records import plain, show_value
from scoring.text import catalogue

UNITS = ("raw", "display")
#: Characters a typed number may carry that are not part of it (thousands separators).
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")

_TEXT: dict[str, tuple[str, str]] = {
    "payload": ("objet JSON attendu (champ : valeur)", "a JSON object is expected (field: value)"),
    "unknown": ("champ inconnu : {name}", "unknown field: {name}"),
    "not_editable": ("champ non modifiable : {name}", "non-editable field: {name}"),
    "protected": ("{label} ({name}) : attribut protégé, il ne peut pas être modifié dans une simulation",
                  "{label} ({name}): protected attribute, it cannot be changed in a simulation"),
    "required": ("{label} : une valeur est obligatoire", "{label}: a value is required"),
    "number": ("{label} : nombre attendu (reçu : {value})", "{label}: a number is expected (got {value})"),
    "integer": ("{label} : nombre entier attendu (reçu : {value})",
                "{label}: an integer is expected (got {value})"),
    "choice": ("{label} : valeur inconnue {value} ; valeurs possibles : {values}",
               "{label}: unknown value {value}; allowed values: {values}"),
    "between": ("{label} : {value} hors limites, doit être compris entre {lo} et {hi}",
                "{label}: {value} is out of range, must be between {lo} and {hi}"),
    "at_least": ("{label} : {value} trop bas, doit être au moins {lo}",
                 "{label}: {value} is too low, must be at least {lo}"),
    "at_most": ("{label} : {value} trop haut, doit être au plus {hi}",
                "{label}: {value} is too high, must be at most {hi}"),
    "units": ("unités inconnues {value} ; valeurs possibles : raw, display",
              "unknown units {value}; allowed: raw, display"),
}


@dataclass(frozen=True)
class OverrideField:
    """One editable raw application field: units, limits, and its two conversions."""

    name: str  # raw application column
    labels: tuple[str, str]  # (FR, EN)
    kind: str  # display kind: "int" | "float" | "category"
    unit: str  # display unit (catalogue UNITS key)
    raw_kind: str  # schema kind of the raw column: "int" | "float" | "str"
    minimum: float | None  # display units
    maximum: float | None
    categories: tuple[str, ...]
    nullable: bool  # the raw column may be null
    empty_raw: Any  # raw code an empty display value stands for (365243 = no current job), else None
    protected: bool
    feature: str
    from_raw: Callable[[Any], Any]
    display_to_raw: Callable[[Any], Any]

    def label(self, lang: str) -> str:
        return pick(self.labels, lang)

    def required(self, units: str = "display") -> bool:
        """An empty value is refused: raw, when the column is never null; display, when an
        empty field does not stand for a code either."""
        return not self.nullable and (units == "raw" or self.empty_raw is None)

    def to_display(self, raw: Any) -> Any:
        """A raw value in display units (None when missing or a "not applicable" code)."""
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return None
        if self.kind == "category":
            return str(raw)
        value = self.from_raw(plain(raw))
        if value is None:
            return None
        return round(value) if self.kind == "int" else float(value)

    def to_raw(self, display: Any) -> Any:
        """A display value in the raw column's type (an empty value becomes its code or None)."""
        if display is None:
            return self.empty_raw
        return _raw_typed(self.raw_kind, self.display_to_raw(display))


def _raw_typed(raw_kind: str, value: Any) -> Any:
    if value is None:
        return None
    return {"int": int, "float": float}.get(raw_kind, str)(value)


def _field(name: str, spec: Any) -> OverrideField:
    column = TABLES["application_train"].column(name)
    entry = catalogue.CATALOGUE.get(spec.feature or name)
    empty = spec.to_raw(None) if column.kind != "str" and not column.nullable else None
    return OverrideField(
        name=name, labels=(spec.label_fr, spec.label_en), kind=spec.kind, unit=spec.unit,
        raw_kind=column.kind, minimum=spec.minimum, maximum=spec.maximum,
        categories=tuple(column.categories or ()), nullable=column.nullable,
        empty_raw=_raw_typed(column.kind, empty), protected=bool(entry and entry.protected),
        feature=spec.feature or name, from_raw=spec.from_raw, display_to_raw=spec.to_raw,
    )


@functools.cache
def fields() -> dict[str, OverrideField]:
    """Every editable field, keyed by raw column, in the catalogue's order."""
    return {name: _field(name, spec) for name, spec in catalogue.RAW_FIELDS.items()}


# -- conversions ----------------------------------------------------------------------------
def to_raw(display_values: Mapping[str, Any]) -> dict[str, Any]:
    """Display values (already valid) to raw column values."""
    specs = fields()
    return {name: specs[name].to_raw(value) for name, value in display_values.items()}


def to_display(raw_values: Mapping[str, Any]) -> dict[str, Any]:
    """Raw column values to display units (None for missing values and "not applicable" codes)."""
    specs = fields()
    return {name: specs[name].to_display(value) for name, value in raw_values.items() if name in specs}


def parse_text(text: Any) -> Any:
    """What an advisor typed, as a value: "" -> None, "1 500,5" -> 1500.5, other text unchanged.

    Numbers keep their type; only strings are read (either decimal mark, any
    thousands space), so that `validate` can name the text it could not read.
    """
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return float(stripped.translate(_SPACES).replace(",", "."))
    except ValueError:
        return stripped


# -- checks ---------------------------------------------------------------------------------
def validate(values: Any, lang: str = "fr", *, units: str = "raw"
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean raw values, {field: message}) for edited fields in raw or display units.

    Every field is checked (unknown or non-editable name, emptiness, type,
    whole number, category, range in display units) and every problem is
    reported, so a form can flag all its fields at once. In display units a
    text is read as a typed number first (`parse_text`).
    """
    clean, _display, errors = _validate(values, norm_lang(lang), units)
    return clean, errors


def check(values: Any, lang: str = "fr", *, units: str = "display") -> OverrideCheck:
    """`validate`, with the valid values in both units (what the form shows and what it sends)."""
    raw, display, errors = _validate(values, norm_lang(lang), units)
    return OverrideCheck(raw=raw, display=display, errors=errors)


def _validate(values: Any, lang: str, units: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    if units not in UNITS:
        raise ValueError(pick(_TEXT["units"], lang, value=show_value(units, lang)))
    if not isinstance(values, Mapping):
        return {}, {}, {"overrides": pick(_TEXT["payload"], lang)}
    specs, known = fields(), TABLES["application_train"].column_names
    raw: dict[str, Any] = {}
    display: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        name = str(key)
        spec = specs.get(name)
        if spec is None:
            errors[name] = pick(_TEXT["not_editable" if name in known else "unknown"], lang, name=name)
            continue
        if spec.protected:
            errors[name] = pick(_TEXT["protected"], lang, name=name, label=spec.label(lang))
            continue
        shown, problem = _check_one(spec, plain(value), lang, units)
        if problem:
            errors[name] = problem
        else:
            display[name] = shown
            raw[name] = _raw_typed(spec.raw_kind, plain(value)) if units == "raw" else spec.to_raw(shown)
    return raw, display, errors


def _check_one(spec: OverrideField, value: Any, lang: str, units: str) -> tuple[Any, str | None]:
    """(the value in display units, None) or (None, the message naming field and value)."""
    if units == "display":
        value = parse_text(value)
    def say(key: str, **extra: Any) -> str:
        return pick(_TEXT[key], lang, **({"label": spec.label(lang), "value": show_value(value, lang)} | extra))

    if value is None:
        return None, say("required") if spec.required(units) else None
    if spec.kind == "category":
        if not isinstance(value, str) or (spec.categories and value not in spec.categories):
            values = ", ".join(_category(spec.name, c, lang) for c in spec.categories)
            return None, say("choice", values=values)
        return value, None
    whole = spec.kind == "int" or (units == "raw" and spec.raw_kind == "int")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, say("integer" if whole else "number")
    if whole and not float(value).is_integer():
        return None, say("integer")
    shown = spec.from_raw(value) if units == "raw" else value
    if shown is None:  # a "not applicable" code, e.g. DAYS_EMPLOYED = 365243
        return None, None
    if spec.kind == "int" and not float(shown).is_integer():
        return None, say("integer")
    shown = int(shown) if spec.kind == "int" else float(shown)
    lo, hi = spec.minimum, spec.maximum
    if (lo is not None and shown < lo) or (hi is not None and shown > hi):
        key = "between" if lo is not None and hi is not None else "at_least" if lo is not None else "at_most"
        return None, say(key, value=_format(spec, shown, lang), lo=_format(spec, lo, lang),
                         hi=_format(spec, hi, lang))
    return shown, None


def _format(spec: OverrideField, value: Any, lang: str) -> str:
    """A value in the field's unit (`1 000 €`), or as received when it cannot be formatted."""
    if value is None:
        return ""
    try:
        return catalogue.format_value(spec.name, value, lang)
    except (ValueError, ArithmeticError, OverflowError):  # e.g. 1e300 euros: still say which value
        return show_value(value, lang)


def _category(name: str, code: str, lang: str) -> str:
    text = catalogue.category_label(name, code, lang)
    return text if text == code else f"{text} ({code})"


# -- the form ---------------------------------------------------------------------------------
def form_fields(record: Mapping[str, Any]) -> list[FormField]:
    """Every field a what-if may change (protected ones left out), with the client's raw record
    value in display units as default."""
    out = []
    for name, spec in fields().items():
        if spec.protected:
            continue
        out.append(FormField(
            name=name, labels={"fr": spec.labels[0], "en": spec.labels[1]}, kind=spec.kind,
            unit=spec.unit, minimum=spec.minimum, maximum=spec.maximum,
            categories=list(spec.categories), required=spec.required("display"),
            feature=spec.feature, default=spec.to_display(record.get(name)),
        ))
    return out


def _raw_bounds(raw_spec: catalogue.RawField) -> dict[str, float]:
    """The display limits in raw units (converted ones too: 0..60 years of employment are
    -21915..0 days), as JSON Schema bounds."""
    if raw_spec.minimum is None or raw_spec.maximum is None:
        return {}
    if not raw_spec.converts:
        return {"minimum": raw_spec.minimum, "maximum": raw_spec.maximum}
    low, high = sorted((raw_spec.to_raw(raw_spec.minimum), raw_spec.to_raw(raw_spec.maximum)))
    return {"minimum": low, "maximum": high}


def json_schema() -> dict[str, Any]:
    """The OpenAPI schema of a what-if body's `overrides` (raw units), for the API's docs only."""
    properties = {}
    for name, spec in fields().items():
        if spec.protected:
            continue
        if spec.raw_kind == "str":
            prop: dict[str, Any] = {"type": "string"}
            if spec.categories:
                prop["enum"] = list(spec.categories)
        else:
            prop = {"type": "integer" if spec.raw_kind == "int" else "number"}
            prop |= _raw_bounds(catalogue.RAW_FIELDS[name])
            if spec.empty_raw is not None:  # e.g. DAYS_EMPLOYED's 365243: "no current job"
                prop = {"anyOf": [prop, {"const": spec.empty_raw}]}
        if spec.nullable:
            prop = {"anyOf": [prop, {"type": "null"}]}
        limits = "" if spec.minimum is None else f"; display range {spec.minimum}..{spec.maximum} {spec.unit}"
        prop |= {"title": spec.labels[1], "description": f"{spec.labels[1]} (raw column {name}{limits})"}
        properties[name] = prop
    return {"title": "Overrides", "type": "object", "additionalProperties": False,
            "description": "Editable raw application fields to change (raw units); any other field, "
                           "protected attributes included, is rejected.", "properties": properties}
