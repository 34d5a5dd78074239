"""Server lifecycle hooks: load the shared scoring artefacts once, when the process starts."""

import logging

from bokeh_app import store

log = logging.getLogger("scoring.dashboard")


def on_server_loaded(server_context) -> None:
    """Warm the per-process store; a failure is shown on each page instead of crashing."""
    try:
        shared = store.shared()
    except Exception as exc:  # noqa: BLE001 - the page explains which command fixes it
        log.warning("dashboard started without scoring artefacts: %s", exc)
    else:
        log.info("dashboard ready: %d clients", len(shared.index))
        if shared.population is not None:
            from scoring.service.population import warm_up

            log.info("comparison panels warmed up: %s", warm_up(shared.population))
