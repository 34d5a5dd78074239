"""Request models built from the raw-data contract, and readable FR/EN validation messages.

The models are generated from `scoring.data.schema.TABLES` (the loader's own
contract) with `pydantic.create_model`: one field per raw column, strict
types (an integer column takes a JSON integer, a float column any finite
number, a categorical column exactly one of its schema values), nullable
where the schema says so, unknown keys rejected. Ranges come from the
catalogue's editable raw fields. Both the API and the in-process client
validate with these models and `field_errors`, so a bad override gets the
same per-field messages whichever way it arrives.
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from scoring.data.schema import TABLES, Column
from scoring.features.history import HISTORY_TABLES

__all__ = [
    "HISTORY_TABLES", "application_model", "error_message", "field_errors", "history_model",
    "history_row_model", "lang_index", "norm_lang", "overrides_model", "score_request_model",
    "validate_overrides_payload", "what_if_request_model",
]
#: Per history table, at most this many rows in one request (the body limit bounds it anyway).
MAX_HISTORY_ROWS = 5_000
#: Identifier columns that a request may leave out (the server fills them in).
OPTIONAL_IDS = frozenset({"SK_ID_CURR"})

_STRICT = ConfigDict(extra="forbid", strict=True)
#: Integer columns are stored as Int64: larger JSON integers are refused up front.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _annotation(col: Column) -> Any:
    """The pydantic type of one raw column (strict, finite, categories as a Literal)."""
    if col.kind == "int":
        base: Any = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]
    elif col.kind == "float":
        base = Annotated[float, Field(strict=True, allow_inf_nan=False)]
    elif col.categories:
        base = Literal[col.categories]  # type: ignore[valid-type]
    else:
        base = Annotated[str, Field(strict=True, max_length=200)]
    return base


def _fields(columns: tuple[Column, ...]) -> dict[str, Any]:
    """Required where the schema says never null; nullable columns and ids default to null."""
    fields: dict[str, Any] = {}
    for col in columns:
        ann = _annotation(col)
        if col.nullable or col.name in OPTIONAL_IDS:
            fields[col.name] = (ann | None, None)
        else:
            fields[col.name] = (ann, ...)
    return fields


def _model(name: str, fields: dict[str, Any], doc: str) -> type[BaseModel]:
    return create_model(name, __config__=_STRICT, __doc__=doc, **fields)


@functools.cache
def application_model() -> type[BaseModel]:
    """A complete raw application record (application_test columns; SK_ID_CURR optional)."""
    return _model(
        "ApplicationRecord",
        _fields(TABLES["application_test"].columns),
        "One raw application, with the column names, types and categories of application_test.csv.",
    )


@functools.cache
def history_row_model(table: str) -> type[BaseModel]:
    """One raw row of a history table (SK_ID_CURR optional: it is the applicant's)."""
    return _model(
        f"{table[0].upper()}{table[1:]}Row".replace("_", ""),
        _fields(TABLES[table].columns),
        f"One raw row of {TABLES[table].file_name}.",
    )


@functools.cache
def history_model() -> type[BaseModel]:
    """The applicant's raw history rows, by table (any table may be left out)."""
    fields = {
        t: (list[history_row_model(t)] | None,  # type: ignore[misc]
            Field(default=None, max_length=MAX_HISTORY_ROWS))
        for t in HISTORY_TABLES
    }
    return _model("History", fields, "Raw history rows of a new applicant, by table.")


@functools.cache
def score_request_model() -> type[BaseModel]:
    """POST /score body: a complete application record, optionally with history rows."""
    return _model(
        "ScoreRequest",
        {"record": (application_model(), ...), "history": (history_model() | None, None)},
        "A brand-new applicant: the raw application record and, optionally, raw history rows.",
    )


def _integral(value: Any) -> Any:
    """2.0 -> 2 for whole-number fields (form widgets often send floats); anything else unchanged."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _override_annotation(col: Column, spec: Any) -> Any:
    """The type of one editable raw field (schema kind, raw units) with the catalogue's raw limits."""
    bounds = {k: v for k, v in (("ge", getattr(spec, "raw_min", None)), ("le", getattr(spec, "raw_max", None)))
              if v is not None}
    if col.kind == "str":
        base: Any = Literal[tuple(col.categories)] if col.categories else Annotated[str, Field(strict=True)]
    elif col.kind == "int":
        bounds = {"ge": INT64_MIN, "le": INT64_MAX} | bounds
        base = Annotated[int, BeforeValidator(_integral), Field(strict=True, **bounds)]
    else:
        base = Annotated[float, Field(strict=True, allow_inf_nan=False, **bounds)]
    return base | None if col.nullable else base


@functools.cache
def overrides_model() -> type[BaseModel]:
    """What-if overrides: any subset of the catalogue's editable raw fields, in raw units.

    Keys and value types are those of the raw application columns (e.g.
    DAYS_EMPLOYED in negative days, 365243 for "no current job"); ranges that
    only make sense in display units are checked by `catalogue.validate_overrides`.
    """
    from scoring.text.catalogue import RAW_FIELDS

    schema = TABLES["application_test"]
    fields = {
        name: (_override_annotation(schema.column(name), spec),
               Field(default=None, description=f"{spec.label_en} (raw column {name})"))
        for name, spec in RAW_FIELDS.items()
    }
    return _model("Overrides", fields, "Editable raw application fields to change (raw units); "
                  "any other field is rejected.")


@functools.cache
def what_if_request_model() -> type[BaseModel]:
    return _model(
        "WhatIfRequest",
        {"overrides": (overrides_model(), ...)},
        "Raw field overrides applied to the client's application before re-scoring.",
    )


# --- messages ------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "extra_forbidden": ("champ inconnu ou non modifiable", "unknown or non-editable field"),
    "missing": ("champ obligatoire manquant", "required field is missing"),
    "not_null": ("une valeur est obligatoire (ne peut pas être vide)", "a value is required (cannot be empty)"),
    "int_type": ("nombre entier attendu (reçu : {input})", "an integer is expected (got {input})"),
    "int_parsing": ("nombre entier attendu (reçu : {input})", "an integer is expected (got {input})"),
    "int_from_float": ("nombre entier attendu (reçu : {input})", "an integer is expected (got {input})"),
    "float_type": ("nombre attendu (reçu : {input})", "a number is expected (got {input})"),
    "float_parsing": ("nombre attendu (reçu : {input})", "a number is expected (got {input})"),
    "finite_number": ("nombre fini attendu (reçu : {input})", "a finite number is expected (got {input})"),
    "string_type": ("texte attendu (reçu : {input})", "a text is expected (got {input})"),
    "string_too_long": ("texte trop long (au plus {max_length} caractères)",
                        "text too long (at most {max_length} characters)"),
    "literal_error": ("valeur inconnue {input} ; valeurs permises : {expected}",
                      "unknown value {input}; allowed values: {expected}"),
    "greater_than_equal": ("doit être supérieur ou égal à {ge} (reçu : {input})",
                           "must be at least {ge} (got {input})"),
    "less_than_equal": ("doit être inférieur ou égal à {le} (reçu : {input})",
                        "must be at most {le} (got {input})"),
    "greater_than": ("doit être supérieur à {gt} (reçu : {input})", "must be greater than {gt} (got {input})"),
    "less_than": ("doit être inférieur à {lt} (reçu : {input})", "must be less than {lt} (got {input})"),
    "model_type": ("objet JSON attendu", "a JSON object is expected"),
    "model_attributes_type": ("objet JSON attendu", "a JSON object is expected"),
    "dict_type": ("objet JSON attendu", "a JSON object is expected"),
    "list_type": ("liste attendue", "a list is expected"),
    "too_long": ("trop d'éléments (au plus {max_length})", "too many items (at most {max_length})"),
    "json_invalid": ("JSON invalide : {error}", "invalid JSON: {error}"),
    "bool_type": ("booléen attendu", "a boolean is expected"),
    "bool_parsing": ("booléen attendu", "a boolean is expected"),
}
_FALLBACK = ("valeur invalide ({msg})", "invalid value ({msg})")


