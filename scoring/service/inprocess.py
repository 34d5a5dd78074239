"""The in-process ScoringClient: reads the shared artefacts directly (the dashboard's default).

Heavy data is loaded once per process (the SHAP store with the model and the
feature table, the raw application rows for profiles and what-if, the
history aggregates) and only read afterwards, so one instance serves every
Bokeh session or API request thread. Every score computed here on request
(what-if, new applicant) is appended to the prediction log.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from scoring.data.schema import TABLES
from scoring.errors import ArtefactMissing
from scoring.explain.shap_cache import ClientExplanation, ShapStore
from scoring.features.table import (
    features_for_client,
    features_for_records,
    history_for_client,
)
from scoring.model.decision import is_refused, risk_level
from scoring.paths import Paths
from scoring.service import novelty
from scoring.service import overrides as override_rules
from scoring.service import population_queries as queries
from scoring.service import reasons as concept_reasons
from scoring.service import recourse as recourse_rules
from scoring.service.audit import UserClient
from scoring.service.health import pair_status
from scoring.service.lang import lang_index, norm_lang, pick
from scoring.service.model_card import build_card, json_safe, json_value
from scoring.service.population import Population
from scoring.service.population_stats import warm_up
from scoring.service.prediction_log import PredictionEvent, PredictionLog
from scoring.service.profile import build_profile
from scoring.service.protocol import (
    Contribution,
    Explanation,
    GlobalImportance,
    InvalidOverride,
    KnownClient,
    OverrideCheck,
    Recourse,
    Score,
    UnknownClient,
    WhatIf,
    WhatIfForm,
)
from scoring.service.records import history_frames, validate_application
from scoring.text import catalogue

__all__ = ["InProcessClient", "json_safe", "json_value"]

#: Placeholder key joining a new applicant's history rows when the record has no SK_ID_CURR.
_ANONYMOUS_ID = -1
#: A new applicant's record with an existing client's SK_ID_CURR (KnownClient, the API's 409).
_KNOWN_CLIENT = (
    "Le client {id} existe déjà : POST /score note un nouveau demandeur (sans SK_ID_CURR ou avec un "
    "identifiant inconnu) ; pour simuler un changement de son dossier, utilisez POST /clients/{id}/what-if.",
    "Client {id} already exists: POST /score scores a new applicant (without SK_ID_CURR or with an unknown "
    "one); to simulate a change to this client's application, use POST /clients/{id}/what-if.")


def _load_applications(paths: Paths, store: ShapStore) -> pl.DataFrame:
    """Raw application rows (train then new; TARGET dropped: it is never shown nor used here),
    from the served build's snapshot: the same load the served scores were computed from."""
    frames = []
    for name, sample in (("application_train", "train"), ("application_test", "new")):
        path = store.input_file(paths.interim / TABLES[name].parquet_name)
        if not path.is_file():
            raise ArtefactMissing(f"raw application rows missing: {path} (run `python main.py features`)")
        frame = pl.read_parquet(path)
        frames.append(frame.drop("TARGET", strict=False).with_columns(pl.lit(sample).alias("SAMPLE")))
    return pl.concat(frames, how="diagonal_relaxed")


