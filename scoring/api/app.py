"""The HTTP scoring API (FastAPI): the same answers as the in-process client, over JSON.

`create_app(paths)` loads the artefacts once (an `InProcessClient`) and
serves them read-only; `python main.py api` runs it with uvicorn on
127.0.0.1:8000. The routes only parse a request's envelope (`scoring.api.models`);
the service checks what is inside (a new applicant's record against the
raw-data schema, what-if values with `scoring.service.overrides`, population
queries), with per-field messages in French by default and in English with
`?lang=en` or `Accept-Language: en`. The population sections' data (feature
list, comparisons, scatter sample, selection summaries) and the what-if form
are served under `/population` and `/what-if` (`scoring.api.population_routes`).
Errors never carry a traceback: unexpected failures are logged server-side
and answered with a generic 500, and the service keeps serving.
"""

# No `from __future__ import annotations`: FastAPI reads the (dynamically built)
# request model classes from the endpoints' annotations at definition time.

import argparse
import os
from pathlib import Path as FilePath
from typing import Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scoring.api.middleware import (
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    CatchAllMiddleware,
    message,
    request_lang,
)
from scoring.api.models import field_errors, score_request_model, what_if_request_model
from scoring.api.monitoring_routes import add_monitoring_routes
from scoring.api.openapi_errors import document_errors
from scoring.api.population_routes import add_population_routes, document_population
from scoring.api.security import (
    ApiSecurity,
    document_security,
    install_security,
    request_user,
)
from scoring.errors import ArtefactMissing, UserError
from scoring.paths import Paths
from scoring.progress import log
from scoring.service import overrides as override_rules
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.service.protocol import (
    Explanation,
    InvalidOverride,
    InvalidQuery,
    KnownClient,
    Recourse,
    Score,
    UnknownClient,
    WhatIf,
    to_dict,
)

__all__ = ["MAX_BODY_BYTES", "MAX_TOP", "app_from_env", "cli_api", "create_app", "message",
           "request_lang", "run_server"]

#: Largest `top` (number of contributions) a caller may ask for.
MAX_TOP = 500


def _lang_of(request: Request) -> str:
    return request_lang(request.scope.get("query_string", b""), request.headers.get("accept-language"))


def _score_json(score: Score) -> dict[str, Any]:
    out = to_dict(score)
    out["decision"] = "refused" if score.refused else "accepted"
    out["points"], out["threshold_points"] = score.points, score.threshold_points
    return out


def _explanation_json(e: Explanation) -> dict[str, Any]:
    """`to_dict(e)` plus the decision word, built directly: `dataclasses.asdict` deep-copies
    every leaf and cost ~1.3 ms per explanation, a tenth of a what-if."""
    return {
        "score": _score_json(e.score),
        "base_value": e.base_value,
        "base_points": e.base_points,
        "contributions": [
            {"feature": c.feature, "label": c.label, "value": c.value, "display_value": c.display_value,
             "shap": c.shap, "points": c.points}
            for c in e.contributions
        ],
        "other_factors": e.other_factors,
        "warnings": [to_dict(w) for w in e.warnings],
        "global_importance": [
            {"feature": g.feature, "label": g.label, "mean_abs_shap": g.mean_abs_shap,
             "mean_abs_points": g.mean_abs_points, "rank": g.rank}
            for g in e.global_importance
        ],
        "concepts": [
            {"concept": k.concept, "label": k.label, "points": k.points, "protected": k.protected,
             "features": [{"feature": f.feature, "label": f.label, "value": f.value,
                           "display_value": f.display_value, "points": f.points} for f in k.features]}
            for k in e.concepts
        ],
        "principal_reasons": [
            {"concept": r.concept, "label": r.label, "points": r.points, "sentence": r.sentence,
             "feature": r.feature, "display_value": r.display_value}
            for r in e.principal_reasons
        ],
        "protected_withheld": e.protected_withheld,
    }


def _what_if_json(result: WhatIf) -> dict[str, Any]:
    before, after = result.before.score, result.after.score
    return {
        "before": _explanation_json(result.before),
        "after": _explanation_json(result.after),
        "overrides": result.overrides,
        "warnings": [to_dict(w) for w in result.warnings],  # the edited values' (as in "after")
        "difference": {
            "probability": after.probability - before.probability,
            "percentage_points": round((after.probability - before.probability) * 100.0, 2),
            "points": after.points - before.points,  # score points (higher is safer)
            "risk_level": after.risk_level - before.risk_level,
            "decision_changed": after.refused != before.refused,
        },
    }


def _recourse_json(result: Recourse) -> dict[str, Any]:
    """`to_dict(result)` plus each option's decision word, as a score's."""
    out = to_dict(result)
    for option in [*out["options"], *([out["headroom"]] if out["headroom"] else [])]:
        option["decision"] = "refused" if option["refused"] else "accepted"
    out["decision"] = "refused" if result.refused else "accepted"
    return out


