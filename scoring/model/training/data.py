"""Read the feature table for training: validate it, pick the train rows, split a hold-out.

Only rows with SAMPLE == "train" are used; ids and labels never become
features. Every problem names the file, the column and a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
from sklearn.model_selection import StratifiedKFold, train_test_split

from scoring.data.schema import ID_COLUMNS
from scoring.errors import ArtefactMissing, UserError
from scoring.model.scoring_model import to_model_frame
from scoring.paths import Paths

_NUMERIC = (pl.Float32, pl.Float64, pl.Int8, pl.Int16, pl.Int32, pl.Int64,
            pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, pl.Boolean)


@dataclass
class TrainingData:
    """The train clients as model input: X (pandas, CatBoost-ready), y, ids, column roles."""

    X: pd.DataFrame
    y: np.ndarray
    ids: np.ndarray
    feature_names: list[str]
    cat_features: list[str]
    source: Path

    @property
    def numeric_features(self) -> list[str]:
        cats = set(self.cat_features)
        return [c for c in self.feature_names if c not in cats]

    def subset(self, rows: np.ndarray) -> TrainingData:
        return TrainingData(self.X.iloc[rows].reset_index(drop=True), self.y[rows], self.ids[rows],
                            self.feature_names, self.cat_features, self.source)

    def without(self, columns: list[str]) -> TrainingData:
        """The same clients without `columns` (inputs a policy leaves out of the model)."""
        drop = set(columns)
        if not drop:
            return self
        return TrainingData(self.X.drop(columns=[c for c in self.X.columns if c in drop]), self.y, self.ids,
                            [c for c in self.feature_names if c not in drop],
                            [c for c in self.cat_features if c not in drop], self.source)


def feature_roles(schema: pl.Schema, source: Path) -> tuple[list[str], list[str]]:
    """(feature names in table order, categorical ones); unsupported types are an error."""
    names, cats = [], []
    for name, dtype in schema.items():
        if name in ID_COLUMNS:
            continue
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            cats.append(name)
        elif not isinstance(dtype, _NUMERIC):
            raise UserError(f"{source}: feature column {name!r} has unsupported type {dtype} "
                            "(expected a number or a string)")
        names.append(name)
    if not names:
        raise UserError(f"{source}: no feature column besides {', '.join(ID_COLUMNS)}")
    return names, cats


def train_rows(frame: pl.DataFrame, source: Path) -> pl.DataFrame:
    """The labelled rows (SAMPLE == "train"), checked: TARGET present and 0/1 on each of them."""
    for col in ("SK_ID_CURR", "TARGET", "SAMPLE"):
        if col not in frame.columns:
            raise UserError(f"{source}: required column {col!r} is missing")
    train = frame.filter(pl.col("SAMPLE") == "train")
    if train.height == 0:
        values = frame["SAMPLE"].unique().head(5).to_list()
        raise UserError(f"{source}: no row with SAMPLE == 'train' (found SAMPLE values {values})")
    bad = train.filter(pl.col("TARGET").is_null() | ~pl.col("TARGET").is_in([0, 1]))
    if bad.height:
        row = bad.row(0, named=True)
        raise UserError(f"{source}: column 'TARGET' must be 0 or 1 on train rows; "
                        f"{bad.height} rows are not, e.g. SK_ID_CURR={row['SK_ID_CURR']} "
                        f"TARGET={row['TARGET']!r}")
    return train


def load_training_data(paths: Paths) -> TrainingData:
    """Read `paths.features` and return the train clients ready for any model."""
    source = paths.features
    if not source.is_file():
        raise ArtefactMissing(f"feature table missing: {source} (run `python main.py features`)")
    try:
        frame = pl.read_parquet(source)
    except Exception as exc:  # polars raises several error types for a bad file
        raise UserError(f"cannot read feature table {source}: {exc}") from exc
    train = train_rows(frame, source)
    names, cats = feature_roles(train.schema, source)
    X = to_model_frame(train, names, cats)
    return TrainingData(X, train["TARGET"].cast(pl.Int8).to_numpy().astype(np.int8),
                        train["SK_ID_CURR"].to_numpy(), names, cats, source)


def check_class_counts(y: np.ndarray, folds: int, what: str) -> None:
    """Stratified k-fold needs at least `folds` members of each class."""
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if min(n_pos, n_neg) < folds:
        raise UserError(f"{what}: {n_pos} defaulters and {n_neg} non-defaulters; "
                        f"need at least {folds} of each for {folds}-fold cross-validation")


def holdout_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (fit rows, hold-out rows) indices."""
    idx = np.arange(y.size)
    fit, hold = train_test_split(idx, test_size=fraction, stratify=y, random_state=seed)
    return np.sort(fit), np.sort(hold)


def cv_folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (train, validation) indices; the same folds for every model."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(y.size), y))
