"""The fitted scoring model: a CatBoost classifier plus what it needs to be used.

Everything that turns a feature table into probabilities, decisions and SHAP
values goes through `ScoringModel`, so the batch cache, the dashboard's
what-if and the API can never prepare inputs differently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from catboost import CatBoostClassifier, Pool

from scoring.errors import UserError
from scoring.model.decision import refused
from scoring.model.novelty import NoveltyReference

MODEL_FILE = "model.cbm"
CARD_FILE = "model_card.json"
#: CatBoost needs a string for a missing category; this one can never be a real value.
MISSING_CATEGORY = "__missing__"
#: Up to this many rows, inputs are built from Python rows rather than a pandas frame.
SMALL_FRAME_ROWS = 64


def to_model_frame(
    features: pl.DataFrame, feature_names: list[str], cat_features: list[str]
) -> pd.DataFrame:
    """Select and order model columns; categories as strings with an explicit missing level."""
    missing = [c for c in feature_names if c not in features.columns]
    if missing:
        raise UserError(f"feature table lacks model columns: {', '.join(missing[:10])}")
    cat_set = set(cat_features)
    exprs = [
        pl.col(c).cast(pl.String).fill_null(MISSING_CATEGORY) if c in cat_set
        else pl.col(c).cast(pl.Float64)
        for c in feature_names
    ]
    return features.select(exprs).to_pandas()


@dataclass
class ScoringModel:
    """A CatBoost classifier with its feature order, categorical columns and decision threshold."""

    booster: CatBoostClassifier
    feature_names: list[str]
    cat_features: list[str]
    threshold: float
    version: str
    card: dict[str, Any] = field(default_factory=dict)
    #: Platt scaling in log-odds, fitted on out-of-fold scores: with class weights CatBoost's
    #: raw probabilities are not default rates; slope * raw + intercept makes them so. Being
    #: affine in log-odds it keeps SHAP additive (contributions scale by the slope).
    calibration_slope: float = 1.0
    calibration_intercept: float = 0.0
    #: The training clients' ranges and neighbour distances (None: saved before it existed).
    novelty: NoveltyReference | None = None

    def pool(self, features: pl.DataFrame) -> Pool:
        """CatBoost input; a few rows (what-if, API) skip pandas, which costs ~4 ms per call."""
        if features.height <= SMALL_FRAME_ROWS:
            return self._small_pool(features)
        frame = to_model_frame(features, self.feature_names, self.cat_features)
        return Pool(frame, cat_features=self.cat_features)

    @cached_property
    def _row_exprs(self) -> tuple[list[pl.Expr], list[int]]:
        """Column expressions and categorical positions for `_small_pool`, built once per model."""
        cat_set = set(self.cat_features)
        exprs = [
            pl.col(c).cast(pl.String).fill_null(MISSING_CATEGORY) if c in cat_set
            else pl.col(c).cast(pl.Float64).fill_null(float("nan"))
            for c in self.feature_names
        ]
        return exprs, [i for i, c in enumerate(self.feature_names) if c in cat_set]

    def _small_pool(self, features: pl.DataFrame) -> Pool:
        missing = [c for c in self.feature_names if c not in features.columns]
        if missing:
            raise UserError(f"feature table lacks model columns: {', '.join(missing[:10])}")
        exprs, cat_index = self._row_exprs
        rows = features.select(exprs).rows()
        return Pool(rows, cat_features=cat_index, feature_names=self.feature_names)

    def raw_score(self, features: pl.DataFrame) -> np.ndarray:
        """Calibrated log-odds of default for each row."""
        raw = self.booster.predict(self.pool(features), prediction_type="RawFormulaVal")
        return self.calibration_slope * np.asarray(raw, dtype=np.float64) + self.calibration_intercept

    def predict_proba(self, features: pl.DataFrame) -> np.ndarray:
        """Probability of default (class 1) for each row, calibrated."""
        return 1.0 / (1.0 + np.exp(-self.raw_score(features)))

    def shap_values(self, features: pl.DataFrame, *, thread_count: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """TreeSHAP contributions in calibrated log-odds, shape (n, k), and the base value per row.

        base + contributions.sum(axis=1) equals `raw_score` (calibrated log-odds).
        `thread_count`: CatBoost's threads (-1: every core; a Dask worker gives its own share).
        """
        values = self.booster.get_feature_importance(self.pool(features), type="ShapValues",
                                                     thread_count=thread_count)
        slope, intercept = self.calibration_slope, self.calibration_intercept
        return values[:, :-1] * slope, values[:, -1] * slope + intercept

    def decide(self, proba: np.ndarray | float) -> np.ndarray | bool:
        """True where the credit is refused: probability at or above the threshold."""
        return refused(np.asarray(proba), self.threshold)

    def save(self, directory: Path) -> None:
        """Write model.cbm and model_card.json into `directory` (which must be new or temporary)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / MODEL_FILE), format="cbm")
        card = dict(self.card)
        card.update(
            version=self.version,
            feature_names=self.feature_names,
            cat_features=self.cat_features,
            threshold=self.threshold,
            calibration_map={"slope": self.calibration_slope, "intercept": self.calibration_intercept},
        )
        (directory / CARD_FILE).write_text(json.dumps(card, indent=2, default=str), encoding="utf-8")
        if self.novelty is not None:
            self.novelty.save(directory)

    @classmethod
    def load(cls, directory: Path) -> ScoringModel:
        """Load a saved model; a missing or corrupted file gives a clear UserError."""
        model_path, card_path = directory / MODEL_FILE, directory / CARD_FILE
        for path in (model_path, card_path):
            if not path.is_file():
                raise UserError(f"model file missing: {path} (run `python main.py train`)")
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            version, names = card["version"], list(card["feature_names"])
            cats, threshold = list(card["cat_features"]), float(card["threshold"])
            calibration = card.get("calibration_map", {"slope": 1.0, "intercept": 0.0})
            slope, intercept = float(calibration["slope"]), float(calibration["intercept"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"model card {card_path} is corrupted: {exc}") from exc
        booster = CatBoostClassifier()
        try:
            booster.load_model(str(model_path), format="cbm")
        except Exception as exc:  # CatBoostError has no stable import path
            raise UserError(f"model file {model_path} is corrupted: {exc}") from exc
        if list(booster.feature_names_) != names:
            raise UserError(f"model file {model_path} does not match its card's feature list")
        return cls(booster, names, cats, threshold, version, card, slope, intercept,
                   NoveltyReference.load(directory))
