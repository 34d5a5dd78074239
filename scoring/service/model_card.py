"""The model card the API and the dashboard's model section show: version, threshold, features.

Built once per language by the in-process client from its store; every
value is plain JSON (NaN and numpy scalars replaced).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scoring.model import points
from scoring.model.decision import RISK_LEVEL_KEYS, risk_band_edges
from scoring.service.lang import lang_index, norm_lang
from scoring.service.protocol import GlobalImportance
from scoring.text import catalogue, concepts


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
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return json_value(obj)


def build_card(store: Any, importance: Sequence[GlobalImportance], lang: str) -> dict[str, Any]:
    """Model version, threshold, cost weights, metrics, risk bands and the feature catalogue."""
    card = store.model.card
    ranked = {g.feature: g for g in importance}
    features = [_feature(name, ranked.get(name), lang) for name in store.feature_names]
    threshold = store.threshold
    edges = risk_band_edges(threshold)
    cost = card.get("cost") or {}
    return json_safe({
        "model_version": store.model_version,
        "cache_version": store.build_id,
        "created_at": card.get("created_at"),
        "selected_model": card.get("selected_model"),
        "threshold": threshold,
        "threshold_rule": card.get("threshold_rule", "refused iff probability >= threshold"),
        "cost_weights": {"cost_fn": cost.get("cost_fn"), "cost_fp": cost.get("cost_fp")},
        "metrics": card.get("metrics", {}),
        "risk_levels": [{"level": i, "key": key, "from": lo, "to": hi}
                        for i, (key, lo, hi) in enumerate(zip(RISK_LEVEL_KEYS, edges[:-1], edges[1:], strict=True))],
        "editable_fields": editable_fields(lang),
        "groups": [{"key": k, "label": v[lang_index(lang)]} for k, v in catalogue.GROUPS.items()],
        "score_scale": points.scale() | {"threshold_points": points.points_from_probability(threshold),
                                         "note": concepts.POINTS_NOTE[norm_lang(lang)]},
        "concepts": [{"key": k, "label": concepts.label(k, norm_lang(lang)),
                      "protected": c.protected} for k, c in concepts.CONCEPTS.items()],
        "features": features,
        # the policy on protected inputs (scoring.model.training.protected) and the served model's
        # hold-out fairness figures (None for a model trained before the policy)
        "excluded_inputs": [n for n in catalogue.excluded_inputs() if n not in store.feature_names],
        "protected_inputs": card.get("protected_inputs"),
    })


def _feature(name: str, g: GlobalImportance | None, lang: str) -> dict[str, Any]:
    info = catalogue.CATALOGUE.get(name)
    return {
        "name": name,
        "label": catalogue.label(name, lang),
        "description": catalogue.description(name, lang) if info else None,
        "group": info.group if info else None,
        "group_label": catalogue.group_label(info.group, lang) if info else None,
        "concept": concepts.concept_of(name) if info else None,
        "unit": info.unit if info else None,
        "unit_label": catalogue.UNITS[info.unit][lang_index(lang)] if info else None,
        "editable": bool(info and info.editable),
        "actionable": bool(info and info.actionable),
        "protected": bool(info and info.protected),
        "mean_abs_shap": g.mean_abs_shap if g else None,
        "rank": g.rank if g else None,
    }


def editable_fields(lang: str) -> list[dict[str, Any]]:
    """The raw fields a what-if may change, in display units, with their limits."""
    from scoring.service.overrides import fields

    return [
        {
            "name": name,
            "label": spec.label(lang),
            "kind": spec.kind,
            "unit": spec.unit,
            "min": spec.minimum,
            "max": spec.maximum,
            "categories": [
                {"code": code, "label": catalogue.category_label(name, code, lang)} for code in spec.categories
            ] or None,
            "required": spec.required("raw"),
            "feature": spec.feature,
        }
        for name, spec in fields().items()
    ]
