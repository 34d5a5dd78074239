"""A small deterministic ScoringClient for dashboard tests that need exact control.

It returns the real service dataclasses and follows scoring.model.decision, so the
dashboard cannot tell it from the in-process client; it also counts calls and
can be told to fail, which the real client cannot. Its population data (the
protocol's population sections) come from the real query functions over a
population built from its own values.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from scoring.model.decision import is_refused, risk_level
from scoring.service import overrides
from scoring.service import population_queries as queries
from scoring.service.population import Population
from scoring.service.protocol import (
    Contribution,
    Explanation,
    GlobalImportance,
    OverrideCheck,
    Recourse,
    Score,
    UnknownClient,
    WhatIf,
    WhatIfForm,
)
from scoring.service.reasons import explain as explain_concepts

#: Catalogue feature columns (so that concepts and reasons come from the real rules), with labels.
FEATURES = [
    ("EXT_SOURCE_2", "Score externe 2", "External score 2"),
    ("AGE_YEARS", "Âge", "Age"),
    ("AMT_CREDIT", "Montant du crédit", "Credit amount"),
    ("AMT_ANNUITY", "Annuité", "Annuity"),
    ("EMPLOYMENT_YEARS", "Ancienneté dans l'emploi", "Time in employment"),
    ("CNT_CHILDREN", "Nombre d'enfants", "Number of children"),
    ("BUREAU_DEBT_SUM", "Dette auprès d'autres organismes", "Debt with other lenders"),
    ("INST_LATE_DAYS_MAX", "Retards de paiement", "Late payments"),
    ("AMT_INCOME_TOTAL", "Revenu annuel", "Annual income"),
    ("OWN_CAR_AGE", "Âge de la voiture", "Age of the car"),
    ("REGION_RATING_CLIENT", "Note de la région", "Region rating"),
    ("PREV_REFUSED_COUNT", "Demandes refusées", "Refused applications"),
    ("PREV_TERM_MEAN", "Durée du crédit", "Credit term"),
    ("AMT_GOODS_PRICE", "Prix du bien", "Goods price"),
]


class FakeClient(queries.PopulationAnswers):
    """`n` clients numbered from 100002, threshold `threshold`, SHAP drawn once from a seed."""

    def __init__(self, n: int = 300, threshold: float = 0.1, seed: int = 3):
        rng = np.random.default_rng(seed)
        self.threshold = threshold
        self.ids = [100002 + 7 * i for i in range(n)]
        self.shap = rng.normal(0.0, 0.4, size=(n, len(FEATURES))) * np.linspace(1.5, 0.2, len(FEATURES))
        self.values = rng.integers(0, 100, size=(n, len(FEATURES)))
        self.base = -2.2
        self.version = "fake-1"
        self.calls: list[tuple[str, int]] = []
        self.fail_next: BaseException | None = None
        mean_abs = np.abs(self.shap).mean(axis=0)
        order = np.argsort(-mean_abs, kind="stable")
        self.global_rank = {FEATURES[j][0]: (r + 1, float(mean_abs[j])) for r, j in enumerate(order)}

    # helpers -------------------------------------------------------------------------------
    def _row(self, client_id: int) -> int:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        try:
            return self.ids.index(int(client_id))
        except ValueError:
            raise UnknownClient(f"client {client_id} inconnu") from None

    def probability(self, client_id: int) -> float:
        i = self._row(client_id)
        return 1.0 / (1.0 + math.exp(-(self.base + float(self.shap[i].sum()))))

    # protocol ------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "model_version": self.version, "threshold": self.threshold,
                "n_clients": len(self.ids)}

    def client_ids(self) -> list[int]:
        return list(self.ids)

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        self.calls.append(("profile", int(client_id)))
        i = self._row(client_id)
        age = int(20 + self.values[i, 1] // 2)
        fr = lang == "fr"
        return {
            "client_id": int(client_id), "lang": lang, "sample": "new",
            "sample_label": "nouvelle demande" if fr else "new application",
            "facts": [
                {"key": "age", "label": "Âge" if fr else "Age", "value": age,
                 "display": f"{age} ans" if fr else f"{age} years"},
                {"key": "income", "label": "Revenu annuel" if fr else "Annual income",
                 "value": 1000.0 * self.values[i, 8],
                 "display": f"{1000 * int(self.values[i, 8])} €"},
                {"key": "children", "label": "Enfants" if fr else "Children", "value": None,
                 "display": "non renseigné" if fr else "not provided"},
            ],
        }

    def score(self, client_id: int) -> Score:
        self.calls.append(("score", int(client_id)))
        p = self.probability(client_id)
        return Score(client_id=int(client_id), probability=p, threshold=self.threshold,
                     refused=is_refused(p, self.threshold), risk_level=risk_level(p, self.threshold),
                     model_version=self.version)

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        self.calls.append(("explanation", int(client_id)))
        i = self._row(client_id)
        score = self.score(client_id)
        k = 1 if lang == "en" else 0
        shap = self.shap[i]
        order = np.argsort(-np.abs(shap), kind="stable")
        head, rest = order[:top], order[top:]
        contributions = [
            Contribution(feature=FEATURES[j][0], label=FEATURES[j][1 + k], value=int(self.values[i, j]),
                         display_value=f"{int(self.values[i, j])} u", shap=float(shap[j]))
            for j in head
        ]
        glob = sorted(
            (GlobalImportance(f, FEATURES[[x[0] for x in FEATURES].index(f)][1 + k], v, r)
             for f, (r, v) in self.global_rank.items()), key=lambda g: g.rank)
        names = [f[0] for f in FEATURES]
        values = {name: int(v) for name, v in zip(names, self.values[i], strict=True)}
        concepts, reasons, withheld = explain_concepts(names, shap, values, lang, score.refused)
        return Explanation(score=score, base_value=self.base, contributions=contributions,
                           other_factors=float(shap[rest].sum()), global_importance=glob,
                           concepts=concepts, principal_reasons=reasons, protected_withheld=withheld)

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr") -> WhatIf:
        before = self.explanation(client_id, top, lang)
        return WhatIf(before=before, after=before, overrides=dict(overrides))

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse:
        """No option and no headroom: this fake knows no raw record to change."""
        s = self.score(client_id)
        return Recourse(int(client_id), s.probability, s.threshold, s.refused, s.threshold - s.probability,
                        [], None, "refusé" if s.refused else "accordé")

    # population sections ---------------------------------------------------------------------
    def _population(self) -> Population:
        return self._population_data

    @cached_property
    def _population_data(self) -> Population:
        n = len(self.ids)
        frame = pl.DataFrame({"SK_ID_CURR": self.ids, "TARGET": [i % 2 for i in range(n)],
                              "SAMPLE": ["train"] * n, "CODE_GENDER": ["F", "M"] * (n // 2) + ["F"] * (n % 2)})
        frame = frame.with_columns(
            pl.Series(name, self.values[:, j].astype(float)) for j, (name, _fr, _en) in enumerate(FEATURES))
        proba = 1.0 / (1.0 + np.exp(-(self.base + self.shap.sum(axis=1))))
        return Population.from_frame(frame, proba, self.threshold,
                                     importance=[f for f, _ in sorted(self.global_rank.items(),
                                                                      key=lambda kv: kv[1][0])])

    def what_if_form(self, client_id: int | None = None) -> WhatIfForm:
        record = {} if client_id is None else {"AMT_CREDIT": 1000.0 * float(self.values[self._row(client_id), 2])}
        # (only the credit amount is known to this fake; the other fields start empty)
        return WhatIfForm(client_id, self.threshold, overrides.form_fields(record))

    def for_user(self, user: str | None) -> FakeClient:
        """One object for every session (the fake logs nothing)."""
        return self

    def check_overrides(self, values: dict[str, Any], lang: str = "fr", units: str = "display") -> OverrideCheck:
        return overrides.check(values, lang, units=units)
