"""The one interface through which the dashboard (and anything else) talks to scoring.

Two implementations honour it: in-process (the default, reading the shared
artefacts directly) and HTTP (a client of the scoring API, used when
SCORING_API_URL is set). Results are plain dataclasses so that both give
identical, comparable values; `to_dict` gives their JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Score:
    """One client's score and the decision it leads to."""

    client_id: int | None
    probability: float
    threshold: float
    refused: bool
    risk_level: int  # 0 (very low) .. 6 (very high), see scoring.model.decision
    model_version: str


@dataclass(frozen=True)
class Contribution:
    """One feature's SHAP contribution (log-odds), with what an advisor reads."""

    feature: str  # feature column name (key into the catalogue)
    label: str  # readable label in the requested language
    value: Any  # the client's feature value, JSON-serialisable (None when missing)
    display_value: str  # value formatted for the requested language and unit
    shap: float  # > 0 pushes toward refusal, < 0 toward acceptance


@dataclass(frozen=True)
class GlobalImportance:
    feature: str
    label: str
    mean_abs_shap: float
    rank: int  # 1 = most important over all clients


@dataclass(frozen=True)
class Explanation:
    """Top contributions for one client, the rest summed, and the global view."""

    score: Score
    base_value: float
    contributions: list[Contribution]  # top N by |shap|, largest first
    other_factors: float  # sum of the remaining contributions
    global_importance: list[GlobalImportance] = field(default_factory=list)


@dataclass(frozen=True)
class WhatIf:
    """A re-scored edited client next to the original."""

    before: Explanation
    after: Explanation
    overrides: dict[str, Any]


def to_dict(result: Any) -> dict[str, Any]:
    """JSON-ready form of any result above."""
    return asdict(result)


class UnknownClient(LookupError):
    """No client with that id exists (the API answers 404)."""


class InvalidOverride(ValueError):
    """An edited field is unknown, not editable, of the wrong type or out of range.

    `errors` maps each field name to a readable message (the API answers 422).
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@runtime_checkable
class ScoringClient(Protocol):
    """What the dashboard needs from scoring; see InProcessClient and HttpClient."""

    def health(self) -> dict[str, Any]: ...

    def client_ids(self) -> list[int]: ...

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]: ...

    def score(self, client_id: int) -> Score: ...

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation: ...

    def what_if(
        self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr"
    ) -> WhatIf: ...
