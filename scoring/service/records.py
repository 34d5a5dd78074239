"""A new applicant's raw record and history rows: models built from the raw-data contract.

The models are generated from `scoring.data.schema.TABLES` (the loader's own
contract) with `pydantic.create_model`: one field per raw column, strict
types (an integer column takes a JSON integer, a float column any finite
number, a categorical column exactly one of its schema values), nullable
where the schema says so, unknown keys rejected. They live below the API so
that the service checks a record the same way whichever way it arrives; the
API only reuses them for its OpenAPI schema. `field_errors` turns pydantic's
errors into readable French or English messages.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from scoring.data.schema import TABLES, Column, Range
from scoring.features.history import HISTORY_TABLES
from scoring.service.lang import lang_index
from scoring.service.protocol import InvalidOverride

__all__ = [
    "HISTORY_TABLES", "application_model", "error_message", "field_errors", "history_model",
    "history_row_model", "plain", "validate_application",
]
#: Per history table, at most this many rows in one request (the body limit bounds it anyway).
MAX_HISTORY_ROWS = 5_000
#: Identifier columns that a request may leave out (the server fills them in).
OPTIONAL_IDS = frozenset({"SK_ID_CURR"})

_STRICT = ConfigDict(extra="forbid", strict=True)
#: Integer columns are stored as Int64; a larger JSON integer is refused up front (bounds a float
#: can hold exactly, so that a JSON Schema validator comparing as floats agrees with ours).
INT64_MIN, INT64_MAX = -9_200_000_000_000_000_000, 9_200_000_000_000_000_000


def _integral(value: Any) -> Any:
    """A JSON number with no fraction is an integer (JSON Schema says so: 2.0 is one)."""
    if isinstance(value, float) and value.is_integer() and INT64_MIN <= value <= INT64_MAX:
        return int(value)
    return value


def _limits(col: Column, ranges: tuple[Range, ...]) -> tuple[float | None, float | None, int | None]:
    """(low, high, sentinel) of the column's error-severity plausible ranges (the validator's)."""
    low = high = sentinel = None
    for rule in ranges:
        if rule.severity == "error" and col.name in rule.columns:
            low = rule.low if low is None or (rule.low is not None and rule.low > low) else low
            high = rule.high if high is None or (rule.high is not None and rule.high < high) else high
            sentinel = rule.sentinel if rule.sentinel is not None else sentinel
    return low, high, sentinel


def _annotation(col: Column, ranges: tuple[Range, ...] = ()) -> Any:
    """The pydantic type of one raw column (strict, finite, within the schema's plausible
    ranges, categories as a Literal)."""
    low, high, sentinel = _limits(col, ranges)
    if col.kind == "int":
        # the validator after the Field: pydantic then documents the bounds as minimum/maximum
        ann: Any = Annotated[int, Field(strict=True, ge=INT64_MIN if low is None else math.ceil(low),
                                        le=INT64_MAX if high is None else math.floor(high)),
                             BeforeValidator(_integral)]
    elif col.kind == "float":
        ann = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=low, le=high)]
    elif col.categories:
        return Literal[col.categories]  # type: ignore[valid-type]
    else:
        return Annotated[str, Field(strict=True, max_length=200)]
    return ann if sentinel is None else Literal[sentinel] | ann  # type: ignore[valid-type]


def _fields(columns: tuple[Column, ...], ranges: tuple[Range, ...] = ()) -> dict[str, Any]:
    """Required where the schema says never null; nullable columns and ids default to null."""
    fields: dict[str, Any] = {}
    for col in columns:
        ann = _annotation(col, ranges)
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
        _fields(TABLES["application_test"].columns, TABLES["application_test"].ranges),
        "One raw application, with the column names, types and categories of application_test.csv.",
    )


@functools.cache
def history_row_model(table: str) -> type[BaseModel]:
    """One raw row of a history table (SK_ID_CURR optional: it is the applicant's)."""
    return _model(
        f"{table[0].upper()}{table[1:]}Row".replace("_", ""),
        _fields(TABLES[table].columns, TABLES[table].ranges),
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


def plain(value: Any) -> Any:
    """numpy scalars to Python ones (strict pydantic types reject numpy integers)."""
    return value.item() if isinstance(value, np.generic) else value


def validate_application(record: Any, history: Any, lang: str = "fr"
                         ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """A new applicant's record and history rows checked against the schema models.

    Raises InvalidOverride whose `errors` map "record.FIELD" or
    "history.TABLE.ROW.FIELD" to a message.
    """
    errors: dict[str, str] = {}
    clean_record: dict[str, Any] = {}
    clean_history: dict[str, list[dict[str, Any]]] = {}
    try:
        payload = {k: plain(v) for k, v in record.items()} if isinstance(record, Mapping) else record
        clean_record = application_model().model_validate(payload).model_dump()
    except ValidationError as exc:
        errors.update(_prefixed("record", field_errors(exc.errors(include_url=False), lang)))
    if history is not None:
        try:
            if isinstance(history, Mapping):
                history = {t: [{k: plain(v) for k, v in row.items()} if isinstance(row, Mapping) else row
                               for row in rows] if isinstance(rows, list) else rows
                           for t, rows in history.items()}
            model = history_model().model_validate(history)
            clean_history = {t: rows for t, rows in model.model_dump().items() if rows}
        except ValidationError as exc:
            errors.update(_prefixed("history", field_errors(exc.errors(include_url=False), lang)))
    if errors:
        raise InvalidOverride(errors)
    return clean_record, clean_history


def _prefixed(prefix: str, errors: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}.{k}" if k != "body" else prefix: v for k, v in errors.items()}


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
_TYPE_ERRORS = frozenset({"int_type", "float_type", "string_type", "literal_error", "model_type",
                          "dict_type", "list_type", "bool_type"})


def show_value(value: Any, lang: str = "fr") -> str:
    """A short, safe rendering of a user-supplied value (quoted when it is a text)."""
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


def error_message(error: dict[str, Any], lang: str = "fr") -> str:
    """One pydantic error as a sentence in French or English."""
    kind = error.get("type", "")
    if error.get("input", "") is None and kind in _TYPE_ERRORS:
        kind = "not_null"
    template = _MESSAGES.get(kind, _FALLBACK)[lang_index(lang)]
    ctx = dict(error.get("ctx") or {})
    values = {
        "input": show_value(error.get("input"), lang),
        "expected": _expected(ctx),
        "msg": error.get("msg", ""),
        "error": ctx.get("error", ""),
    }
    values.update({k: v for k, v in ctx.items() if k not in values})
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return _FALLBACK[lang_index(lang)].format(msg=error.get("msg", ""))


def field_errors(errors: list[dict[str, Any]], lang: str = "fr",
                 strip: tuple[str, ...] = ("body",)) -> dict[str, str]:
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


def history_frames(history: dict[str, list[dict[str, Any]]], client_id: int) -> dict[str, Any]:
    """Raw history rows as lazy frames with the schema's dtypes, keyed to the applicant."""
    import polars as pl

    frames = {}
    for table in HISTORY_TABLES:
        schema = TABLES[table].polars_schema
        rows = history.get(table) or []
        frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
        if "SK_ID_CURR" in schema:
            frame = frame.with_columns(pl.lit(int(client_id), dtype=pl.Int64).alias("SK_ID_CURR"))
        frames[table] = frame.lazy()
    return frames
