"""The error bodies in the OpenAPI document are the ones the API really sends.

FastAPI documents a 422 as its own `HTTPValidationError` (a list of pydantic
errors) and no other error; this API answers every error with one JSON shape
in the request's language (`scoring.api.middleware`): `{"detail": text}`,
plus `errors` (field -> message) for a 422, plus a few keys of its own (e.g.
a 409's `client_id` and `what_if`). So the document says exactly that, once,
for every operation: a 422 with `ValidationProblem`, and any other status
(400 bad host, 401, 404, 405, 409, 413, 429) as the `default` response with
`Problem`. Schema-driven clients and tests (schemathesis) can then check
every response against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An error, explained in the request's language (French by default).",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "What went wrong, in words"}},
}
VALIDATION_PROBLEM: dict[str, Any] = {
    "type": "object",
    "title": "ValidationProblem",
    "description": "Invalid input: one message per field, in the request's language.",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "field (e.g. `lang`, `overrides.AMT_CREDIT`) -> message"},
    },
}
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def describe_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a generated OpenAPI document's error responses (in place; returns it)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_ERRORS:
        schemas.pop(name, None)
    schemas["Problem"], schemas["ValidationProblem"] = PROBLEM, VALIDATION_PROBLEM
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code == "422":
                    response["content"] = _json("ValidationProblem")
                    response["description"] = "Invalid input: a message per field"
                elif code[:1] in ("4", "5"):
                    response["content"] = _json("Problem")
            responses["default"] = {"description": "Any other error (unknown client, wrong method, "
                                                   "body too large, unknown host...)",
                                    "content": _json("Problem")}
    return schema


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` describe the error bodies the API sends (after any other rewriting)."""
    build = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        schema = build()
        if done.get("schema") is not schema:
            done["schema"] = describe_errors(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