_CLIENT_ID = Path(description="SK_ID_CURR of the client", ge=0, le=2**62)
_TOP = Query(10, ge=1, le=MAX_TOP, description="number of contributions listed (the rest is summed)")
_LANG = Query(None, description="language of labels and messages (default: Accept-Language, else fr)")
LangParam = Literal["fr", "en"] | None


def create_app(paths: Paths, client: InProcessClient | None = None, *,
               max_body_bytes: int = MAX_BODY_BYTES, security: ApiSecurity | None = None) -> FastAPI:
    """The API over the artefacts at `paths` (or over an already opened `client`); `security`
    None: no token, host or CORS check (tests; `main.py api` always passes one)."""
    client = client if client is not None else InProcessClient(paths, source="api")
    what_if_body = what_if_request_model()
    score_body = score_request_model()
    app = FastAPI(
        title="Prêt à dépenser — API de scoring",
        version=client.store.model_version,
        description="Scores, explications (SHAP) et simulations pour les conseillers. "
                    "Messages en français par défaut, en anglais avec `?lang=en` ou `Accept-Language: en`.",
    )
    app.state.client = client
    app.add_middleware(BodyLimitMiddleware, limit=max_body_bytes)
    install_security(app, security)  # tokens, CORS, trusted hosts: inside the catch-all, outside the body limit
    app.add_middleware(CatchAllMiddleware)  # added last = outermost: also covers the body limit

    def lang_for(request: Request) -> str:
        return _lang_of(request)

    @app.exception_handler(UnknownClient)
    async def unknown_client(request: Request, exc: UnknownClient) -> JSONResponse:
        cid = request.path_params.get("client_id") or request.query_params.get("client_id", "?")
        return JSONResponse({"detail": message("unknown_client", lang_for(request), id=cid)}, status_code=404)

    @app.exception_handler(InvalidOverride)
    @app.exception_handler(InvalidQuery)
    async def invalid_input(request: Request, exc: InvalidOverride | InvalidQuery) -> JSONResponse:
        return JSONResponse({"detail": message("invalid", lang_for(request)), "errors": exc.errors},
                            status_code=422)

    @app.exception_handler(KnownClient)
    async def known_client(request: Request, exc: KnownClient) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "client_id": exc.client_id,
                             "what_if": f"/clients/{exc.client_id}/what-if"}, status_code=409)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> JSONResponse:
        lang = lang_for(request)
        if isinstance(exc, ArtefactMissing):  # e.g. a build pruned under the server: not the caller's fault
            log.error("API request failed on missing artefact: %s", exc)
            return JSONResponse({"detail": message("not_ready", lang)}, status_code=503)
        return JSONResponse({"detail": message("invalid", lang), "errors": {"body": str(exc)}}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(list(exc.errors()), lang_for(request), strip=("body", "query", "path"))
        return JSONResponse({"detail": message("invalid", lang_for(request)), "errors": errors},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = {404: "not_found", 405: "method", 413: "too_large"}.get(exc.status_code, "http")
        return JSONResponse({"detail": message(key, lang_for(request), limit=max_body_bytes)},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.get("/health", summary="Liveness: model and cache versions, number of clients")
    async def health() -> JSONResponse:
        return JSONResponse(client.health())

    @app.get("/model", summary="Model card: version, threshold, costs, metrics, feature catalogue")
    def model_card(request: Request, lang: LangParam = _LANG) -> JSONResponse:
        return JSONResponse(client.model_card(lang or lang_for(request)))

    @app.get("/clients", summary="Identifiers of every client known to the service")
    def clients() -> JSONResponse:
        ids = client.client_ids()
        return JSONResponse({"count": len(ids), "client_ids": ids})

    @app.get("/clients/{client_id}", summary="A client's key facts in human units")
    def profile(request: Request, client_id: int = _CLIENT_ID, lang: LangParam = _LANG) -> JSONResponse:
        facts = client.profile(client_id, lang or lang_for(request))
        client.log_view(client_id, user=request_user(request))  # who opened whose file
        return JSONResponse(facts)

    # A cache read and a log event queued for the background writer (no I/O): served on the event
    # loop, without the thread-pool hop that would dominate its latency. Every score is logged with
    # the server's own source ("api"); nothing in the request names it.
    @app.get("/clients/{client_id}/score", summary="Probability, decision and risk level (from the cache)")
    async def score(request: Request, client_id: int = _CLIENT_ID) -> JSONResponse:
        result = client.score(client_id)
        client.log_score(result, user=request_user(request))
        return JSONResponse(_score_json(result))

    @app.get("/clients/{client_id}/explanation",
             summary="Concepts (summing to the score in points), principal reasons, top SHAP contributions")
    def explanation(request: Request, client_id: int = _CLIENT_ID, top: int = _TOP,
                    lang: LangParam = _LANG) -> JSONResponse:
        result = client.explanation(client_id, top, lang or lang_for(request))
        client.log_view(client_id, user=request_user(request))
        return JSONResponse(_explanation_json(result))

    @app.post("/clients/{client_id}/what-if", summary="Re-score the client with edited raw fields")
    def what_if(request: Request, body: what_if_body, client_id: int = _CLIENT_ID,  # type: ignore[valid-type]
                top: int = _TOP, lang: LangParam = _LANG) -> JSONResponse:
        result = client.what_if(client_id, body.overrides, top, lang or lang_for(request), user=request_user(request))
        return JSONResponse(_what_if_json(result))

    @app.get("/clients/{client_id}/recourse",
             summary="What would change the decision: options for a refused client, margin of a granted one")
    def recourse(request: Request, client_id: int = _CLIENT_ID, lang: LangParam = _LANG) -> JSONResponse:
        result = client.recourse(client_id, lang or lang_for(request))
        client.log_view(client_id, user=request_user(request))
        return JSONResponse(_recourse_json(result))

    @app.post("/score", summary="Score a brand-new applicant from a complete raw record",
              responses={409: {"description": "SK_ID_CURR is an existing client's: use "
                                              "POST /clients/{id}/what-if to edit its application"}})
    def score_new(request: Request, body: score_body, top: int = _TOP,  # type: ignore[valid-type]
                  lang: LangParam = _LANG) -> JSONResponse:
        history = None if body.history is None else {
            table: rows for table, rows in body.history.model_dump().items() if rows is not None}
        result = client.score_application(body.record.model_dump(), history, top, lang or lang_for(request),
                                          user=request_user(request))
        return JSONResponse(_explanation_json(result))

    add_population_routes(app, client, lang_for)
    add_monitoring_routes(app, client, lang_for)
    _document_overrides(app)
    document_population(app, client)
    document_security(app, security)
    document_errors(app)
    return app


def _document_overrides(app: FastAPI) -> None:
    """Add the overrides' own schema (from `scoring.service.overrides`) to the OpenAPI document."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Overrides"] = \
                override_rules.json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


#: A worker process writes the prediction log here when set (benchmarks keep theirs apart).
ENV_PREDICTION_LOG = "SCORING_PREDICTION_LOG"


def app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes: each loads the run named by the environment."""
    paths = Paths.from_env()
    security = ApiSecurity.from_env(paths)  # tokens required unless the environment says dev
    log_path = os.environ.get(ENV_PREDICTION_LOG)
    if not log_path:
        return create_app(paths, security=security)
    client = InProcessClient(paths, source="api", prediction_log=PredictionLog(FilePath(log_path)))
    return create_app(paths, client=client, security=security)


def run_server(paths: Paths, host: str, port: int, workers: int = 1,
               log_level: str = "info", prediction_log: FilePath | None = None,
               security: ApiSecurity | None = None) -> None:
    """Serve with uvicorn; several workers each load the artefacts and share the port (and
    `security`, passed through the environment: without it, what the environment says)."""
    import uvicorn

    os.environ.update(paths.to_env())
    if security is not None:
        os.environ.update(security.to_env())
    if prediction_log is not None:
        os.environ[ENV_PREDICTION_LOG] = str(prediction_log)
    uvicorn.run("scoring.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False)


def cli_api(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py api [--host 127.0.0.1] [--port 8000] [--workers N]`: serve the API."""
    from scoring.explain.shap_cache import ShapStore

    ShapStore.open(paths).close()  # fail here, with a clear message, before forking workers
    security = _cli_security(args, paths)
    log.info("scoring API on http://%s:%d (docs: /docs), %d worker(s)", args.host, args.port, args.workers)
    run_server(paths, args.host, args.port, workers=args.workers, security=security)
    return 0


def _cli_security(args: argparse.Namespace, paths: Paths) -> ApiSecurity:
    """Tokens unless --dev; the served host name and --allowed-host accepted; CORS for --cors-origin."""
    if args.dev and args.host not in ("127.0.0.1", "localhost", "::1"):
        raise UserError(f"--dev answers without a token: only on loopback (--host 127.0.0.1), not on {args.host}")
    hosts = list(args.allowed_host or [])
    if args.host not in ("0.0.0.0", "::"):  # a specific address or name: the one clients use
        hosts.append(args.host)
    security = ApiSecurity.configure(paths, dev=args.dev, allowed_hosts=hosts, cors_origins=args.cors_origin or [])
    if security.tokens is None:
        log.warning("development mode: the API answers without a token (never expose it beyond this machine)")
    elif not security.tokens.list():
        log.warning("no API token in %s: every request but /health is refused until "
                    "`python main.py tokens add NAME`", security.tokens.path)
    log.info("accepted Host names: %s; CORS origins: %s", ", ".join(security.allowed_hosts),
             ", ".join(security.cors_origins) or "none")
    return security
