"""What `/health` says about the served pair: which model and cache, how old, what waits.

The served pair is the active cache build and the model version it names
(see `scoring.explain.shap_cache`). A newer model registered by `train` is
"pending" until `refresh-cache` activates a build for it; a process opened on
an older build than the active one is "outdated" and picks the new pair up
when restarted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scoring.errors import UserError
from scoring.explain.cache_layout import read_pointer
from scoring.explain.shap_cache import ACTIVE_FILE, ShapStore
from scoring.paths import Paths


def _age_seconds(stamp: Any, now: datetime) -> float | None:
    """Seconds since an ISO 8601 time (None when absent or unreadable)."""
    try:
        then = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return round((now - then).total_seconds(), 1)


def pair_status(paths: Paths, store: ShapStore) -> dict[str, Any]:
    """The served model and cache with their ages, a model waiting for its cache, a newer pair.

    Reads two small pointer files and one JSON card: cheap enough for every
    `/health` call, and never blocks on the prediction log.
    """
    from scoring.model.registry import CURRENT_FILE, current_card

    now = datetime.now(UTC)
    model_created = store.model.card.get("created_at")
    status: dict[str, Any] = {
        "model_version": store.model_version,
        "model_created_at": model_created,
        "model_age_seconds": _age_seconds(model_created, now),
        "cache_version": store.build_id,
        "cache_built_at": store.built_at,
        "cache_age_seconds": _age_seconds(store.built_at, now),
        "pending_model": None,
        "newer_pair_active": read_pointer(paths.shap_cache / ACTIVE_FILE) not in (None, store.build_id),
    }
    newest = read_pointer(paths.models / CURRENT_FILE)
    if newest is not None and newest != store.model_version:
        try:
            card = current_card(paths) or {}
        except UserError:
            card = {}
        status["pending_model"] = {
            "version": newest, "created_at": card.get("created_at"),
            "waiting_for": "refresh-cache: its SHAP cache is not built yet; the pair above is served",
        }
    return status
