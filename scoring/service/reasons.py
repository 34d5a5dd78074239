"""One explanation's concepts and principal reasons, in score points.

Every feature belongs to one concept (`scoring.text.concepts`), so a
concept's points are the sum of its features' SHAP values in points, and
``base points + sum of every concept's points`` is the client's score: there
is no "other factors" remainder. The feature -> concept index is built once
per feature list and the sums are one `np.bincount`.

Principal reasons: for a refused client, the concepts that pushed most toward
refusal; for a granted one, its main strengths; at most `MAX_REASONS`, each
worth at least `MIN_REASON_POINTS`. A protected concept is never given: the
next one is, and `protected_withheld` tells the page to say that the model's
full explanation is available on request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from scoring.model.points import FACTOR
from scoring.service.model_card import json_value
from scoring.service.protocol import (
    ConceptContribution,
    ConceptFeature,
    PrincipalReason,
)
from scoring.text import catalogue, concepts

#: Most reasons given for one decision.
MAX_REASONS = 4
#: A concept weighing less than this (in points) is no reason to give.
MIN_REASON_POINTS = 1.0


@dataclass(frozen=True)
class ConceptIndex:
    """Where each feature of a model's feature list goes: concept codes and members."""

    keys: tuple[str, ...]  # concept keys, in CONCEPTS order
    codes: np.ndarray  # concept code of each feature
    members: tuple[np.ndarray, ...]  # feature positions of each concept
    protected: tuple[bool, ...]
    labels: dict[str, tuple[str, ...]]  # lang -> each feature's label


@functools.lru_cache(maxsize=8)
def concept_index(names: tuple[str, ...]) -> ConceptIndex:
    """The index of a feature list (built once per model and process)."""
    keys = tuple(concepts.CONCEPTS)
    position = {k: i for i, k in enumerate(keys)}
    codes = np.array([position[concepts.concept_of(n)] for n in names], dtype=np.intp)
    codes.flags.writeable = False
    members = tuple(np.flatnonzero(codes == j) for j in range(len(keys)))
    labels = {lang: tuple(catalogue.label(n, lang) for n in names) for lang in ("fr", "en")}
    return ConceptIndex(keys, codes, members, tuple(concepts.CONCEPTS[k].protected for k in keys), labels)


def concept_points(index: ConceptIndex, shap: np.ndarray) -> np.ndarray:
    """Each concept's contribution in points (> 0 toward acceptance), in `index.keys` order."""
    return -FACTOR * np.bincount(index.codes, weights=shap, minlength=len(index.keys))


@functools.lru_cache(maxsize=1 << 13)
def _display(feature: str, value: Any, lang: str) -> str:
    """Formatted values repeat (flags, counts, categories): Babel runs once per distinct one."""
    return catalogue.format_value(feature, value, lang)


def _telling(index: ConceptIndex, code: int, shap: np.ndarray, toward_refusal: bool) -> int:
    """The concept's feature that pushes most in the given direction (its first when none does)."""
    members = index.members[code]
    side = shap[members] if toward_refusal else -shap[members]
    return int(members[int(np.argmax(side))])


def explain(names: Sequence[str], shap: np.ndarray, values: Mapping[str, Any], lang: str,
            refused: bool) -> tuple[list[ConceptContribution], list[PrincipalReason], bool]:
    """(every concept, largest |points| first; the principal reasons; protected_withheld)."""
    index = concept_index(tuple(names))
    sums = concept_points(index, shap)
    feature_points = -FACTOR * shap
    labels = index.labels[lang]
    order = np.argsort(-np.abs(sums), kind="stable")
    out = []
    for code in order.tolist():
        members = index.members[code]
        members = members[shap[members] != 0.0]  # features the model did not use for this client
        ranked = members[np.argsort(-np.abs(shap[members]), kind="stable")]
        features = []
        for i, points in zip(ranked.tolist(), feature_points[ranked].tolist(), strict=True):
            name = names[i]
            value = json_value(values.get(name))
            features.append(ConceptFeature(name, labels[i], value, _display(name, value, lang), points))
        key = index.keys[code]
        out.append(ConceptContribution(key, concepts.label(key, lang), float(sums[code]),
                                       index.protected[code], features))
    reasons, withheld = principal_reasons(index, names, shap, sums, values, lang, refused)
    return out, reasons, withheld


def principal_reasons(index: ConceptIndex, names: Sequence[str], shap: np.ndarray, sums: np.ndarray,
                      values: Mapping[str, Any], lang: str, refused: bool
                      ) -> tuple[list[PrincipalReason], bool]:
    """At most MAX_REASONS concepts pushing toward the decision, protected ones skipped."""
    side = -sums if refused else sums  # points toward the decision taken
    reasons: list[PrincipalReason] = []
    withheld = False
    for code in np.argsort(-side, kind="stable").tolist():
        if len(reasons) == MAX_REASONS or side[code] < MIN_REASON_POINTS:
            break
        if index.protected[code]:
            withheld = True
            continue
        key = index.keys[code]
        i = _telling(index, code, shap, refused)
        name = names[i]
        value = json_value(values.get(name))
        shown = _display(name, value, lang)
        text = concepts.sentence(key, refused, concepts.detail(name, value, lang, shown), lang)
        reasons.append(PrincipalReason(key, concepts.label(key, lang), float(sums[code]), text, name, shown))
    return reasons, withheld


def reasons_only(names: Sequence[str], shap: np.ndarray, values: Mapping[str, Any], lang: str,
                 refused: bool) -> tuple[list[PrincipalReason], bool]:
    """The principal reasons without the concepts' feature lists (what a log records)."""
    index = concept_index(tuple(names))
    return principal_reasons(index, names, shap, concept_points(index, shap), values, lang, refused)


def reason_records(reasons: Sequence[PrincipalReason]) -> list[dict[str, Any]]:
    """Principal reasons as plain JSON dicts (concept, label, points, sentence, feature, display_value)."""
    return [asdict(r) for r in reasons]
