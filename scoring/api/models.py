"""Request bodies of the API: envelopes whose contents the service checks.

A new applicant's record and history use the schema-generated models of
`scoring.service.records` (the service validates with the same ones). What-if
overrides are only typed here as "an object": their rules (editable fields,
units, ranges, messages) belong to `scoring.service.overrides`, which checks
each value once; its `json_schema()` documents them in the OpenAPI schema
under `Overrides`.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from scoring.service.records import (
    HISTORY_TABLES,
    application_model,
    error_message,
    field_errors,
    history_model,
    history_row_model,
)

__all__ = [
    "HISTORY_TABLES", "OVERRIDES_REF", "application_model", "error_message", "field_errors",
    "history_model", "history_row_model", "overrides_check_model", "score_request_model",
    "selection_request_model", "what_if_request_model",
]

_STRICT = ConfigDict(extra="forbid", strict=True)
#: Where the OpenAPI schema keeps the overrides' own schema (added by the app, see create_app).
OVERRIDES_REF = "#/components/schemas/Overrides"
#: An object of edited fields: checked by the service, documented by `Overrides`.
_Overrides = Annotated[dict[str, Any], WithJsonSchema({"allOf": [{"$ref": OVERRIDES_REF}]})]
#: Largest lasso polygon and id list a selection may carry (the body limit bounds them anyway).
MAX_POLYGON_POINTS = 10_000
MAX_SELECTED_IDS = 200_000


def _model(name: str, fields: dict[str, Any], doc: str) -> type[BaseModel]:
    return create_model(name, __config__=_STRICT, __doc__=doc, **fields)


@functools.cache
def score_request_model() -> type[BaseModel]:
    """POST /score body: a complete application record, optionally with history rows."""
    return _model(
        "ScoreRequest",
        {"record": (application_model(), ...), "history": (history_model() | None, None)},
        "A brand-new applicant: the raw application record and, optionally, raw history rows.",
    )


@functools.cache
def what_if_request_model() -> type[BaseModel]:
    """POST /clients/{id}/what-if body: `{"overrides": {FIELD: raw value}}`."""
    return _model(
        "WhatIfRequest",
        {"overrides": (_Overrides, ...)},
        "Raw field overrides applied to the client's application before re-scoring.",
    )


@functools.cache
def overrides_check_model() -> type[BaseModel]:
    """POST /what-if/check body: edited fields, in display (default) or raw units."""
    return _model(
        "OverridesCheckRequest",
        {"overrides": (Any, ...)},
        "Edited fields to check: numbers, or texts as typed in a form (display units).",
    )


#: A Bokeh selection geometry (checked by the service; this schema only documents it).
_REGION_SCHEMA: dict[str, Any] = {
    "title": "Region", "type": "object",
    "description": "A Bokeh selection geometry: rect (x0, x1, y0, y1), span (direction h: x0, x1; "
                   "v: y0, y1) or poly (lists x and y, the lasso), in the two features' units.",
    "properties": {
        "type": {"type": "string", "enum": ["rect", "span", "poly"]},
        **{k: {"type": "number"} for k in ("x0", "x1", "y0", "y1")},
        "direction": {"type": "string", "enum": ["h", "v"]},
        "x": {"type": "array", "items": {"type": "number"}, "maxItems": MAX_POLYGON_POINTS},
        "y": {"type": "array", "items": {"type": "number"}, "maxItems": MAX_POLYGON_POINTS},
    },
    "required": ["type"],
}
_Region = Annotated[dict[str, Any], WithJsonSchema(_REGION_SCHEMA)]


@functools.cache
def selection_request_model() -> type[BaseModel]:
    """POST /population/selection body: a region on two features, or a list of client ids."""
    return _model(
        "SelectionRequest",
        {"x": (str | None, None), "y": (str | None, None), "region": (_Region | None, None),
         "client_ids": (list[int] | None, Field(default=None, max_length=MAX_SELECTED_IDS))},
        "The clients to summarise: inside `region` on features x and y, or `client_ids`; "
        "neither = the whole population.",
    )
