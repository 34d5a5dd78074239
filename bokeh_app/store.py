"""What the dashboard loads once per server process and shares read-only between sessions.

Like Bokeh's `stocks` example, heavy data (the scoring client with its model,
feature table and SHAP cache, and the index of client numbers) is built on
first use and reused by every session. Sessions only read it; the id index is
a read-only NumPy array. The dashboard reaches scoring only through the
client: the population sections' data (distributions, scatter sample,
selection summaries, what-if form) come from it too, so with an HTTP client
no artefact is needed on the dashboard's machine.

Which client: `SCORING_API_URL` set -> `HttpClient(url)`; otherwise
`InProcessClient(Paths(SCORING_DATA_DIR, SCORING_CACHE_DIR))`. Tests inject
their own with `set_client_factory`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scoring.paths import Paths
from scoring.service.protocol import PopulationInfo, ScoringClient

log = logging.getLogger("scoring.dashboard")

ENV_API_URL = "SCORING_API_URL"
#: The command that builds every missing artefact (shown on the page when something is missing).
BUILD_COMMAND = "python main.py pipeline"
#: Most suggestions sent to the browser for one typed prefix.
MAX_SUGGESTIONS = 50


def paths_from_env() -> Paths:
    """The run's artefact roots, as `main.py serve` passes them through the environment."""
    return Paths.from_env()


def default_client_factory() -> ScoringClient:
    """HTTP client when SCORING_API_URL is set, else the in-process one on the env paths."""
    url = os.environ.get(ENV_API_URL)
    if url:
        from scoring.service.http import HttpClient

        return HttpClient(url)
    from scoring.service.inprocess import InProcessClient

    return InProcessClient(paths_from_env())


class ClientIndex:
    """Sorted client numbers for exact look-up and prefix suggestions (read-only)."""

    def __init__(self, ids: list[int]):
        ids_sorted = np.unique(np.asarray(ids, dtype=np.int64))
        text = ids_sorted.astype(str)
        order = np.argsort(text, kind="stable")
        self.ids = ids_sorted
        self.text = text[order]
        for a in (self.ids, self.text):
            a.flags.writeable = False

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, client_id: int) -> bool:
        i = int(np.searchsorted(self.ids, client_id))
        return i < len(self.ids) and int(self.ids[i]) == client_id

    def suggestions(self, prefix: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Up to `limit` client numbers starting with `prefix` (digits only), in text order."""
        prefix = prefix.strip()
        if not prefix.isdigit():
            return []
        lo = int(np.searchsorted(self.text, prefix, side="left"))
        hi = int(np.searchsorted(self.text, prefix + "\U0010ffff", side="left"))
        return [str(s) for s in self.text[lo:min(hi, lo + limit)]]

    def first(self) -> int | None:
        return int(self.ids[0]) if len(self.ids) else None


@dataclass(frozen=True)
class Shared:
    """The per-process state every session reads."""

    client: ScoringClient
    index: ClientIndex
    #: What the population sections can compare, as the client serves it (None: it cannot).
    population: PopulationInfo | None = None


def population_of(client: ScoringClient) -> PopulationInfo | None:
    """The client's population feature list, or None when it cannot serve population data
    (an older API, a failing service): the dashboard still explains one client, the
    population sections are left out."""
    try:
        return client.population()
    except Exception as exc:  # noqa: BLE001 - no population data only hides the sections
        log.warning("population sections disabled: %s", exc)
        return None


_lock = threading.Lock()
_shared: Shared | None = None
_factory: Callable[[], ScoringClient] = default_client_factory


def set_client_factory(factory: Callable[[], ScoringClient] | None) -> None:
    """Use another client factory (tests, benchmarks); None restores the default. Resets the cache."""
    global _factory, _shared
    with _lock:
        _factory = factory or default_client_factory
        _shared = None


def shared() -> Shared:
    """The process-wide client and id index, built on first call (may raise ArtefactMissing)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                client = _factory()
                _shared = Shared(client=client, index=ClientIndex(client.client_ids()),
                                 population=population_of(client))
    return _shared
