"""Server lifecycle hooks: load the shared scoring artefacts once, when the process starts."""

import ctypes
import ctypes.util
import functools
import gc
import logging
import threading

from bokeh_app import store
from bokeh_app.account import request_account

log = logging.getLogger("scoring.dashboard")


def on_server_loaded(server_context) -> None:
    """Load the per-process store before the first page (a failure is shown on each page instead
    of crashing); warm the sections' data in the background, so the server answers at once."""
    try:
        shared = store.shared()
    except Exception as exc:  # noqa: BLE001 - the page explains which command fixes it
        log.warning("dashboard started without scoring artefacts: %s", exc)
    else:
        log.info("dashboard ready: %d clients", len(shared.index))
        warm_up = getattr(shared.client, "warm_up", None)  # in-process: neighbour index, sample order
        if shared.population is not None and callable(warm_up):
            threading.Thread(target=_warm_up, args=(warm_up,), name="warm-up", daemon=True).start()


def _warm_up(warm_up) -> None:
    """The sections' shared indexes (built under the population's lock: a section opened sooner
    waits for them, the first screen never does)."""
    try:
        log.info("population sections warmed up: %s", warm_up())
    except Exception:  # noqa: BLE001 - the sections build what they need on first use
        log.exception("population warm-up failed")


def process_request(request) -> dict:
    """Bokeh's hook on the page's HTTP request: the signed-in user goes into the (signed)
    session token, where the session reads it (`account.session_account`)."""
    return request_account(request)


def on_session_destroyed(session_context) -> None:
    """Called after Bokeh destroyed a closed session's document. The session's models and its
    dashboard still form reference cycles (callbacks hold the dashboard that holds the models)
    that Python would only collect at some later full collection: collect them now and hand the
    freed heap back to the system, so the server's memory returns to its level before the
    session instead of staying at its peak."""
    gc.collect()
    release_free_heap()


def release_free_heap() -> bool:
    """glibc keeps freed memory for reuse; malloc_trim returns it to the OS (no-op elsewhere)."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@functools.cache
def _malloc_trim():
    """libc's malloc_trim, looked up once per process (find_library runs ldconfig), or None."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
