"""ASGI middleware and messages of the API: body limit, catch-all 500, request language.

Kept apart from the routes (`scoring.api.app`) so that each module holds one
concern; nothing here knows about scoring.
"""

import json
import time
import traceback
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoring.progress import log

#: Largest request body accepted (bytes); a complete record with a long history fits easily.
MAX_BODY_BYTES = 1_000_000

_TEXT: dict[str, tuple[str, str]] = {
    "unknown_client": ("Client {id} inconnu : aucun dossier ne porte cet identifiant.",
                       "Unknown client {id}: no application has this identifier."),
    "invalid": ("Données invalides : voir le détail par champ.", "Invalid data: see the per-field details."),
    "too_large": ("Requête trop volumineuse (au plus {limit} octets).",
                  "Request body too large (at most {limit} bytes)."),
    "bad_length": ("En-tête Content-Length invalide.", "Invalid Content-Length header."),
    "internal": ("Erreur interne du service de scoring ; l'incident a été enregistré.",
                 "Internal error of the scoring service; the incident has been logged."),
    "not_found": ("Ressource introuvable.", "Resource not found."),
    "method": ("Méthode non autorisée pour cette ressource.", "Method not allowed for this resource."),
    "http": ("Requête refusée.", "Request refused."),
    "not_ready": ("Service de scoring momentanément indisponible.", "Scoring service temporarily unavailable."),
    "token_missing": ("Authentification requise : envoyez l'en-tête « Authorization: Bearer <jeton> ».",
                      "Authentication required: send the header 'Authorization: Bearer <token>'."),
    "token_invalid": ("Jeton d'accès inconnu ou révoqué.", "Unknown or revoked access token."),
    "too_many_failures": ("Trop de jetons refusés depuis cette adresse : réessayez dans {seconds} s.",
                          "Too many refused tokens from this address: try again in {seconds} s."),
}


def request_lang(query_string: bytes | str, accept_language: str | None) -> str:
    """`lang` query parameter first, then Accept-Language, else French."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    for part in text.split("&"):
        key, _, value = part.partition("=")
        if key == "lang" and value.lower() in ("fr", "en"):
            return value.lower()
    for item in (accept_language or "").split(","):
        tag = item.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("fr"):
            return "fr"
    return "fr"


def message(key: str, lang: str, **kw: Any) -> str:
    fr, en = _TEXT[key]
    return (en if lang == "en" else fr).format(**kw)


def _scope_lang(scope: Scope) -> str:
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    return request_lang(scope.get("query_string", b""), accept)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse bodies over `limit` bytes with 413: on Content-Length, and on the streamed body.

    The body is read (up to the limit) before the app sees it, then replayed,
    so a chunked upload without Content-Length cannot slip past either.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = _scope_lang(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_json(send, 400, {"detail": message("bad_length", lang)})
                return
            if size > self.limit:
                await _send_json(send, 413, {"detail": message("too_large", lang, limit=self.limit)})
                return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and declared is None:
            await self.app(scope, receive, send)
            return
        chunks, total = [], 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":  # client went away
                return
            chunk = msg.get("body", b"")
            total += len(chunk)
            if total > self.limit:
                await _send_json(send, 413, {"detail": message("too_large", lang, limit=self.limit)})
                return
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CatchAllMiddleware:
    """Any unexpected exception: traceback to the server log, generic JSON 500 to the caller.

    Also stamps each response with `Server-Timing: app;dur=<ms>` (time inside
    the app), so benchmarks can tell service time from transport and queueing.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        t0 = time.perf_counter()

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                duration = f"app;dur={(time.perf_counter() - t0) * 1000:.3f}".encode()
                msg = dict(msg, headers=[*msg.get("headers", []), (b"server-timing", duration)])
            await send(msg)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # noqa: BLE001 - the boundary where every failure becomes a 500
            log.error("API internal error on %s %s\n%s", scope.get("method"), scope.get("path"),
                      traceback.format_exc())
            if not started:
                await _send_json(send, 500, {"detail": message("internal", _scope_lang(scope))})
