"""The in-process ScoringClient: reads the shared artefacts directly (the dashboard's default).

Heavy data is loaded once per process (the SHAP store with the model and the
feature table, the raw application rows for profiles and what-if, the
history aggregates) and only read afterwards, so one instance serves every
Bokeh session or API request thread. Every score computed here on request
(what-if, new applicant) is appended to the prediction log.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from pydantic import ValidationError

from scoring.api.models import (
    HISTORY_TABLES,
    application_model,
    field_errors,
    history_model,
    lang_index,
    norm_lang,
    validate_overrides_payload,
)
from scoring.data.schema import TABLES
from scoring.errors import ArtefactMissing
from scoring.explain.shap_cache import ClientExplanation, ShapStore
from scoring.features.table import features_for_client, history_for_client
from scoring.model.decision import (
    RISK_LEVEL_KEYS,
    is_refused,
    risk_band_edges,
    risk_level,
)
from scoring.paths import Paths
from scoring.service.prediction_log import PredictionEvent, PredictionLog
from scoring.service.profile import build_profile
from scoring.service.protocol import (
    Contribution,
    Explanation,
    GlobalImportance,
    InvalidOverride,
    Score,
    UnknownClient,
    WhatIf,
)
from scoring.text import catalogue

#: Placeholder key joining a new applicant's history rows when the record has no SK_ID_CURR.
_ANONYMOUS_ID = -1


def json_value(value: Any) -> Any:
    """A feature value as plain JSON: Python scalars, None for missing or non-finite numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_safe(obj: Any) -> Any:
    """Recursively replace NaN/inf by None and numpy scalars by Python ones (strict JSON)."""
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return json_value(obj)


def plain(value: Any) -> Any:
    """numpy scalars to Python ones (strict pydantic types reject numpy integers)."""
    return value.item() if isinstance(value, np.generic) else value


def _load_applications(paths: Paths) -> pl.DataFrame:
    """Raw application rows (train then new; TARGET dropped: it is never shown nor used here)."""
    frames = []
    for name, sample in (("application_train", "train"), ("application_test", "new")):
        path = paths.interim / TABLES[name].parquet_name
        if not path.is_file():
            raise ArtefactMissing(f"raw application rows missing: {path} (run `python main.py features`)")
        frame = pl.read_parquet(path)
        frames.append(frame.drop("TARGET", strict=False).with_columns(pl.lit(sample).alias("SAMPLE")))
    return pl.concat(frames, how="diagonal_relaxed")


