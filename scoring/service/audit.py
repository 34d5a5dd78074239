"""A signed-in user's view of the shared in-process client: every event logged under that user.

The dashboard keeps one `InProcessClient` per server process for every
session; `client.for_user(name)` gives a session a thin wrapper that passes
the user to what is logged (what-if, new applicants) and records which
clients the user opened (`view` events: profile, explanation, recourse), once
per client opened rather than on every re-read of the same file (a language
switch). Everything else is the shared client's own, unchanged. The HTTP
client has the same method (`HttpClient.for_user`): the API then logs it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoring.service.inprocess import InProcessClient
    from scoring.service.protocol import Explanation, Recourse, WhatIf


class UserClient:
    """`client` as `user` (None: development mode, no sign-in) uses it."""

    def __init__(self, client: InProcessClient, user: str | None):
        self._client = client
        self.user = user
        self._last_viewed: int | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # population sections, forms, health...: shared as is
        return getattr(self._client, name)

    def for_user(self, user: str | None) -> UserClient:
        return self._client.for_user(user)

    def close(self) -> None:
        """Nothing to close: the shared client outlives every session."""

    def _viewed(self, client_id: int) -> None:
        with self._lock:
            if self._last_viewed == int(client_id):
                return
            self._last_viewed = int(client_id)
        self._client.log_view(client_id, user=self.user)

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        out = self._client.profile(client_id, lang)
        self._viewed(client_id)
        return out

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        out = self._client.explanation(client_id, top, lang)
        self._viewed(client_id)
        return out

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse:
        out = self._client.recourse(client_id, lang)
        self._viewed(client_id)
        return out

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr",
                **kw: Any) -> WhatIf:
        return self._client.what_if(client_id, overrides, top, lang, **kw, user=self.user)

    def score_application(self, record: dict[str, Any], history: dict[str, list[dict[str, Any]]] | None = None,
                          top: int = 10, lang: str = "fr", **kw: Any) -> Explanation:
        return self._client.score_application(record, history, top, lang, **kw, user=self.user)
