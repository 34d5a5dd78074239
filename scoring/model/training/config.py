"""The training settings: one small dataclass shared by the trainer and the registry."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scoring.errors import UserError
from scoring.model.threshold import check_costs

#: Bump when the training procedure changes so that registered models count as stale.
#: 2: CatBoost candidates compared on a subsample, one-hot categories, float32 linear baseline.
TRAINING_SCHEME = 2


@dataclass(frozen=True)
class TrainConfig:
    """How to train: CV folds, seed, business costs, search width and its time budget.

    `fast` is for tests (3 folds at most, few trees, two candidates).
    `time_budget_s` caps the CatBoost search (None: 8 s fast, 45 s default,
    600 s full search): no candidate starts that would overrun it, and one
    still running when it ends is stopped and discarded (the first always runs).
    `search_rows` overrides the size of the stratified subsample the search
    compares candidates on (None: 40,000 default, 100,000 full, all when fast).
    `keep_protected` keeps the inputs the catalogue excludes by policy (gender),
    for comparison only (`scoring.model.training.protected`).
    """

    folds: int = 5
    seed: int = 42
    cost_fn: float = 10.0
    cost_fp: float = 1.0
    full_search: bool = False
    fast: bool = False
    time_budget_s: float | None = None
    search_rows: int | None = None
    holdout_fraction: float = 0.2
    max_feature_auc: float = 0.9
    max_holdout_auc: float = 0.82
    keep_protected: bool = False

    def validate(self) -> None:
        check_costs(self.cost_fn, self.cost_fp)
        if self.folds < 2:
            raise UserError(f"--folds must be at least 2, got {self.folds}")
        if not 0.05 <= self.holdout_fraction <= 0.5:
            raise UserError(f"holdout_fraction must lie in [0.05, 0.5], got {self.holdout_fraction}")
        if self.search_rows is not None and self.search_rows < 100:
            raise UserError(f"search_rows must be at least 100, got {self.search_rows}")
        if self.time_budget_s is not None and self.time_budget_s <= 0:
            raise UserError(f"time_budget_s must be positive, got {self.time_budget_s}")

    @property
    def effective_folds(self) -> int:
        return min(self.folds, 3) if self.fast else self.folds

    @property
    def search_budget_s(self) -> float:
        if self.time_budget_s is not None:
            return float(self.time_budget_s)
        return 8.0 if self.fast else 600.0 if self.full_search else 45.0

    def fingerprint_params(self) -> dict[str, Any]:
        """What makes two trainings on the same data comparable (the time budget does not count)."""
        params = asdict(self)
        params.pop("time_budget_s")
        params["scheme"] = TRAINING_SCHEME
        return params
