"""Where every artefact lives, derived from the two roots a run is given."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: How a server process (bokeh serve, uvicorn workers) learns the run's roots.
ENV_DATA_DIR = "SCORING_DATA_DIR"
ENV_CACHE_DIR = "SCORING_CACHE_DIR"


@dataclass(frozen=True)
class Paths:
    """All artefact locations of one run; nothing else hard-codes a path."""

    data_dir: Path = REPO_ROOT / "data"
    cache_dir: Path = REPO_ROOT / "cache"

    @classmethod
    def from_env(cls) -> Paths:
        """The roots passed through SCORING_DATA_DIR / SCORING_CACHE_DIR (defaults otherwise)."""
        default = cls()
        return cls(
            data_dir=Path(os.environ.get(ENV_DATA_DIR) or default.data_dir),
            cache_dir=Path(os.environ.get(ENV_CACHE_DIR) or default.cache_dir),
        )

    def to_env(self) -> dict[str, str]:
        """Environment variables that make `from_env` in a child process return these roots."""
        return {ENV_DATA_DIR: str(Path(self.data_dir).resolve()),
                ENV_CACHE_DIR: str(Path(self.cache_dir).resolve())}

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def truth(self) -> Path:
        """The generator's true probabilities: evaluation only, never a feature."""
        return self.raw / "_truth.parquet"

    @property
    def interim(self) -> Path:
        """Parquet copies of the raw tables, made once by the loader."""
        return self.data_dir / "interim"

    @property
    def processed(self) -> Path:
        return self.data_dir / "processed"

    @property
    def features(self) -> Path:
        return self.processed / "features.parquet"

    @property
    def history_features(self) -> Path:
        """Per-client aggregates of the six history tables (re-used by what-if)."""
        return self.processed / "history_features.parquet"

    @property
    def models(self) -> Path:
        return self.data_dir / "models"

    @property
    def prediction_log(self) -> Path:
        return self.data_dir / "predictions.sqlite"

    @property
    def shap_cache(self) -> Path:
        return self.cache_dir / "shap"

    @property
    def monitoring(self) -> Path:
        """Monitoring snapshots, one JSON per cache build (scoring.monitoring.snapshot)."""
        return self.cache_dir / "monitoring"