def lang_index(lang: str) -> int:
    """0 for French (the default), 1 for English."""
    return 1 if str(lang).lower().startswith("en") else 0


def norm_lang(lang: str) -> str:
    """"en" for any English tag, else "fr" (the catalogue takes exactly one of the two)."""
    return "en" if lang_index(lang) else "fr"


def _show(value: Any, lang: str = "fr") -> str:
    """A short, safe rendering of a user-supplied value."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        text = f"« {value} »" if lang_index(lang) == 0 else f'"{value}"'
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _expected(ctx: dict[str, Any]) -> str:
    """Allowed values of a Literal, shortened when there are many."""
    expected = str(ctx.get("expected", ""))
    parts = [p.strip() for p in expected.replace(" or ", ", ").split(", ") if p.strip()]
    return ", ".join(parts[:12]) + (", …" if len(parts) > 12 else "")


_TYPE_ERRORS = frozenset({"int_type", "float_type", "string_type", "literal_error", "model_type",
                          "dict_type", "list_type", "bool_type"})


def _bound(field: str, value: Any, lang: str) -> str:
    """A limit shown in the field's unit when the catalogue knows the field (e.g. `1 000 €`)."""
    try:
        from scoring.text.catalogue import RAW_FIELDS, format_value

        if field in RAW_FIELDS:
            return format_value(field, value, "en" if lang_index(lang) else "fr")
    except (ImportError, ValueError, TypeError):
        pass
    return str(value)