class InProcessClient:
    """ScoringClient reading the artefacts at `paths` (thread-safe for reads).

    `source` is what the prediction log records for scores served by this
    instance ("dashboard", "api", ...).
    """

    def __init__(self, paths: Paths, *, source: str = "dashboard", store: ShapStore | None = None,
                 prediction_log: PredictionLog | None = None):
        self.paths = paths
        self.source = source
        self.store = store if store is not None else ShapStore.open(paths)
        self._apps = _load_applications(paths)
        ids = self._apps.get_column("SK_ID_CURR").to_list()
        self._app_index = dict(zip(ids, range(len(ids)), strict=True))
        self.log = prediction_log if prediction_log is not None else PredictionLog(paths.prediction_log)
        self._names = self.store.feature_names
        self._global: dict[str, list[GlobalImportance]] = {}
        self._cards: dict[str, dict[str, Any]] = {}
        self._ids = tuple(int(i) for i in self.store.client_ids().tolist())

    # -- protocol -------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Liveness and what is being served."""
        return {
            "status": "ok",
            "model_version": self.store.model_version,
            "cache_version": self.store.build_id,
            "cache_built_at": self.store.built_at,
            "n_clients": int(len(self.store.client_ids())),
            "threshold": self.store.threshold,
        }

    def client_ids(self) -> list[int]:
        return list(self._ids)

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        record, sample = self._record(client_id)
        return build_profile(int(client_id), record, sample, lang)

    def score(self, client_id: int) -> Score:
        return self._score(self._lookup(client_id))

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        _check_top(top)  # before the look-up, as the API validates parameters first
        return self._explain(self._lookup(client_id), top, lang)

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr",
                *, source: str | None = None) -> WhatIf:
        """Re-score the client with edited raw fields; the edited score is logged.

        `overrides` maps editable raw field names (catalogue.RAW_FIELDS) to
        raw values (the application column's units: DAYS_EMPLOYED in negative
        days, 365243 for "no current job"; a form converts with
        catalogue.display_to_raw); bad ones raise InvalidOverride (per field).
        """
        _check_top(top)
        typed = self._typed_overrides(overrides, lang)  # same order as the API: body, then client
        record, _sample = self._record(client_id)
        clean = self._checked_overrides(typed, lang)
        before = self.explanation(client_id, top, lang)
        edited = {k: v for k, v in record.items() if k != "SAMPLE"} | clean
        features = features_for_client(edited, self.store.history_row(client_id))
        after = self._explain(self.store.explain_features(features), top, lang, client_id=int(client_id))
        self._log(after.score, "what_if", clean, source)
        return WhatIf(before=before, after=after, overrides=clean)

    # -- extensions (also served by the API) ------------------------------------------------
    def score_application(self, record: dict[str, Any], history: dict[str, list[dict[str, Any]]] | None = None,
                          top: int = 10, lang: str = "fr", *, source: str | None = None) -> Explanation:
        """Score a brand-new applicant from a complete raw record (and optional raw history rows).

        Bad input raises InvalidOverride whose `errors` map "record.FIELD" or
        "history.TABLE.ROW.FIELD" to a message. The score is logged.
        """
        _check_top(top)
        clean_record, clean_history = self.validate_application(record, history, lang)
        client_id = clean_record.get("SK_ID_CURR")
        aggregates = None
        if clean_history:
            aggregates = history_for_client(
                _history_frames(clean_history, _ANONYMOUS_ID if client_id is None else client_id),
                _ANONYMOUS_ID if client_id is None else client_id,
            )
        features = features_for_client(clean_record, aggregates)
        result = self._explain(self.store.explain_features(features), top, lang, client_id=client_id)
        self._log(result.score, "new_application", {}, source)
        return result

    def model_card(self, lang: str = "fr") -> dict[str, Any]:
        """Model version, threshold, cost weights, metrics, risk bands and the feature catalogue."""
        key = "en" if lang_index(lang) else "fr"
        if key not in self._cards:
            self._cards[key] = self._build_card(key)
        return copy.deepcopy(self._cards[key])  # callers may edit their copy

    def validate_overrides(self, overrides: Any, lang: str = "fr") -> dict[str, Any]:
        """Types, ranges and categories, then the catalogue's rules; raises InvalidOverride."""
        return self._checked_overrides(self._typed_overrides(overrides, lang), lang)

    @staticmethod
    def _typed_overrides(overrides: Any, lang: str) -> dict[str, Any]:
        if isinstance(overrides, Mapping):
            overrides = {k: plain(v) for k, v in overrides.items()}
        return validate_overrides_payload(overrides, lang)

    @staticmethod
    def _checked_overrides(typed: dict[str, Any], lang: str) -> dict[str, Any]:
        errors = catalogue.validate_overrides(typed, "en" if lang_index(lang) else "fr")
        if errors:
            raise InvalidOverride(dict(errors))
        return typed

    def validate_application(self, record: Any, history: Any, lang: str = "fr"
                             ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """Check a new applicant's record and history rows against the schema models."""
        errors: dict[str, str] = {}
        clean_record: dict[str, Any] = {}
        clean_history: dict[str, list[dict[str, Any]]] = {}
        try:
            payload = {k: plain(v) for k, v in record.items()} if isinstance(record, Mapping) else record
            clean_record = application_model().model_validate(payload).model_dump()
        except ValidationError as exc:
            errors.update({f"record.{k}" if k != "body" else "record": v
                           for k, v in field_errors(exc.errors(include_url=False), lang).items()})
        if history is not None:
            try:
                if isinstance(history, Mapping):
                    history = {t: [{k: plain(v) for k, v in row.items()} if isinstance(row, Mapping) else row
                                   for row in rows] if isinstance(rows, list) else rows
                               for t, rows in history.items()}
                model = history_model().model_validate(history)
                clean_history = {t: rows for t, rows in model.model_dump().items() if rows}
            except ValidationError as exc:
                errors.update({f"history.{k}" if k != "body" else "history": v
                               for k, v in field_errors(exc.errors(include_url=False), lang).items()})
        if errors:
            raise InvalidOverride(errors)
        return clean_record, clean_history

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
        threshold = self.store.threshold
        probability = float(exp.probability)
        return Score(
            client_id=client_id if client_id is not None else exp.client_id,
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
        return Explanation(
            score=self._score(exp, client_id),
            base_value=float(exp.base_value),
            contributions=contributions,
            other_factors=float(shap[rest].sum()) if rest.size else 0.0,
            global_importance=list(self._global_importance(lang)),
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
        card = self.store.model.card
        importance = {g.feature: g for g in self._global_importance(lang)}
        features = []
        for name in self._names:
            info = catalogue.CATALOGUE.get(name)
            g = importance.get(name)
            features.append({
                "name": name,
                "label": catalogue.label(name, lang),
                "description": catalogue.description(name, lang) if info else None,
                "group": info.group if info else None,
                "group_label": catalogue.group_label(info.group, lang) if info else None,
                "unit": info.unit if info else None,
                "unit_label": catalogue.UNITS[info.unit][lang_index(lang)] if info else None,
                "editable": bool(info and info.editable),
                "actionable": bool(info and info.actionable),
                "protected": bool(info and info.protected),
                "mean_abs_shap": g.mean_abs_shap if g else None,
                "rank": g.rank if g else None,
            })
        threshold = self.store.threshold
        cost = card.get("cost") or {}
        return json_safe({
            "model_version": self.store.model_version,
            "cache_version": self.store.build_id,
            "created_at": card.get("created_at"),
            "selected_model": card.get("selected_model"),
            "threshold": threshold,
            "threshold_rule": card.get("threshold_rule", "refused iff probability >= threshold"),
            "cost_weights": {"cost_fn": cost.get("cost_fn"), "cost_fp": cost.get("cost_fp")},
            "metrics": card.get("metrics", {}),
            "risk_levels": [
                {"level": i, "key": key, "from": lo, "to": hi}
                for i, (key, lo, hi) in enumerate(zip(RISK_LEVEL_KEYS, risk_band_edges(threshold)[:-1],
                                                      risk_band_edges(threshold)[1:], strict=True))
            ],
            "editable_fields": _editable_fields(lang),
            "groups": [{"key": k, "label": v[lang_index(lang)]} for k, v in catalogue.GROUPS.items()],
            "features": features,
        })

    def _log(self, score: Score, kind: str, overrides: dict[str, Any], source: str | None = None) -> None:
        self.log.append(PredictionEvent(
            client_id=score.client_id, model_version=score.model_version, probability=score.probability,
            refused=score.refused, source=source or self.source, kind=kind, overrides=overrides,
        ))

    def log_score(self, score: Score, source: str | None = None) -> None:
        """Record a score served from the cache (the API's GET /clients/{id}/score)."""
        self.log.append(PredictionEvent(
            client_id=score.client_id, model_version=score.model_version, probability=score.probability,
            refused=score.refused, source=source or self.source, kind="score",
        ))


def _check_top(top: Any) -> None:
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")


def _unknown(client_id: Any) -> str:
    return f"unknown client SK_ID_CURR={client_id!r}"


def _editable_fields(lang: str) -> list[dict[str, Any]]:
    """The raw fields a what-if may change, in display units, with their limits."""
    return [
        {
            "name": name,
            "label": spec.label_en if lang_index(lang) else spec.label_fr,
            "kind": spec.kind,
            "unit": spec.unit,
            "min": spec.minimum,
            "max": spec.maximum,
            "categories": [
                {"code": code, "label": catalogue.category_label(name, code, lang)} for code in spec.categories
            ] or None,
            "required": spec.required,
            "feature": spec.feature,
        }
        for name, spec in catalogue.RAW_FIELDS.items()
    ]


def _history_frames(history: dict[str, list[dict[str, Any]]], client_id: int) -> dict[str, pl.LazyFrame]:
    """Raw history rows as lazy frames with the schema's dtypes, keyed to the applicant."""
    frames = {}
    for table in HISTORY_TABLES:
        schema = TABLES[table].polars_schema
        rows = history.get(table) or []
        frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
        if "SK_ID_CURR" in schema:
            frame = frame.with_columns(pl.lit(int(client_id), dtype=pl.Int64).alias("SK_ID_CURR"))
        frames[table] = frame.lazy()
    return frames
