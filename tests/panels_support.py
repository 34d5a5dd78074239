"""A constructed population and a fake ScoringClient for the dashboard-panel tests.

The fake client scores with a small, explicit logistic formula over the same
feature columns the population holds, so a what-if on income or credit moves
the probability in a known direction, and every what-if is recorded. Its
population sections and what-if form come from the real service functions
(`scoring.service.population_queries`, `scoring.service.overrides`) over the
constructed population, exactly as the in-process client computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from scoring.model.decision import refused
from scoring.service import overrides as override_rules
from scoring.service import population_queries as queries
from scoring.service.population import Population
from scoring.service.protocol import (
    Contribution,
    Explanation,
    InvalidOverride,
    OverrideCheck,
    Recourse,
    RecourseOption,
    Score,
    UnknownClient,
    WhatIf,
    WhatIfForm,
)

THRESHOLD = 0.3
FEATURES = ("AMT_INCOME_TOTAL", "AMT_CREDIT", "EXT_SOURCE_2", "CNT_CHILDREN", "AGE_YEARS",
            "EMPLOYMENT_YEARS", "NAME_CONTRACT_TYPE", "FLAG_OWN_CAR", "CODE_GENDER")


def make_frame(n: int = 2000, seed: int = 3) -> pl.DataFrame:
    """A feature table: ids, sample, target, numeric, discrete and categorical columns."""
    rng = np.random.default_rng(seed)
    train = rng.random(n) < 0.8
    income = np.round(rng.lognormal(10.5, 0.5, n), -2)
    credit = np.round(income * rng.uniform(0.5, 4.0, n), -2)
    ext = rng.uniform(0, 1, n)
    ext[rng.random(n) < 0.05] = np.nan
    target = (rng.random(n) < 0.1 + 0.2 * (ext < 0.3)).astype(float)
    return pl.DataFrame({
        "SK_ID_CURR": np.arange(100_001, 100_001 + n, dtype=np.int64),
        "TARGET": pl.Series(np.where(train, target, np.nan)).fill_nan(None).cast(pl.Int8),
        "SAMPLE": np.where(train, "train", "new"),
        "CODE_GENDER": rng.choice(["F", "M"], n, p=[0.65, 0.35]),
        "AGE_YEARS": rng.uniform(21, 69, n),
        "AMT_INCOME_TOTAL": income,
        "AMT_CREDIT": credit,
        "EXT_SOURCE_2": ext,
        "CNT_CHILDREN": rng.choice([0, 1, 2, 3], n, p=[0.6, 0.2, 0.15, 0.05]).astype(float),
        "EMPLOYMENT_YEARS": np.round(rng.uniform(0, 30, n), 2),
        "NAME_CONTRACT_TYPE": rng.choice(["Cash loans", "Revolving loans"], n, p=[0.9, 0.1]),
        "FLAG_OWN_CAR": rng.choice(["Y", "N"], n),
    })


def logistic_proba(credit: np.ndarray, income: np.ndarray, ext: np.ndarray) -> np.ndarray:
    """The fake model: more credit per income and a lower external score mean more risk."""
    ext = np.where(np.isnan(ext), 0.5, ext)
    z = -1.8 + 0.5 * np.log(credit / income) - 2.0 * (ext - 0.5)
    return 1.0 / (1.0 + np.exp(-z))


IMPORTANCE = ["EXT_SOURCE_2", "AMT_CREDIT", "AMT_INCOME_TOTAL", "AGE_YEARS",
              "EMPLOYMENT_YEARS", "CNT_CHILDREN", "NAME_CONTRACT_TYPE", "FLAG_OWN_CAR", "CODE_GENDER"]


def population_of(frame: pl.DataFrame) -> Population:
    """The population of a constructed frame, scored by the fake model."""
    proba = logistic_proba(frame["AMT_CREDIT"].to_numpy(), frame["AMT_INCOME_TOTAL"].to_numpy(),
                           frame["EXT_SOURCE_2"].to_numpy())
    return Population.from_frame(frame, proba, THRESHOLD, importance=IMPORTANCE)


def make_population(n: int = 2000, seed: int = 3) -> tuple[Population, pl.DataFrame]:
    frame = make_frame(n, seed)
    return population_of(frame), frame


@dataclass
class FakeClient(queries.PopulationAnswers):
    """ScoringClient over the constructed frame; records every what_if call."""

    frame: pl.DataFrame
    calls: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    pop: Population | None = None  # built from the frame when not given

    def __post_init__(self) -> None:
        if self.pop is None:
            self.pop = population_of(self.frame)

    def _population(self) -> Population:
        return self.pop

    def _row(self, client_id: int) -> dict[str, Any]:
        rows = self.frame.filter(pl.col("SK_ID_CURR") == client_id)
        if rows.height == 0:
            raise KeyError(client_id)
        return rows.row(0, named=True)

    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    def client_ids(self) -> list[int]:
        return self.frame["SK_ID_CURR"].to_list()

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        return {"client_id": client_id, "facts": []}

    def _explain(self, row: dict[str, Any], client_id: int, top: int) -> Explanation:
        credit, income = float(row["AMT_CREDIT"]), float(row["AMT_INCOME_TOTAL"])
        ext = row["EXT_SOURCE_2"]
        ext_v = 0.5 if ext is None or (isinstance(ext, float) and math.isnan(ext)) else ext
        p = float(logistic_proba(np.array([credit]), np.array([income]), np.array([ext_v]))[0])
        score = Score(client_id, p, THRESHOLD, refused(p, THRESHOLD), 3, "fake")
        shap = {"AMT_CREDIT": 0.5 * math.log(credit), "AMT_INCOME_TOTAL": -0.5 * math.log(income),
                "EXT_SOURCE_2": -2.0 * (ext_v - 0.5)}
        contribs = [Contribution(k, k, row[k], str(row[k]), v)
                    for k, v in sorted(shap.items(), key=lambda kv: -abs(kv[1]))][:top]
        return Explanation(score, -1.8, contribs, 0.0)

    def score(self, client_id: int) -> Score:
        return self.explanation(client_id).score

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        return self._explain(self._row(client_id), client_id, top)

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10,
                lang: str = "fr") -> WhatIf:
        self.calls.append((client_id, dict(overrides)))
        bad = {k: "bad" for k, v in overrides.items()
               if k in ("AMT_CREDIT", "AMT_INCOME_TOTAL") and (v is None or v <= 0)}
        if bad:
            raise InvalidOverride(bad)
        row = self._row(client_id)
        before = self._explain(row, client_id, top)
        after = self._explain(row | overrides, client_id, top)
        return WhatIf(before, after, dict(overrides))

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse:
        """A refused client's one option: the largest credit (100 € steps) the fake model grants."""
        row = self._row(client_id)
        score = self._explain(row, client_id, 1).score
        if not score.refused:
            return Recourse(client_id, score.probability, THRESHOLD, False, THRESHOLD - score.probability, [], None,
                            "accordé" if lang == "fr" else "granted")
        ext = row["EXT_SOURCE_2"]
        ext = 0.5 if ext is None or math.isnan(ext) else ext
        limit = float(row["AMT_INCOME_TOTAL"]) * math.exp(
            (math.log(THRESHOLD / (1 - THRESHOLD)) + 1.8 + 2.0 * (ext - 0.5)) / 0.5)
        credit = math.floor((limit - 1.0) / 100.0) * 100.0
        after = self._explain(row | {"AMT_CREDIT": credit}, client_id, 1).score.probability
        option = RecourseOption("amount_same_duration", {"AMT_CREDIT": credit}, after, False,
                                "Emprunter moins" if lang == "fr" else "Borrow less",
                                f"AMT_CREDIT {row['AMT_CREDIT']} → {credit}")
        return Recourse(client_id, score.probability, THRESHOLD, True, THRESHOLD - score.probability,
                        [option] if credit > 0 else [], None, "refusé" if lang == "fr" else "refused")

    # the what-if form, as the in-process client builds it (population calls: PopulationAnswers)
    def what_if_form(self, client_id: int | None = None) -> WhatIfForm:
        """The real form fields; the client's raw record rebuilt from the frame's display values."""
        record: dict[str, Any] = {}
        if client_id is not None:
            try:
                row = self._row(client_id)
            except KeyError:
                raise UnknownClient(f"client {client_id} inconnu") from None
            shown = {k: row[k] for k in override_rules.fields() if k in row}
            if row.get("EMPLOYMENT_YEARS") is not None:
                shown["DAYS_EMPLOYED"] = row["EMPLOYMENT_YEARS"]
            record = override_rules.to_raw(shown)
        return WhatIfForm(client_id, THRESHOLD, override_rules.form_fields(record))

    def check_overrides(self, values: dict[str, Any], lang: str = "fr", units: str = "display") -> OverrideCheck:
        return override_rules.check(values, lang, units=units)