def error_message(error: dict[str, Any], lang: str = "fr") -> str:
    """One pydantic error as a sentence in French or English."""
    kind = error.get("type", "")
    if error.get("input", "") is None and kind in _TYPE_ERRORS:
        kind = "not_null"
    template = _MESSAGES.get(kind, _FALLBACK)[lang_index(lang)]
    ctx = dict(error.get("ctx") or {})
    values = {
        "input": _show(error.get("input"), lang),
        "expected": _expected(ctx),
        "msg": error.get("msg", ""),
        "error": ctx.get("error", ""),
    }
    loc = error.get("loc") or ("",)
    values.update({k: _bound(str(loc[-1]), v, lang) if k in ("ge", "le", "gt", "lt") else v
                   for k, v in ctx.items() if k not in values})
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return _FALLBACK[lang_index(lang)].format(msg=error.get("msg", ""))


def field_errors(errors: list[dict[str, Any]], lang: str = "fr",
                 strip: tuple[str, ...] = ("body", "overrides")) -> dict[str, str]:
    """Per-field messages keyed by the dotted location (leading `strip` parts removed)."""
    out: dict[str, str] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            loc = []  # its location is a character offset, not a field
        last = "body"
        while loc and loc[0] in strip:
            last, loc = loc[0], loc[1:]
        key = ".".join(loc) or last
        message = error_message(error, lang)
        out[key] = f"{out[key]} ; {message}" if key in out else message
    return out


def validate_overrides_payload(overrides: dict[str, Any], lang: str = "fr") -> dict[str, Any]:
    """Type/range/category check of what-if overrides; returns the cleaned dict or raises InvalidOverride."""
    from scoring.service.protocol import InvalidOverride

    if not isinstance(overrides, dict):
        raise InvalidOverride({"overrides": _MESSAGES["dict_type"][lang_index(lang)]})
    try:
        model = overrides_model().model_validate(overrides)
    except ValidationError as exc:
        raise InvalidOverride(field_errors(exc.errors(include_url=False), lang)) from None
    return model.model_dump(exclude_unset=True)