class InProcessClient(queries.PopulationAnswers):
    """ScoringClient reading the artefacts at `paths` (thread-safe for reads).

    `source` is what the prediction log records for scores served by this
    instance ("dashboard", "api", ...).
    """

    def __init__(self, paths: Paths, *, source: str = "dashboard", store: ShapStore | None = None,
                 prediction_log: PredictionLog | None = None):
        self.paths = paths
        self.source = source
        self.store = store if store is not None else ShapStore.open(paths)
        self._apps = _load_applications(paths, self.store)
        ids = self._apps.get_column("SK_ID_CURR").to_list()
        self._app_index = dict(zip(ids, range(len(ids)), strict=True))
        self.log = prediction_log if prediction_log is not None else PredictionLog(paths.prediction_log)
        self._names = self.store.feature_names
        self._global: dict[str, list[GlobalImportance]] = {}
        self._cards: dict[str, dict[str, Any]] = {}
        self._ids = tuple(int(i) for i in self.store.client_ids().tolist())
        self._pop: Population | None = None
        self._pop_lock = threading.Lock()

    # -- protocol -------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Liveness and what is being served."""
        return {
            "status": "ok",
            **pair_status(self.paths, self.store),
            "n_clients": int(len(self.store.client_ids())),
            "threshold": self.store.threshold,
        }

    def client_ids(self) -> list[int]:
        return list(self._ids)

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        record, sample = self._record(client_id)
        return build_profile(int(client_id), record, sample, lang)

    def score(self, client_id: int) -> Score:
        try:
            probability = self.store.probability(client_id)  # the in-memory array: no record decoded
        except KeyError:
            raise UnknownClient(_unknown(client_id)) from None
        return self._score_of(int(client_id), probability)

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        _check_top(top)  # before the look-up, as the API validates parameters first
        return self._explain(self._lookup(client_id), top, lang)

    def principal_reasons(self, client_id: int, lang: str = "fr") -> list[dict[str, Any]]:
        """The client's principal reasons (cached score) as plain dicts, e.g. for a log entry:
        concept, label, points, sentence, feature, display_value (see scoring.service.reasons)."""
        exp = self._lookup(client_id)
        reasons, _withheld = concept_reasons.reasons_only(
            self._names, np.asarray(exp.shap, dtype=np.float64), exp.feature_values, norm_lang(lang),
            is_refused(exp.probability, self.store.threshold))
        return concept_reasons.reason_records(reasons)

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr",
                *, source: str | None = None, user: str | None = None) -> WhatIf:
        """Re-score the client with edited raw fields; the edited score is logged.

        `overrides` maps editable raw field names to raw values (the
        application column's units: DAYS_EMPLOYED in negative days, 365243 for
        "no current job"; a form converts with `check_overrides`). They are
        checked once, by `scoring.service.overrides`, before the client is
        looked up (as the API validates a body first); bad ones raise
        InvalidOverride with a message per field.
        """
        _check_top(top)
        clean, errors = override_rules.validate(overrides, lang, units="raw")
        if errors:
            raise InvalidOverride(errors)
        record, _sample = self._record(client_id)
        before = self.explanation(client_id, top, lang)
        features = self._edited_features(client_id, record, [clean])
        after = self._explain(self.store.explain_features(features), top, lang, client_id=int(client_id))
        after = replace(after, warnings=self._warnings(features, lang, self.store.features_row(client_id)))
        self._log(after.score, "what_if", clean, source, user, after.principal_reasons)
        return WhatIf(before=before, after=after, overrides=clean)

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse:
        """What would change the decision (`scoring.service.recourse`): for a refused client, up to
        three changes of actionable fields, each re-scored through the what-if path and offered
        only when granted and within the training ranges; for a granted one, its margin. The
        candidates are not logged (an advisor who applies one runs a logged what-if)."""
        record, _sample = self._record(client_id)
        exp = self._lookup(client_id)
        baseline = self.store.features_row(client_id)

        def verify(changes: dict[str, Any]) -> tuple[float, list[Any]]:
            features = self._edited_features(client_id, record, [changes])
            return self.store.explain_features(features).probability, self._warnings(features, lang, baseline)

        case = recourse_rules.Case(
            client_id=int(client_id), record={k: v for k, v in record.items() if k != "SAMPLE"},
            probability=float(exp.probability), threshold=self.store.threshold,
            features=lambda sets: self._edited_features(client_id, record, sets),
            predict=self.store.model.predict_proba, reference=self.novelty_reference(), baseline=baseline,
            verify=verify)
        return recourse_rules.recourse(case, lang)

    def novelty_reference(self) -> novelty.NoveltyReference:
        """The served model's training ranges and neighbour yardstick (computed once if it has none)."""
        return novelty.reference(self.store)

    def _edited_features(self, client_id: int, record: dict[str, Any], override_sets: list[dict[str, Any]]
                         ) -> pl.DataFrame:
        """The what-if's feature rows: the client's raw record with each set of checked overrides."""
        own = {k: v for k, v in record.items() if k != "SAMPLE"}
        return features_for_records([own | changes for changes in override_sets], self.store.history_row(client_id))

    def _warnings(self, features: pl.DataFrame, lang: str, baseline: pl.DataFrame | None = None) -> list[Any]:
        """The unusual values of a scored row (only what differs from `baseline`, when given)."""
        return novelty.warnings(self.novelty_reference(), features, norm_lang(lang), baseline)

    # -- population sections: answered by PopulationAnswers from _population() ----------------
    def warm_up(self) -> dict[str, float]:
        """Build the population and its shared derived data now (seconds per step), so that no
        advisor waits for the first comparison; a server calls it once when it starts."""
        return warm_up(self._population())

    def _population(self) -> Population:
        """Every client's score and features, from this client's own store (no second read of
        the feature table), built on first use and then shared read-only."""
        if self._pop is None:
            with self._pop_lock:
                if self._pop is None:
                    self._pop = Population.from_store(self.store)
        return self._pop

    # -- what-if form ---------------------------------------------------------------------------
    def what_if_form(self, client_id: int | None = None) -> WhatIfForm:
        """The editable fields with their limits and the client's current values (display units;
        without a client, no current values)."""
        record = {} if client_id is None else self._record(client_id)[0]
        return WhatIfForm(client_id=None if client_id is None else int(client_id), threshold=self.store.threshold,
                          fields=override_rules.form_fields(record))

    def check_overrides(self, values: dict[str, Any], lang: str = "fr", units: str = "display") -> OverrideCheck:
        """Check edited values (typed text or numbers) without scoring: valid ones in both units."""
        return override_rules.check(values, lang, units=units)

    # -- extensions (also served by the API) ------------------------------------------------
    def score_application(self, record: dict[str, Any], history: dict[str, list[dict[str, Any]]] | None = None,
                          top: int = 10, lang: str = "fr", *, source: str | None = None,
                          user: str | None = None) -> Explanation:
        """Score a brand-new applicant from a complete raw record (and optional raw history rows).

        Bad input raises InvalidOverride whose `errors` map "record.FIELD" or
        "history.TABLE.ROW.FIELD" to a message; the SK_ID_CURR of a client the
        service knows raises KnownClient (its score would be logged under that
        client: `what_if` edits an existing client). The score is logged.
        """
        _check_top(top)
        clean_record, clean_history = self.validate_application(record, history, lang)
        client_id = clean_record.get("SK_ID_CURR")
        if client_id is not None and self.store.has_client(client_id):
            raise KnownClient(int(client_id), pick(_KNOWN_CLIENT, lang, id=int(client_id)))
        aggregates = None
        if clean_history:
            aggregates = history_for_client(
                history_frames(clean_history, _ANONYMOUS_ID if client_id is None else client_id),
                _ANONYMOUS_ID if client_id is None else client_id,
            )
        features = features_for_client(clean_record, aggregates)
        result = self._explain(self.store.explain_features(features), top, lang, client_id=client_id)
        result = replace(result, warnings=self._warnings(features, lang))
        self._log(result.score, "new_application", {}, source, user, result.principal_reasons)
        return result

    def model_card(self, lang: str = "fr") -> dict[str, Any]:
        """Model version, threshold, cost weights, metrics, risk bands and the feature catalogue."""
        key = "en" if lang_index(lang) else "fr"
        if key not in self._cards:
            self._cards[key] = self._build_card(key)
        return copy.deepcopy(self._cards[key])  # callers may edit their copy

    def monitoring(self) -> dict[str, Any] | None:
        """The served cache build's monitoring snapshot (fairness, drift, score over time), None
        until the nightly refresh-cache (or `main.py monitor --store`) computed one."""
        from scoring.monitoring.snapshot import served_snapshot

        return served_snapshot(self.paths, self.store.build_id)

    @staticmethod
    def validate_application(record: Any, history: Any, lang: str = "fr"
                             ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """Check a new applicant's record and history rows against the schema models."""
        return validate_application(record, history, lang)

    def close(self) -> None:
        self.log.close()
        self.store.close()

    # -- internals ----------------------------------------------------------------------------
    def _lookup(self, client_id: int) -> ClientExplanation:
        try:
            return self.store.lookup(client_id)
        except KeyError:
            raise UnknownClient(_unknown(client_id)) from None

    def _record(self, client_id: int) -> tuple[dict[str, Any], str | None]:
        """The client's raw application row (read-only copy) and its sample."""
        try:
            known = self.store.has_client(client_id)
            row = self._app_index.get(int(client_id)) if known else None
        except (TypeError, ValueError, OverflowError):
            row = None
        if row is None:
            raise UnknownClient(_unknown(client_id))
        record = self._apps.row(row, named=True)
        return record, record.get("SAMPLE")

    def _score(self, exp: ClientExplanation, client_id: int | None = None) -> Score:
        return self._score_of(client_id if client_id is not None else exp.client_id, float(exp.probability))

    def _score_of(self, client_id: int | None, probability: float) -> Score:
        threshold = self.store.threshold
        return Score(
            client_id=client_id,
            probability=probability,
            threshold=threshold,
            refused=is_refused(probability, threshold),
            risk_level=risk_level(probability, threshold),
            model_version=self.store.model_version,
        )

    def _explain(self, exp: ClientExplanation, top: int, lang: str, client_id: int | None = None
                 ) -> Explanation:
        _check_top(top)
        lang = norm_lang(lang)
        shap = np.asarray(exp.shap, dtype=np.float64)
        order = np.argsort(-np.abs(shap), kind="stable")
        head, rest = order[:top], order[top:]
        contributions = []
        for i in head.tolist():
            name = self._names[i]
            value = json_value(exp.feature_values.get(name))
            contributions.append(Contribution(
                feature=name,
                label=catalogue.label(name, lang),
                value=value,
                display_value=catalogue.format_value(name, value, lang),
                shap=float(shap[i]),
            ))
        score = self._score(exp, client_id)
        concepts, reasons, withheld = concept_reasons.explain(
            self._names, shap, exp.feature_values, lang, score.refused)
        return Explanation(
            score=score,
            base_value=float(exp.base_value),
            contributions=contributions,
            other_factors=float(shap[rest].sum()) if rest.size else 0.0,
            global_importance=list(self._global_importance(lang)),
            concepts=concepts,
            principal_reasons=reasons,
            protected_withheld=withheld,
        )

    def _global_importance(self, lang: str) -> list[GlobalImportance]:
        key = "en" if lang_index(lang) else "fr"
        cached = self._global.get(key)
        if cached is None:
            ranked = sorted(self.store.global_importance().items(), key=lambda kv: (-kv[1], kv[0]))
            cached = [GlobalImportance(name, catalogue.label(name, key), float(v), rank)
                      for rank, (name, v) in enumerate(ranked, 1)]
            self._global[key] = cached
        return cached

    def _build_card(self, lang: str) -> dict[str, Any]:
        return build_card(self.store, self._global_importance(lang), lang)

    def _log(self, score: Score, kind: str, overrides: dict[str, Any], source: str | None = None,
             user: str | None = None, reasons: list[Any] | None = None) -> None:
        """Queue one audit event; `reasons` are the principal reasons the answer gave."""
        self.log.append(PredictionEvent(
            client_id=score.client_id, model_version=score.model_version, probability=score.probability,
            refused=score.refused, source=source or self.source, kind=kind, overrides=overrides, user=user,
            reasons=None if reasons is None else concept_reasons.reason_records(reasons),
        ))

    def log_score(self, score: Score, source: str | None = None, user: str | None = None) -> None:
        """Record a score served from the cache (the API's GET /clients/{id}/score)."""
        self._log(score, "score", {}, source, user)

    def log_view(self, client_id: int, user: str | None = None, source: str | None = None) -> None:
        """Record that `user` opened the client's file (profile, explanation, recourse), with the
        served score it showed: who looked at whom (GDPR accountability). Unknown: UnknownClient."""
        exp = self._lookup(client_id)
        reasons, _withheld = concept_reasons.reasons_only(
            self._names, np.asarray(exp.shap, dtype=np.float64), exp.feature_values, "fr",
            is_refused(exp.probability, self.store.threshold))
        self._log(self._score(exp), "view", {}, source, user, reasons)

    def for_user(self, user: str | None) -> UserClient:
        """This client as one signed-in user's session uses it: what it scores and which clients
        it opens are logged under `user` (see `scoring.service.audit`)."""
        return UserClient(self, user)


def _check_top(top: Any) -> None:
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")


def _unknown(client_id: Any) -> str:
    return f"unknown client SK_ID_CURR={client_id!r}"
