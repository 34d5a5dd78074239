"""The API's monitoring route: the served cache build's monitoring snapshot, as JSON.

The snapshot (fairness by protected group, drift of the incoming clients, the
score over time) is computed by the nightly `refresh-cache` or by
`main.py monitor --store` (`scoring.monitoring.snapshot`); the route only
serves it. Each feature's drift is keyed by its column name and carries a
`psi` figure.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the annotations.

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

_NONE_YET = {
    "fr": "Aucun instantané de suivi pour le cache servi : il est calculé par la mise à jour nocturne "
          "(python main.py refresh-cache) ou par python main.py monitor --store.",
    "en": "No monitoring snapshot for the served cache yet: the nightly refresh-cache computes one, "
          "and so does python main.py monitor --store.",
}


def add_monitoring_routes(app: FastAPI, client: Any, lang_for: Callable[[Request], str]) -> None:
    """Register `GET /monitoring` on `app`, served by `client`."""

    @app.get("/monitoring", summary="Monitoring snapshot: fairness by group, drift (PSI per feature), "
                                    "score over time; 404 until one was computed")
    def monitoring(request: Request) -> JSONResponse:
        snapshot = client.monitoring()
        if snapshot is None:
            return JSONResponse({"detail": _NONE_YET["en" if lang_for(request) == "en" else "fr"]},
                                status_code=404)
        return JSONResponse(snapshot)
