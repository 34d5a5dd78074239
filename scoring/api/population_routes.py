"""The API's population and what-if-form routes: what the dashboard's sections draw, as JSON.

Each route parses its parameters and hands them to the in-process client,
which checks them (`InvalidQuery` -> 422 per parameter, `UnknownClient` ->
404) and computes with `scoring.service.population_queries`; answers are the
protocol dataclasses as JSON, so the HTTP client rebuilds identical values.
"""

# No `from __future__ import annotations`: FastAPI reads the request models from the annotations.

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from scoring.api.models import overrides_check_model, selection_request_model
from scoring.service.population_queries import MAX_POINTS, MAX_POINTS_LIMIT
from scoring.service.protocol import (
    Comparison,
    OverrideCheck,
    PopulationInfo,
    ScatterSample,
    Selection,
    WhatIfForm,
)

_LANG = Query(None, description="language of messages (default: Accept-Language, else fr)")
_CLIENT = Query(None, description="SK_ID_CURR of the client to place in the population (optional)")
LangParam = Literal["fr", "en"] | None


def to_json(result: Any) -> Any:
    """A protocol result as JSON values, without copying long lists of numbers (unlike `asdict`)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: to_json(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, list) and result and dataclasses.is_dataclass(result[0]):
        return [to_json(v) for v in result]
    return result


def add_population_routes(app: FastAPI, client: Any, lang_for: Callable[[Request], str]) -> None:
    """Register the population and what-if-form routes on `app`, served by `client`."""
    selection_body = selection_request_model()
    check_body = overrides_check_model()

    @app.get("/population", summary="Features that can be compared, their groups, population size",
             response_model=PopulationInfo)
    def population() -> JSONResponse:
        return JSONResponse(to_json(client.population()))

    @app.get("/population/comparison", response_model=Comparison,
             summary="A feature's histogram per comparison group, and where the client stands")
    def comparison(request: Request, feature: str = Query(..., description="feature column"),
                   group: str = Query("all", description="all, gender, age_band, similar, granted_refused"),
                   client_id: int | None = _CLIENT, lang: LangParam = _LANG) -> JSONResponse:
        return JSONResponse(to_json(client.comparison(feature, group, client_id, lang or lang_for(request))))

    @app.get("/population/scatter", response_model=ScatterSample,
             summary="A risk-stratified sample of two numeric features, the client included")
    def scatter(request: Request, x: str = Query(..., description="horizontal feature"),
                y: str = Query(..., description="vertical feature"), client_id: int | None = _CLIENT,
                max_points: int = Query(MAX_POINTS, description="most background points"),
                lang: LangParam = _LANG) -> JSONResponse:
        return JSONResponse(to_json(client.scatter(x, y, client_id, max_points, lang or lang_for(request))))

    @app.post("/population/selection", response_model=Selection,
              summary="Count, default rate, mean probability and histogram of a selection of clients")
    def selection(request: Request, body: selection_body,  # type: ignore[valid-type]
                  lang: LangParam = _LANG) -> JSONResponse:
        result = client.selection(body.x, body.y, body.region, body.client_ids, lang or lang_for(request))
        return JSONResponse(to_json(result))

    @app.get("/clients/{client_id}/what-if/form", response_model=WhatIfForm,
             summary="The what-if form: editable fields, units, limits and the client's current values")
    def what_if_form(client_id: int = Path(description="SK_ID_CURR of the client", ge=0, le=2**62)
                     ) -> JSONResponse:
        return JSONResponse(to_json(client.what_if_form(client_id)))

    @app.get("/what-if/form", response_model=WhatIfForm,
             summary="The what-if form's editable fields, units and limits (no client's values)")
    def what_if_fields() -> JSONResponse:
        return JSONResponse(to_json(client.what_if_form(None)))

    @app.post("/what-if/check", response_model=OverrideCheck,
              summary="Check edited what-if values (typed text or numbers) without scoring")
    def check(request: Request, body: check_body,  # type: ignore[valid-type]
              units: Literal["display", "raw"] = Query("display", description="units of the values"),
              lang: LangParam = _LANG) -> JSONResponse:
        return JSONResponse(to_json(client.check_overrides(body.overrides, lang or lang_for(request), units)))


def document_population(app: FastAPI, client: Any) -> None:
    """Name the allowed features and groups in the OpenAPI document (known once the population
    is loaded: the document is built on its first request, not at start-up)."""
    build = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        schema = build()
        if done.get("schema") is schema:
            return schema
        info = client.population()
        every = [f.name for f in info.features]
        numeric = [f.name for f in info.features if f.kind == "numeric"]
        enums = {("/population/comparison", "feature"): every,
                 ("/population/comparison", "group"): list(info.comparison_groups),
                 ("/population/scatter", "x"): numeric, ("/population/scatter", "y"): numeric}
        for (path, name), allowed in enums.items():
            for parameter in schema["paths"].get(path, {}).get("get", {}).get("parameters", []):
                if parameter.get("name") == name:
                    parameter["schema"]["enum"] = allowed
        for parameter in schema["paths"].get("/population/scatter", {}).get("get", {}).get("parameters", []):
            if parameter.get("name") == "max_points":
                parameter["schema"] |= {"minimum": 1, "maximum": MAX_POINTS_LIMIT}
        body = schema.get("components", {}).get("schemas", {}).get("SelectionRequest", {})
        for axis in ("x", "y"):
            if axis in body.get("properties", {}):
                body["properties"][axis] = {"anyOf": [{"type": "string", "enum": numeric}, {"type": "null"}],
                                            "description": f"numeric feature on the {axis} axis of the region"}
        done["schema"] = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
