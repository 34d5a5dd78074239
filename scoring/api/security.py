"""Who may call the API: bearer tokens, trusted hosts, CORS, a limit on failed tokens.

`ApiSecurity` is what `create_app(..., security=...)` installs; None (the
tests' default) installs nothing. `python main.py api` always checks the Host
header against a list (DNS rebinding: a page on another site must not reach a
server on the advisor's machine through a name it controls) and, unless run
with `--dev`, requires `Authorization: Bearer <token>` (`main.py tokens add`)
on every route but `/health` and the OpenAPI documents (they describe the API,
they hold no client data; the docs page has an "Authorize" button). CORS is
closed unless origins are listed. A client IP that sends more than
`MAX_FAILURES` wrong tokens in a minute gets 429 until the minute has passed
(per server process: see `scoring.security.limiter`). The uvicorn workers
learn all this through the environment (`to_env` / `from_env`).

The request's user (the token's name, or the advisor a `--delegate` token
names in `X-Scoring-User`; any other token's header is ignored) is
`request_user(request)`, for the audit log.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    SimpleUser,
)
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from scoring.api.middleware import message, request_lang
from scoring.paths import Paths
from scoring.progress import log
from scoring.security.files import tokens_file
from scoring.security.limiter import FailureLimiter
from scoring.security.tokens import TokenStore
from scoring.security.users import NAME_PATTERN
from scoring.security.web import USER_HEADER

#: Host names every server accepts (loopback); `--allowed-host` adds more.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Routes answered without a token.
PUBLIC_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
SCHEME = "bearerAuth"

ENV_DEV = "SCORING_API_DEV"
ENV_ALLOWED_HOSTS = "SCORING_API_ALLOWED_HOSTS"
ENV_CORS_ORIGINS = "SCORING_API_CORS_ORIGINS"


@dataclass(frozen=True)
class ApiSecurity:
    """What the API checks. `tokens` None: no sign-in (development mode)."""

    tokens: TokenStore | None
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    cors_origins: tuple[str, ...] = ()
    limiter: FailureLimiter = field(default_factory=FailureLimiter)

    @classmethod
    def configure(cls, paths: Paths, *, dev: bool = False, allowed_hosts: list[str] | tuple[str, ...] = (),
                  cors_origins: list[str] | tuple[str, ...] = ()) -> ApiSecurity:
        return cls(tokens=None if dev else TokenStore(tokens_file(paths)),
                   allowed_hosts=tuple(dict.fromkeys([*LOOPBACK_HOSTS, *allowed_hosts])),
                   cors_origins=tuple(dict.fromkeys(cors_origins)))

    @classmethod
    def from_env(cls, paths: Paths) -> ApiSecurity:
        """The settings `to_env` passed to a worker process (tokens required unless it says dev)."""
        def listed(name: str) -> list[str]:
            return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]

        return cls.configure(paths, dev=os.environ.get(ENV_DEV) == "1", allowed_hosts=listed(ENV_ALLOWED_HOSTS),
                             cors_origins=listed(ENV_CORS_ORIGINS))

    def to_env(self) -> dict[str, str]:
        return {ENV_DEV: "0" if self.tokens is not None else "1",
                ENV_ALLOWED_HOSTS: ",".join(self.allowed_hosts), ENV_CORS_ORIGINS: ",".join(self.cors_origins)}


class _Refused(AuthenticationError):
    def __init__(self, status: int, key: str, headers: dict[str, str], **kw: Any):
        super().__init__(key)
        self.status, self.key, self.headers, self.kw = status, key, headers, kw


class TokenBackend(AuthenticationBackend):
    """Starlette authentication backend: a known bearer token, or a 401/429 answer."""

    def __init__(self, tokens: TokenStore, limiter: FailureLimiter):
        self.tokens, self.limiter = tokens, limiter

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        if conn.scope.get("path") in PUBLIC_PATHS:
            return None
        ip = conn.client.host if conn.client else "?"
        wait = self.limiter.retry_after(ip)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise _Refused(429, "too_many_failures", {"Retry-After": str(seconds)}, seconds=seconds)
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Refused(401, "token_missing", {"WWW-Authenticate": 'Bearer realm="scoring"'})
        try:
            found = self.tokens.lookup(token.strip())
        except Exception:  # noqa: BLE001 - an unreadable tokens file refuses everyone, loudly
            log.exception("API: the tokens file %s cannot be read: every request is refused", self.tokens.path)
            found = None
        if found is None:
            failures = self.limiter.failure(ip)
            log.warning("API: wrong token from %s (%d in the last minute) on %s %s", ip, failures,
                        conn.scope.get("method"), conn.scope.get("path"))
            raise _Refused(401, "token_invalid",
                           {"WWW-Authenticate": 'Bearer realm="scoring", error="invalid_token"'})
        user = found.name
        acting_for = conn.headers.get(USER_HEADER)
        if acting_for and found.delegate and NAME_PATTERN.match(acting_for):
            user = acting_for  # the dashboard's signed-in advisor (the source says "api")
        return AuthCredentials(["api"]), SimpleUser(user)


def _refused(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    lang = request_lang(conn.scope.get("query_string", b""), conn.headers.get("accept-language"))
    if isinstance(exc, _Refused):
        return JSONResponse({"detail": message(exc.key, lang, **exc.kw)}, status_code=exc.status,
                            headers=exc.headers)
    return JSONResponse({"detail": message("token_invalid", lang)}, status_code=401)


def install_security(app: FastAPI, security: ApiSecurity | None) -> None:
    """Add the middleware, innermost first: token check, CORS, trusted hosts (so a preflight is
    answered before the token check, and a forged Host is refused before anything else)."""
    if security is None:
        return
    if security.tokens is not None:
        app.add_middleware(AuthenticationMiddleware, backend=TokenBackend(security.tokens, security.limiter),
                           on_error=_refused)
    if security.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(security.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Accept-Language", USER_HEADER])
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(security.allowed_hosts), www_redirect=False)


def document_security(app: FastAPI, security: ApiSecurity | None) -> None:
    """Declare the bearer scheme in the OpenAPI document: on every operation but the public ones."""
    if security is None or security.tokens is None:
        return
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None or SCHEME not in app.openapi_schema.get("components", {}).get(
                "securitySchemes", {}):
            schema = build()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
                "type": "http", "scheme": "bearer",
                "description": "A token from `python main.py tokens add NAME` (its name is the audit log's user)."}
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    if isinstance(operation, dict):
                        operation["security"] = [] if path in PUBLIC_PATHS else [{SCHEME: []}]
                        if path not in PUBLIC_PATHS:
                            operation.setdefault("responses", {}).setdefault(
                                "401", {"description": "Missing or unknown bearer token"})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def request_user(request: Request) -> str | None:
    """The signed-in user of a request (None without sign-in)."""
    user = request.scope.get("user")
    return user.display_name if user is not None and user.is_authenticated else None
